/**
 * The error catalogue. Core and services throw these with a stable `code`; only the HTTP error mapper and the
 * CLI turn codes into statuses or exit codes. Never put an HTTP status in here.
 */
export type ErrorCode =
  | 'INVALID'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'CONFLICT'
  | 'TOO_LARGE'
  | 'UNSUPPORTED'
  /** The caller accepts no representation we can produce (content negotiation). */
  | 'NOT_ACCEPTABLE'
  /** Well-formed request whose content cannot be processed (e.g. a TAXII envelope that is not one). */
  | 'UNPROCESSABLE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** One problem found in an input, with where it is. `objectId` names the STIX object when there is one. */
export interface Problem {
  readonly path: string;
  readonly message: string;
  readonly objectId?: string | undefined;
  readonly severity: 'error' | 'warning';
  /** A short machine-readable rule name, e.g. `required`, `id-format`, `timestamp`. */
  readonly rule: string;
}

export class EntenteError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly Problem[] | Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: readonly Problem[] | Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EntenteError';
    this.code = code;
    this.details = details;
  }
}

export const invalid = (
  message: string,
  details?: readonly Problem[] | Record<string, unknown>,
): EntenteError => new EntenteError('INVALID', message, details);
export const notFound = (message: string): EntenteError => new EntenteError('NOT_FOUND', message);
export const conflict = (message: string, details?: Record<string, unknown>): EntenteError =>
  new EntenteError('CONFLICT', message, details);
export const tooLarge = (message: string, details?: Record<string, unknown>): EntenteError =>
  new EntenteError('TOO_LARGE', message, details);

export const isEntenteError = (err: unknown): err is EntenteError => err instanceof EntenteError;
