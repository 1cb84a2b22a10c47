/**
 * Semantic checks on a parsed pattern: what the grammar cannot say but the spec requires (errors), and legal but
 * suspicious constructs (warnings). One walk over the AST.
 */
import type { Problem } from '../errors.js';
import type {
  Comparison,
  ComparisonExpression,
  ObjectPath,
  ObservationExpression,
  PatternAst,
} from './ast.js';
import { nodePosition } from './ast.js';
import { isHex, parseCidr, timestampMillis } from './literals.js';
import { HASH_ALGORITHMS, NON_SCO_TYPES, SCO_PROPERTIES, propertyType } from './sco-catalog.js';
import type { PropertyType } from './sco-catalog.js';
import { compileRegex } from './regex.js';
import { objectTypesOf } from './compile.js';
import { MAX_OBSERVATIONS_PER_MATCH, observationsPerMatch } from './evaluate.js';

export interface PatternIssue {
  readonly severity: 'error' | 'warning';
  readonly rule: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

const TYPE_NAME = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$/;

const LITERAL_FITS: Record<PropertyType, readonly string[]> = {
  string: ['string'],
  integer: ['int', 'float'],
  timestamp: ['timestamp', 'string'],
  boolean: ['bool'],
  binary: ['binary', 'hex', 'string'],
  hex: ['hex', 'binary', 'string'],
  other: ['string', 'int', 'float', 'bool', 'binary', 'hex', 'timestamp'],
};

/** Literal kinds that are one data type for a set's homogeneity (§9.6.1). */
const LITERAL_GROUP: Record<string, string> = {
  string: 'string',
  int: 'number',
  float: 'number',
  bool: 'boolean',
  timestamp: 'timestamp',
  binary: 'binary',
  hex: 'binary',
};

export function validateAst(ast: PatternAst): PatternIssue[] {
  const issues: PatternIssue[] = [];
  const add = (
    severity: 'error' | 'warning',
    rule: string,
    message: string,
    at: object | undefined,
  ): void => {
    const pos = (at && nodePosition(at)) ?? { line: 1, column: 1 };
    issues.push({ severity, rule, message, line: pos.line, column: pos.column });
  };

  const checkPath = (path: ObjectPath): PropertyType | undefined => {
    const type = path.objectType;
    if (!TYPE_NAME.test(type)) {
      add(
        'error',
        'object-type',
        `'${type}' is not a valid object type (lower-case letters, digits and '-', 3–250 characters)`,
        path,
      );
      return undefined;
    }
    if (NON_SCO_TYPES.has(type)) {
      add(
        'error',
        'object-type',
        `'${type}' is not a cyber-observable object type; patterns match observables`,
        path,
      );
      return undefined;
    }
    const first = path.steps[0];
    if (!first || first.kind !== 'key') return undefined;
    const props = SCO_PROPERTIES[type];
    if (!props) {
      if (!type.startsWith('x-')) {
        add(
          'warning',
          'custom-object',
          `'${type}' is not a STIX 2.1 cyber-observable type; treated as a custom object`,
          path,
        );
      }
      return undefined;
    }
    const pt = propertyType(type, first.name);
    if (pt === undefined && first.name !== 'id' && (first.name.length < 3 || first.name.length > 250)) {
      // STIX 2.1 §3.1: a property name is 3–250 characters; one the type does not define is a custom property.
      add(
        'error',
        'property-name',
        `'${first.name}' is no property of ${type}, nor a valid custom property name (3–250 characters)`,
        path,
      );
      return undefined;
    }
    if (pt === undefined) {
      if (!first.name.startsWith('x_')) {
        add(
          'warning',
          'unknown-property',
          `'${first.name}' is not a property of ${type} (custom properties should start with x_)`,
          path,
        );
      }
      return undefined;
    }
    if (first.name === 'hashes') {
      const algo = path.steps[1];
      if (algo?.kind === 'key' && !Object.hasOwn(HASH_ALGORITHMS, algo.name)) {
        add(
          'warning',
          'hash-algorithm',
          `hash algorithm '${algo.name}' is not in the STIX vocabulary (e.g. 'SHA-256')`,
          path,
        );
      }
      return path.steps.length === 2 ? 'hex' : undefined;
    }
    return path.steps.length === 1 ? pt : undefined;
  };

  const checkComparison = (c: Comparison): void => {
    const pt = checkPath(c.path);
    const lits = c.value.kind === 'set' ? c.value.values : [c.value];
    if (c.value.kind === 'set' && c.value.values.length === 0) {
      add('warning', 'empty-set', `IN () can never be true`, c);
    }
    if (c.value.kind === 'set' && new Set(c.value.values.map((l) => LITERAL_GROUP[l.kind])).size > 1) {
      add('error', 'set-type', 'the constants of a set must all be of one type (§9.6.1)', c.value);
    }
    if (pt !== undefined && pt !== 'other') {
      for (const lit of lits) {
        if (!(LITERAL_FITS[pt] ?? []).includes(lit.kind)) {
          // a warning, not an error: the spec's own examples compare file:size with a string
          add(
            'warning',
            'constant-type',
            `${article(lit.kind)} ${lit.kind} constant never equals ${c.path.objectType}:${stepName(c.path)}, ${article(pt)} ${pt} property`,
            lit,
          );
        } else if (pt === 'timestamp' && lit.kind === 'string') {
          add('warning', 'timestamp-string', `compare timestamps with a t'…' constant, not a string`, lit);
        }
      }
      if ((c.operator === 'LIKE' || c.operator === 'MATCHES') && pt !== 'string' && pt !== 'binary') {
        add(
          'warning',
          'operator-type',
          `${c.operator} applies to string properties, not to a ${pt} property`,
          c,
        );
      }
    }
    const hashAlgo =
      c.path.steps[0]?.kind === 'key' && c.path.steps[0].name === 'hashes' ? c.path.steps[1] : undefined;
    if (
      hashAlgo?.kind === 'key' &&
      c.path.steps.length === 2 &&
      (c.operator === '=' || c.operator === 'IN')
    ) {
      const len = HASH_ALGORITHMS[hashAlgo.name];
      for (const lit of lits) {
        if (lit.kind === 'string' && len !== undefined && (lit.value.length !== len || !isHex(lit.value))) {
          add(
            'warning',
            'hash-value',
            `'${lit.value}' does not look like a ${hashAlgo.name} digest (${len} hex digits)`,
            lit,
          );
        }
      }
    }
    switch (c.operator) {
      case 'MATCHES':
        try {
          compileRegex((c.value as { value: string }).value);
        } catch (err) {
          add('error', 'regex', (err as Error).message, c.value);
        }
        break;
      case 'ISSUBSET':
      case 'ISSUPERSET': {
        const text = (c.value as { value: string }).value;
        if (!parseCidr(text))
          add('error', 'cidr', `'${text}' is not an IPv4 or IPv6 address or CIDR block`, c.value);
        if (
          !['ipv4-addr', 'ipv6-addr'].includes(c.path.objectType) &&
          !c.path.steps.some((s) => s.kind === 'key' && s.name.endsWith('_ref'))
        ) {
          add(
            'warning',
            'cidr-path',
            `${c.operator} compares IP addresses; ${c.path.objectType} is not an address object`,
            c,
          );
        }
        break;
      }
      case 'LIKE': {
        const text = (c.value as { value: string }).value;
        if (!/[%_]/.test(text))
          add('warning', 'like-without-wildcard', `LIKE '${text}' has no % or _; use =`, c.value);
        break;
      }
      case '!=':
        if (c.negated) add('warning', 'double-negation', 'NOT != is the same as =', c);
        break;
      default:
        break;
    }
  };

  const walkComparison = (e: ComparisonExpression): void => {
    if (e.kind === 'comparison') checkComparison(e);
    else if (e.kind === 'exists') checkPath(e.path);
    else {
      // §9.5: the operands of AND hold for one object, which has one type.
      if (e.kind === 'and' && objectTypesOf(e).size === 0)
        add(
          'warning',
          'and-types',
          'AND joins comparisons on different object types: one object has one type, so this never matches (join types with OR, or use separate […] observations)',
          e,
        );
      e.operands.forEach(walkComparison);
    }
  };

  const walkObservation = (e: ObservationExpression): void => {
    switch (e.kind) {
      case 'observation':
        walkComparison(e.comparison);
        return;
      case 'qualified': {
        const q = e.qualifier;
        if (q.kind === 'start-stop') {
          const a = timestampMillis(q.start.value) as number;
          const b = timestampMillis(q.stop.value) as number;
          if (!(a < b)) add('error', 'start-stop', 'START must be earlier than STOP', q);
        }
        walkObservation(e.expression);
        return;
      }
      default:
        e.operands.forEach(walkObservation);
    }
  };
  walkObservation(ast.expression);
  const needed = observationsPerMatch(ast.expression);
  if (needed > MAX_OBSERVATIONS_PER_MATCH) {
    add(
      'error',
      'too-many-observations',
      `a match of this pattern needs ${needed} observations (AND, FOLLOWEDBY and REPEATS multiply); the limit is ${MAX_OBSERVATIONS_PER_MATCH}`,
      ast.expression,
    );
  }
  return issues;
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a');

const stepName = (p: ObjectPath): string => (p.steps[0]?.kind === 'key' ? p.steps[0].name : '');

export const toProblem = (i: PatternIssue): Problem => ({
  path: `${i.line}:${i.column}`,
  message: i.message,
  severity: i.severity,
  rule: i.rule,
});
