/**
 * The STIX 2.1 patterning engine: one parser (lexer + recursive descent) to a frozen AST, a canonical printer,
 * a validator, a matcher that compiles patterns to closures, and an index that matches many indicators against a
 * stream of observations. Pure: no I/O, no clock, no logging; never imports outside src/core, and not
 * src/core/stix either (the shapes it needs are defined here). Nothing a pattern says may hang or crash the
 * process: length, nesting, REPEATS and regex size are bounded, MATCHES runs in linear time, and evaluation has a
 * step budget (EntenteError TOO_LARGE).
 */
import type { Problem } from '../errors.js';
import type { PatternAst } from './ast.js';
import { PatternSyntaxError } from './lexer.js';
import { buildIndex } from './indicator-index.js';
import type { IndexStats, IndicatorIndex, IndicatorInput } from './indicator-index.js';
import { parse } from './parser.js';
import { print } from './printer.js';
import { toProblem, validateAst } from './validator.js';

export type * from './ast.js';
export { nodePosition } from './ast.js';
export type { Observation, PreparedObservation } from './observation.js';
export { observationFromObservedData, prepareObservation } from './observation.js';
export type { CompiledPattern } from './matcher.js';
export { compilePattern, matchPattern } from './matcher.js';
export type { IndicatorIndex, IndicatorInput, IndexStats } from './indicator-index.js';
export { MAX_NESTING_DEPTH, MAX_PATTERN_LENGTH, MAX_REPEATS } from './parser.js';
export { MAX_OBSERVATIONS_PER_MATCH } from './evaluate.js';
export { PatternSyntaxError } from './lexer.js';
export { compileRegex, RegexError } from './regex.js';
export type { CompiledRegex } from './regex.js';
export type { PatternIssue } from './validator.js';

/**
 * Parse pattern text. Throws `EntenteError('INVALID', msg, [Problem with path 'line:column'])`. With
 * `{ positions: true }`, `nodePosition(node)` gives each node's line and column (slower).
 */
export function parsePattern(text: string, options: { positions?: boolean } = {}): PatternAst {
  return parse(text, options);
}

export type CheckResult =
  | { ok: true; ast: PatternAst; warnings: Problem[] }
  | { ok: false; error: { message: string; line: number; column: number; expected?: string[] } };

/** Parse and validate: the first error with its position, or the AST with warnings. */
export function checkPattern(text: string): CheckResult {
  let ast: PatternAst;
  try {
    ast = parse(text);
  } catch (err) {
    if (err instanceof PatternSyntaxError) {
      return {
        ok: false,
        error: {
          message: err.reason,
          line: err.line,
          column: err.column,
          ...(err.expected ? { expected: [...err.expected] } : {}),
        },
      };
    }
    throw err;
  }
  let issues = validateAst(ast);
  // positions are recorded only when there is something to report (recording them is the costly part of parsing)
  if (issues.length > 0) {
    ast = parse(text, { positions: true });
    issues = validateAst(ast);
  }
  const firstError = issues.find((i) => i.severity === 'error');
  if (firstError) {
    return {
      ok: false,
      error: { message: firstError.message, line: firstError.line, column: firstError.column },
    };
  }
  return { ok: true, ast, warnings: issues.map(toProblem) };
}

/** Every error and warning of a pattern (syntax errors included), as Problems with `line:column` paths. */
export function patternProblems(text: string): Problem[] {
  try {
    return validateAst(parse(text, { positions: true })).map(toProblem);
  } catch (err) {
    if (err instanceof PatternSyntaxError) {
      return [
        { path: `${err.line}:${err.column}`, message: err.reason, severity: 'error', rule: 'pattern-syntax' },
      ];
    }
    throw err;
  }
}

/** Canonical text of a pattern: `parsePattern(printPattern(ast))` deep-equals `ast`. */
export function printPattern(ast: PatternAst): string {
  return print(ast);
}

/**
 * Compile indicators into one index. Patterns that fail `checkPattern` (or duplicate an id) are returned in
 * `rejected`; the index holds the rest.
 */
export function buildIndicatorIndex(indicators: readonly IndicatorInput[]): {
  index: IndicatorIndex & { readonly stats: IndexStats; readonly overBudget: readonly string[] };
  rejected: { id: string; error: string }[];
} {
  return buildIndex(indicators, (text) => {
    const r = checkPattern(text);
    return r.ok
      ? r
      : { ok: false, error: { message: `${r.error.message} at ${r.error.line}:${r.error.column}` } };
  });
}
