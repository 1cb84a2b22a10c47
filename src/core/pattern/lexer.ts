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

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;
  const fail = (msg: string, at: number): never => {
    throw new PatternSyntaxError(msg, line, at - lineStart + 1);
  };
  const push = (type: TokenType, text: string, start: number): void => {
    tokens.push({ type, text, offset: start, line, column: start - lineStart + 1 });
  };
  /** Reads a quoted body starting after the opening quote; only \' and \\ are escapes (the grammar's rule). */
  const readQuoted = (start: number, allowEscapes: boolean): string => {
    let out = '';
    let j = i;
    for (;;) {
      if (j >= n) fail('unterminated quoted constant', start);
      const c = src.charCodeAt(j);
      if (c === 39) break;
      if (c === 92 && allowEscapes) {
        const next = src.charCodeAt(j + 1);
        if (next === 39 || next === 92) {
          out += src[j + 1];
          j += 2;
          continue;
        }
        fail(
          `invalid escape '\\${src[j + 1] ?? ''}' in string: only \\' and \\\\ are escapes (write \\\\ for a backslash)`,
          j,
        );
      }
      if (c === 10) {
        // newlines inside strings are legal; keep line counting right
        line++;
        lineStart = j + 1;
      }
      out += src[j];
      j++;
    }
    i = j + 1;
    return out;
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    const start = i;
    const startLine = line;
    const startCol = i - lineStart + 1;
    const pushAt = (type: TokenType, text: string): void => {
      tokens.push({ type, text, offset: start, line: startLine, column: startCol });
    };
    // typed quoted constants: b'…', h'…', t'…'
    if ((c === 98 || c === 104 || c === 116) && src.charCodeAt(i + 1) === 39) {
      i += 2;
      const body = readQuoted(start, false);
      pushAt(c === 98 ? 'binary' : c === 104 ? 'hex' : 'timestamp', body);
      continue;
    }
    if (c === 39) {
      i++;
      pushAt('string', readQuoted(start, true));
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      const word = src.slice(i, j);
      i = j;
      push(KEYWORDS.has(word) ? 'keyword' : 'ident', word, start);
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
        fail('a number needs digits', start);
      }
      if (!isFloat && intDigits.length > 1 && intDigits.startsWith('0')) {
        fail('integers may not have leading zeros', start);
      }
      if (j < n && isIdentStart(src.charCodeAt(j))) fail('a number may not be followed by letters', j);
      const text = src.slice(i, j);
      i = j;
      push(isFloat ? 'float' : 'int', text, start);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=' || two === '==') {
      i += 2;
      push('op', two === '<>' ? '!=' : two === '==' ? '=' : two, start);
      continue;
    }
    if (c === 61 || c === 60 || c === 62) {
      i++;
      push('op', src[start] ?? '', start);
      continue;
    }
    if (c === 91 || c === 93 || c === 40 || c === 41 || c === 44 || c === 58 || c === 46 || c === 42) {
      i++;
      push('punct', src[start] ?? '', start);
      continue;
    }
    fail(`unexpected character '${src[i] ?? ''}'`, i);
  }
  tokens.push({ type: 'eof', text: '', offset: n, line, column: n - lineStart + 1 });
  return tokens;
}
