/**
 * The one parser for STIX 2.1 patterns: hand-written recursive descent over `tokenize`, following the OASIS
 * grammar (precedence: observation AND > OR > FOLLOWEDBY; comparison AND > OR; qualifiers bind to the
 * observation expression just before them). Length and nesting depth are bounded.
 */
import type {
  BinaryLiteral,
  Comparison,
  ComparisonExpression,
  ComparisonOperator,
  Literal,
  ObjectPath,
  ObservationExpression,
  PathStep,
  PatternAst,
  Qualifier,
  SetLiteral,
  TimestampLiteral,
} from './ast.js';
import { flatten, freeze, setNodePosition } from './ast.js';
import type { SourcePosition } from './ast.js';
import { isBase64, isHex, isPatternTimestamp } from './literals.js';
import { PatternSyntaxError, tokenize } from './lexer.js';
import type { Token } from './lexer.js';

export const MAX_PATTERN_LENGTH = 1_000_000;
export const MAX_NESTING_DEPTH = 64;
/** REPEATS above this is refused: each repetition is a distinct observation to find. */
export const MAX_REPEATS = 1_000;

const ORDER_OPS = new Set(['<', '<=', '>', '>=']);

const describe = (t: Token): string => {
  switch (t.type) {
    case 'eof':
      return 'end of pattern';
    case 'string':
      return 'a string';
    case 'ident':
      return `'${t.text}'`;
    default:
      return `'${t.text}'`;
  }
};

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly track: boolean,
  ) {}

  /** Freeze a node, recording where it came from when positions were asked for. */
  private at<T extends object>(node: T, pos: SourcePosition): T {
    if (this.track) setNodePosition(node, pos);
    return Object.freeze(node);
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    const t = this.tokens[this.pos] as Token;
    if (t.type !== 'eof') this.pos++;
    return t;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.type === 'punct' && t.text === text;
  }
  private isKeyword(text: string): boolean {
    const t = this.peek();
    return t.type === 'keyword' && t.text === text;
  }
  private fail(expected: readonly string[], t: Token = this.peek()): never {
    throw new PatternSyntaxError(
      `expected ${expected.join(' or ')}, found ${describe(t)}`,
      t.line,
      t.column,
      expected,
    );
  }
  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) this.fail([`'${text}'`]);
    return this.next();
  }
  private expectKeyword(text: string): Token {
    if (!this.isKeyword(text)) this.fail([text]);
    return this.next();
  }
  private enter(t: Token): void {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new PatternSyntaxError(`pattern nests deeper than ${MAX_NESTING_DEPTH} levels`, t.line, t.column);
    }
  }

  parsePattern(): PatternAst {
    const first = this.peek();
    if (first.type === 'eof') this.fail(["'['", "'('"]);
    const expression = this.observationExpressions();
    if (this.peek().type !== 'eof')
      this.fail(['AND', 'OR', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'START', 'end of pattern']);
    return freeze({ kind: 'pattern', expression });
  }

  private observationExpressions(): ObservationExpression {
    const operands = [this.observationOr()];
    while (this.isKeyword('FOLLOWEDBY')) {
      this.next();
      operands.push(this.observationOr());
    }
    return operands.length === 1
      ? (operands[0] as ObservationExpression)
      : freeze({ kind: 'followed-by', operands: Object.freeze(flatten('followed-by', operands)) });
  }

  private observationOr(): ObservationExpression {
    const operands = [this.observationAnd()];
    while (this.isKeyword('OR')) {
      this.next();
      operands.push(this.observationAnd());
    }
    return operands.length === 1
      ? (operands[0] as ObservationExpression)
      : freeze({ kind: 'obs-or', operands: Object.freeze(flatten('obs-or', operands)) });
  }

  private observationAnd(): ObservationExpression {
    const operands = [this.observationUnit()];
    while (this.isKeyword('AND')) {
      this.next();
      operands.push(this.observationUnit());
    }
    return operands.length === 1
      ? (operands[0] as ObservationExpression)
      : freeze({ kind: 'obs-and', operands: Object.freeze(flatten('obs-and', operands)) });
  }

  private observationUnit(): ObservationExpression {
    const t = this.peek();
    let expr: ObservationExpression;
    if (this.isPunct('[')) {
      this.next();
      this.enter(t);
      const comparison = this.comparisonOr();
      this.expectPunct(']');
      this.depth--;
      expr = this.at({ kind: 'observation', comparison }, t);
    } else if (this.isPunct('(')) {
      this.next();
      this.enter(t);
      expr = this.observationExpressions();
      this.expectPunct(')');
      this.depth--;
    } else {
      this.fail(["'['", "'('"]);
    }
    let qualifiers = 0;
    const kinds = new Set<Qualifier['kind']>();
    for (;;) {
      const q = this.peek();
      let qualifier: Qualifier | undefined;
      if (this.isKeyword('WITHIN')) {
        this.next();
        const num = this.next();
        if (num.type !== 'int' && num.type !== 'float') this.fail(['a number of seconds'], num);
        const seconds = Number(num.text);
        if (!(seconds > 0) || !Number.isFinite(seconds)) {
          throw new PatternSyntaxError('WITHIN needs a positive number of seconds', num.line, num.column);
        }
        this.expectKeyword('SECONDS');
        qualifier = this.at({ kind: 'within' as const, seconds }, q);
      } else if (this.isKeyword('REPEATS')) {
        this.next();
        const num = this.next();
        if (num.type !== 'int') this.fail(['a positive integer'], num);
        const times = Number(num.text);
        if (!(times > 0) || !Number.isSafeInteger(times) || num.text.startsWith('-')) {
          throw new PatternSyntaxError('REPEATS needs a positive integer', num.line, num.column);
        }
        if (times > MAX_REPEATS) {
          throw new PatternSyntaxError(`REPEATS is limited to ${MAX_REPEATS} TIMES`, num.line, num.column);
        }
        this.expectKeyword('TIMES');
        qualifier = this.at({ kind: 'repeats' as const, times }, q);
      } else if (this.isKeyword('START')) {
        this.next();
        const start = this.timestamp();
        this.expectKeyword('STOP');
        const stop = this.timestamp();
        qualifier = this.at({ kind: 'start-stop' as const, start, stop }, q);
      }
      if (!qualifier) {
        this.depth -= qualifiers;
        return expr;
      }
      // §9.5.1: at most one qualifier of each kind on an expression (a parenthesized one is a new expression).
      if (kinds.has(qualifier.kind)) {
        const name = qualifier.kind === 'start-stop' ? 'START/STOP' : qualifier.kind.toUpperCase();
        throw new PatternSyntaxError(`more than one ${name} qualifier on one expression`, q.line, q.column);
      }
      kinds.add(qualifier.kind);
      // qualifiers nest the tree too, so they count towards the depth bound
      this.enter(q);
      qualifiers++;
      expr = this.at({ kind: 'qualified', expression: expr, qualifier }, q);
    }
  }

  private timestamp(): TimestampLiteral {
    const t = this.next();
    if (t.type !== 'timestamp') this.fail(["a timestamp t'…'"], t);
    return this.literalFrom(t) as TimestampLiteral;
  }

  private comparisonOr(): ComparisonExpression {
    const operands = [this.comparisonAnd()];
    while (this.isKeyword('OR')) {
      this.next();
      operands.push(this.comparisonAnd());
    }
    return operands.length === 1
      ? (operands[0] as ComparisonExpression)
      : freeze({ kind: 'or', operands: Object.freeze(flatten('or', operands)) });
  }

  private comparisonAnd(): ComparisonExpression {
    const operands = [this.propTest()];
    while (this.isKeyword('AND')) {
      this.next();
      operands.push(this.propTest());
    }
    return operands.length === 1
      ? (operands[0] as ComparisonExpression)
      : freeze({ kind: 'and', operands: Object.freeze(flatten('and', operands)) });
  }

  private propTest(): ComparisonExpression {
    const t = this.peek();
    if (this.isPunct('(')) {
      this.next();
      this.enter(t);
      const inner = this.comparisonOr();
      this.expectPunct(')');
      this.depth--;
      return inner;
    }
    if (this.isKeyword('EXISTS')) {
      this.next();
      return this.at({ kind: 'exists' as const, path: this.objectPath() }, t);
    }
    if (t.type !== 'ident') this.fail(['an object path', "'('", 'EXISTS']);
    const path = this.objectPath();
    let negated = false;
    if (this.isKeyword('NOT')) {
      this.next();
      negated = true;
    }
    const opTok = this.next();
    let operator: ComparisonOperator;
    if (opTok.type === 'op') operator = opTok.text as ComparisonOperator;
    else if (
      opTok.type === 'keyword' &&
      ['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'].includes(opTok.text)
    ) {
      operator = opTok.text as ComparisonOperator;
    } else {
      this.fail(
        [
          "'='",
          "'!='",
          "'<'",
          "'<='",
          "'>'",
          "'>='",
          'IN',
          'LIKE',
          'MATCHES',
          'ISSUBSET',
          'ISSUPERSET',
        ].concat(negated ? [] : ['NOT']),
        opTok,
      );
    }
    let value: Literal | SetLiteral;
    const vTok = this.peek();
    if (operator === 'IN') {
      value = this.setLiteral();
    } else {
      this.next();
      if (!isLiteralToken(vTok)) this.fail(['a constant'], vTok);
      value = this.literalFrom(vTok);
      if (ORDER_OPS.has(operator) && value.kind === 'bool') {
        this.fail(['an orderable constant (not a boolean)'], vTok);
      }
      if (
        (operator === 'LIKE' ||
          operator === 'MATCHES' ||
          operator === 'ISSUBSET' ||
          operator === 'ISSUPERSET') &&
        value.kind !== 'string'
      ) {
        this.fail([`a string after ${operator}`], vTok);
      }
    }
    const node: Comparison = { kind: 'comparison', path, operator, negated, value };
    return this.at(node, t);
  }

  private setLiteral(): SetLiteral {
    const open = this.peek();
    this.expectPunct('(');
    const values: Literal[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        const v = this.next();
        if (!isLiteralToken(v)) this.fail(['a constant'], v);
        values.push(this.literalFrom(v));
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expectPunct(')');
    return this.at({ kind: 'set' as const, values: Object.freeze(values) }, open);
  }

  private objectPath(): ObjectPath {
    const typeTok = this.next();
    if (typeTok.type !== 'ident') this.fail(['an object type'], typeTok);
    this.expectPunct(':');
    const steps: PathStep[] = [freeze({ kind: 'key', name: this.pathKey() })];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        steps.push(freeze({ kind: 'key', name: this.pathKey() }));
      } else if (this.isPunct('[')) {
        this.next();
        const idx = this.next();
        if (idx.type === 'punct' && idx.text === '*') steps.push(freeze({ kind: 'index', index: '*' }));
        else if (idx.type === 'int') steps.push(freeze({ kind: 'index', index: safeInt(idx) }));
        else this.fail(["'*'", 'a list index'], idx);
        this.expectPunct(']');
      } else {
        break;
      }
    }
    return this.at({ kind: 'path' as const, objectType: typeTok.text, steps: Object.freeze(steps) }, typeTok);
  }

  private pathKey(): string {
    const t = this.next();
    if (t.type === 'string') return t.text;
    if (t.type === 'ident') {
      if (t.text.includes('-')) {
        throw new PatternSyntaxError(
          `property name '${t.text}' contains '-': quote it ('${t.text}')`,
          t.line,
          t.column,
          ['a quoted property name'],
        );
      }
      return t.text;
    }
    return this.fail(['a property name'], t);
  }

  private literalFrom(t: Token): Literal {
    let lit: Literal;
    switch (t.type) {
      case 'string':
        lit = { kind: 'string', value: t.text };
        break;
      case 'int':
        lit = { kind: 'int', value: safeInt(t) };
        break;
      case 'float': {
        const v = Number(t.text);
        lit = { kind: 'float', value: v === 0 ? 0 : v };
        break;
      }
      case 'binary':
        if (!isBase64(t.text)) {
          throw new PatternSyntaxError(`b'…' must hold valid base64`, t.line, t.column, ['base64 text']);
        }
        lit = { kind: 'binary', value: t.text } satisfies BinaryLiteral;
        break;
      case 'hex':
        if (!isHex(t.text)) {
          throw new PatternSyntaxError(`h'…' must hold pairs of hex digits`, t.line, t.column, [
            'hex digits',
          ]);
        }
        lit = { kind: 'hex', value: t.text.toLowerCase() };
        break;
      case 'timestamp':
        if (!isPatternTimestamp(t.text)) {
          throw new PatternSyntaxError(
            `t'${t.text}' is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)`,
            t.line,
            t.column,
            ['a timestamp'],
          );
        }
        lit = { kind: 'timestamp', value: t.text };
        break;
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') {
          lit = { kind: 'bool', value: t.text === 'true' };
          break;
        }
        return this.fail(['a constant'], t);
      default:
        return this.fail(['a constant'], t);
    }
    return this.at(lit, t);
  }
}

function isLiteralToken(t: Token): boolean {
  return (
    t.type === 'string' ||
    t.type === 'int' ||
    t.type === 'float' ||
    t.type === 'binary' ||
    t.type === 'hex' ||
    t.type === 'timestamp' ||
    (t.type === 'keyword' && (t.text === 'true' || t.text === 'false'))
  );
}

function safeInt(t: Token): number {
  const v = Number(t.text);
  if (!Number.isSafeInteger(v)) {
    throw new PatternSyntaxError(`integer ${t.text} is out of range (beyond ±2^53)`, t.line, t.column);
  }
  return v === 0 ? 0 : v;
}

/** Parse pattern text into a frozen AST; throws `PatternSyntaxError` (an `EntenteError('INVALID')`). */
export function parse(text: string, options: { positions?: boolean } = {}): PatternAst {
  if (typeof text !== 'string') throw new PatternSyntaxError('a pattern must be a string', 1, 1);
  if (text.length > MAX_PATTERN_LENGTH) {
    throw new PatternSyntaxError(
      `pattern is ${text.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`,
      1,
      1,
    );
  }
  return new Parser(tokenize(text), options.positions === true).parsePattern();
}
