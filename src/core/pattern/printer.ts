/** Canonical text for a pattern AST: minimal parentheses, canonical operators, `parse(print(ast))` = `ast`. */
import type {
  ComparisonExpression,
  Literal,
  ObjectPath,
  ObservationExpression,
  PatternAst,
  Qualifier,
  SetLiteral,
} from './ast.js';
import { formatFloat } from './literals.js';
import { KEYWORDS } from './lexer.js';

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const printKey = (name: string): string => (BARE_KEY.test(name) && !KEYWORDS.has(name) ? name : quote(name));

export function printLiteral(lit: Literal | SetLiteral): string {
  switch (lit.kind) {
    case 'string':
      return quote(lit.value);
    case 'int':
      return String(lit.value);
    case 'float':
      return formatFloat(lit.value);
    case 'bool':
      return lit.value ? 'true' : 'false';
    case 'binary':
      return `b'${lit.value}'`;
    case 'hex':
      return `h'${lit.value}'`;
    case 'timestamp':
      return `t'${lit.value}'`;
    case 'set':
      return `(${lit.values.map(printLiteral).join(', ')})`;
  }
}

export function printPath(path: ObjectPath): string {
  let out = `${path.objectType}:`;
  path.steps.forEach((step, i) => {
    if (step.kind === 'index') out += `[${step.index}]`;
    else out += i === 0 ? printKey(step.name) : `.${printKey(step.name)}`;
  });
  return out;
}

export function printComparison(expr: ComparisonExpression): string {
  switch (expr.kind) {
    case 'comparison':
      return `${printPath(expr.path)} ${expr.negated ? 'NOT ' : ''}${expr.operator} ${printLiteral(expr.value)}`;
    case 'exists':
      return `EXISTS ${printPath(expr.path)}`;
    case 'and':
      return expr.operands
        .map((o) => (o.kind === 'or' ? `(${printComparison(o)})` : printComparison(o)))
        .join(' AND ');
    case 'or':
      return expr.operands
        .map((o) => (o.kind === 'or' ? `(${printComparison(o)})` : printComparison(o)))
        .join(' OR ');
  }
}

function printQualifier(q: Qualifier): string {
  switch (q.kind) {
    case 'within':
      return `WITHIN ${Number.isInteger(q.seconds) ? String(q.seconds) : formatFloat(q.seconds)} SECONDS`;
    case 'repeats':
      return `REPEATS ${q.times} TIMES`;
    case 'start-stop':
      return `START t'${q.start.value}' STOP t'${q.stop.value}'`;
  }
}

const RANK: Record<ObservationExpression['kind'], number> = {
  'followed-by': 0,
  'obs-or': 1,
  'obs-and': 2,
  qualified: 3,
  observation: 3,
};

/** Print `expr`, parenthesized when its precedence is not above `min`. */
function printObservation(expr: ObservationExpression, min: number): string {
  const text = printObservationBare(expr);
  return RANK[expr.kind] > min ? text : `(${text})`;
}

function printObservationBare(expr: ObservationExpression): string {
  switch (expr.kind) {
    case 'observation':
      return `[${printComparison(expr.comparison)}]`;
    case 'qualified': {
      // A qualifier of a kind the expression already has in its own chain needs parentheses: one qualifier of
      // each kind per expression (§9.5.1), and `(… REPEATS 2 TIMES) REPEATS 3 TIMES` is a new expression.
      let again = false;
      for (let inner = expr.expression; inner.kind === 'qualified'; inner = inner.expression)
        if (inner.qualifier.kind === expr.qualifier.kind) again = true;
      const inner = again
        ? `(${printObservationBare(expr.expression)})`
        : printObservation(expr.expression, 2);
      return `${inner} ${printQualifier(expr.qualifier)}`;
    }
    case 'obs-and':
      return expr.operands.map((o) => printObservation(o, 2)).join(' AND ');
    case 'obs-or':
      return expr.operands.map((o) => printObservation(o, 1)).join(' OR ');
    case 'followed-by':
      return expr.operands.map((o) => printObservation(o, 0)).join(' FOLLOWEDBY ');
  }
}

export function print(ast: PatternAst): string {
  return printObservationBare(ast.expression);
}
