/** Tokens of the STIX 2.1 patterning grammar, with line and column for every token. */
import { EntenteError } from '../errors.js';

export type TokenType =
  'ident' | 'keyword' | 'string' | 'int' | 'float' | 'binary' | 'hex' | 'timestamp' | 'op' | 'punct' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Keyword/operator/punctuation text, identifier name, or the decoded literal text. */
  readonly text: string;
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUPERSET',
  'ISSUBSET',
  'EXISTS',
  'LAST',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'true',
  'false',
  'WITHIN',
  'REPEATS',
  'TIMES',
]);

/** A syntax error with its position; the parser turns it into the public error shape. */
export class PatternSyntaxError extends EntenteError {
  readonly line: number;
  readonly column: number;
  readonly expected: readonly string[] | undefined;
  /** The message without its position. */
  readonly reason: string;
  constructor(message: string, line: number, column: number, expected?: readonly string[]) {
    super('INVALID', `${message} at ${line}:${column}`, [
      { path: `${line}:${column}`, message, severity: 'error', rule: 'pattern-syntax' },
    ]);
    this.name = 'PatternSyntaxError';
    this.reason = message;
    this.line = line;
    this.column = column;
    this.expected = expected;
  }
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 45;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/**
 * The other white space the STIX patterning grammar skips (its WS rule): NEL, no-break space, Ogham space, the
 * U+2000–U+200A spaces, line and paragraph separators, narrow no-break, medium mathematical and ideographic space.
 */
const isUnicodeSpace = (c: number): boolean =>
  c === 0x85 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000;

/** A class rather than closures: tokenizing is on the hot path of parsing hundreds of thousands of patterns. */
class Lexer {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private readonly tokens: Token[] = [];
  constructor(private readonly src: string) {}

  private fail(msg: string, at: number): never {
    throw new PatternSyntaxError(msg, this.line, at - this.lineStart + 1);
  }

  private push(type: TokenType, text: string, start: number, line: number, column: number): void {
    this.tokens.push({ type, text, offset: start, line, column });
  }

  /** Reads a quoted body starting after the opening quote; only \' and \\ are escapes (the grammar's rule). */
  private readQuoted(start: number, allowEscapes: boolean): string {
    const src = this.src;
    const n = src.length;
    let j = this.i;
    // fast path: no escapes, no newlines
    const close = src.indexOf("'", j);
    if (close >= 0) {
      const body = src.slice(j, close);
      if (!body.includes('\\') && !body.includes('\n')) {
        this.i = close + 1;
        return body;
      }
    }
    let out = '';
    for (;;) {
      if (j >= n) this.fail('unterminated quoted constant', start);
      const c = src.charCodeAt(j);
      if (c === 39) break;
      if (c === 92 && allowEscapes) {
        const next = src.charCodeAt(j + 1);
        if (next === 39 || next === 92) {
          out += src[j + 1];
          j += 2;
          continue;
        }
        this.fail(
          `invalid escape '\\${src[j + 1] ?? ''}' in string: only \\' and \\\\ are escapes (write \\\\ for a backslash)`,
          j,
        );
      }
      if (c === 10) {
        // newlines inside strings are legal; keep line counting right
        this.line++;
        this.lineStart = j + 1;
      }
      out += src[j];
      j++;
    }
    this.i = j + 1;
    return out;
  }

  run(): Token[] {
    const src = this.src;
    const n = src.length;
    while (this.i < n) {
      const i = this.i;
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 13 || c === 12 || (c > 126 && isUnicodeSpace(c)) || c === 11) {
        this.i++;
        continue;
      }
      if (c === 10) {
        this.i++;
        this.line++;
        this.lineStart = this.i;
        continue;
      }
      const start = i;
      const line = this.line;
      const column = i - this.lineStart + 1;
      // typed quoted constants: b'…', h'…', t'…'
      if ((c === 98 || c === 104 || c === 116) && src.charCodeAt(i + 1) === 39) {
        this.i += 2;
        const body = this.readQuoted(start, false);
        this.push(c === 98 ? 'binary' : c === 104 ? 'hex' : 'timestamp', body, start, line, column);
        continue;
      }
      if (c === 39) {
        this.i++;
        this.push('string', this.readQuoted(start, true), start, line, column);
        continue;
      }
      if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentPart(src.charCodeAt(j))) j++;
        const word = src.slice(i, j);
        this.i = j;
        this.push(KEYWORDS.has(word) ? 'keyword' : 'ident', word, start, line, column);
        continue;
      }
      const next = src.charCodeAt(i + 1);
      const signed = c === 43 || c === 45;
      if (isDigit(c) || (c === 46 && isDigit(next)) || (signed && (isDigit(next) || next === 46))) {
        let j = signed ? i + 1 : i;
        const intStart = j;
        while (j < n && isDigit(src.charCodeAt(j))) j++;
        const intDigits = src.slice(intStart, j);
        let isFloat = false;
        if (src.charCodeAt(j) === 46 && isDigit(src.charCodeAt(j + 1))) {
          isFloat = true;
          j++;
          while (j < n && isDigit(src.charCodeAt(j))) j++;
        } else if (intDigits === '') {
          this.fail('a number needs digits', start);
        }
        if (!isFloat && intDigits.length > 1 && intDigits.startsWith('0')) {
          this.fail('integers may not have leading zeros', start);
        }
        if (j < n && isIdentStart(src.charCodeAt(j))) this.fail('a number may not be followed by letters', j);
        this.i = j;
        this.push(isFloat ? 'float' : 'int', src.slice(i, j), start, line, column);
        continue;
      }
      if (next === 61 && (c === 33 || c === 60 || c === 62 || c === 61)) {
        this.i += 2;
        this.push('op', c === 61 ? '=' : src.slice(i, i + 2), start, line, column);
        continue;
      }
      if (c === 60 && next === 62) {
        this.i += 2;
        this.push('op', '!=', start, line, column);
        continue;
      }
      if (c === 61 || c === 60 || c === 62) {
        this.i++;
        this.push('op', src[start] ?? '', start, line, column);
        continue;
      }
      if (c === 91 || c === 93 || c === 40 || c === 41 || c === 44 || c === 58 || c === 46 || c === 42) {
        this.i++;
        this.push('punct', src[start] ?? '', start, line, column);
        continue;
      }
      this.fail(`unexpected character '${src[i] ?? ''}'`, i);
    }
    this.push('eof', '', n, this.line, n - this.lineStart + 1);
    return this.tokens;
  }
}

export function tokenize(src: string): Token[] {
  return new Lexer(src).run();
}
