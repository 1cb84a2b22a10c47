/**
 * The STIX 2.1 pattern AST. Every node is frozen and tagged by `kind`; the printer, validator, compiler and index
 * pre-filter are each one walk over this tree. Source positions live in a side table (`nodePosition`) so that
 * `parse(print(ast))` deep-equals `ast`.
 */

export type ComparisonOperator =
  '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';

export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}
export interface IntLiteral {
  readonly kind: 'int';
  readonly value: number;
}
export interface FloatLiteral {
  readonly kind: 'float';
  readonly value: number;
}
export interface BoolLiteral {
  readonly kind: 'bool';
  readonly value: boolean;
}
/** `b'…'`: `value` is the base64 text as written (validated). */
export interface BinaryLiteral {
  readonly kind: 'binary';
  readonly value: string;
}
/** `h'…'`: `value` is the hex digits, lower-cased. */
export interface HexLiteral {
  readonly kind: 'hex';
  readonly value: string;
}
/** `t'…'`: `value` is the RFC 3339 text as written (validated). */
export interface TimestampLiteral {
  readonly kind: 'timestamp';
  readonly value: string;
}
export type Literal =
  StringLiteral | IntLiteral | FloatLiteral | BoolLiteral | BinaryLiteral | HexLiteral | TimestampLiteral;

export interface SetLiteral {
  readonly kind: 'set';
  readonly values: readonly Literal[];
}

export interface KeyStep {
  readonly kind: 'key';
  readonly name: string;
}
/** `[n]` (negative counts from the end) or `[*]` (any element). */
export interface IndexStep {
  readonly kind: 'index';
  readonly index: number | '*';
}
export type PathStep = KeyStep | IndexStep;

export interface ObjectPath {
  readonly kind: 'path';
  readonly objectType: string;
  /** First step is always a key. */
  readonly steps: readonly PathStep[];
}

export interface Comparison {
  readonly kind: 'comparison';
  readonly path: ObjectPath;
  readonly operator: ComparisonOperator;
  readonly negated: boolean;
  readonly value: Literal | SetLiteral;
}
export interface Exists {
  readonly kind: 'exists';
  readonly path: ObjectPath;
}
export interface ComparisonAnd {
  readonly kind: 'and';
  readonly operands: readonly ComparisonExpression[];
}
export interface ComparisonOr {
  readonly kind: 'or';
  readonly operands: readonly ComparisonExpression[];
}
export type ComparisonExpression = Comparison | Exists | ComparisonAnd | ComparisonOr;

export interface WithinQualifier {
  readonly kind: 'within';
  readonly seconds: number;
}
export interface RepeatsQualifier {
  readonly kind: 'repeats';
  readonly times: number;
}
export interface StartStopQualifier {
  readonly kind: 'start-stop';
  readonly start: TimestampLiteral;
  readonly stop: TimestampLiteral;
}
export type Qualifier = WithinQualifier | RepeatsQualifier | StartStopQualifier;

/** `[ … ]`: one observation expression, satisfied by one observation. */
export interface ObservationNode {
  readonly kind: 'observation';
  readonly comparison: ComparisonExpression;
}
export interface ObservationAnd {
  readonly kind: 'obs-and';
  readonly operands: readonly ObservationExpression[];
}
export interface ObservationOr {
  readonly kind: 'obs-or';
  readonly operands: readonly ObservationExpression[];
}
export interface FollowedBy {
  readonly kind: 'followed-by';
  readonly operands: readonly ObservationExpression[];
}
export interface Qualified {
  readonly kind: 'qualified';
  readonly expression: ObservationExpression;
  readonly qualifier: Qualifier;
}
export type ObservationExpression = ObservationNode | ObservationAnd | ObservationOr | FollowedBy | Qualified;

export interface PatternAst {
  readonly kind: 'pattern';
  readonly expression: ObservationExpression;
}

export type AstNode =
  | PatternAst
  | ObservationExpression
  | Qualifier
  | ComparisonExpression
  | ObjectPath
  | PathStep
  | Literal
  | SetLiteral;

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/**
 * Positions live in a side table, filled only when a parse asks for them (`parse(text, { positions: true })`):
 * recording them costs more than the parse itself, and only error reporting needs them.
 */
const positions = new WeakMap<object, SourcePosition>();

/** Where the parser found a node (1-based line and column), when it was parsed with positions. */
export const nodePosition = (node: object): SourcePosition | undefined => positions.get(node);

export const setNodePosition = (node: object, pos: SourcePosition): void => {
  positions.set(node, { line: pos.line, column: pos.column });
};

/** Build n-ary nodes flattened, so that associativity never shows in the tree (printing is then canonical). */
export function flatten<
  K extends 'and' | 'or' | 'obs-and' | 'obs-or' | 'followed-by',
  T extends { kind: string },
>(kind: K, operands: readonly T[]): T[] {
  const out: T[] = [];
  for (const op of operands) {
    if (op.kind === kind) out.push(...(op as unknown as { operands: readonly T[] }).operands);
    else out.push(op);
  }
  return out;
}

export const freeze = <T extends object>(node: T): T => Object.freeze(node);
