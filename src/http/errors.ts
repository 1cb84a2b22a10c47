/**
 * The one error mapper: turns catalogue codes into HTTP responses. `/api/` gets `{ error: { code, message,
 * details } }`; unknown errors become a 500 with the request id, logged once here.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isEntenteError, type ErrorCode } from '../core/errors.js';

const STATUS: Record<ErrorCode, number> = {
  INVALID: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  UNAUTHENTICATED: 401,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNSUPPORTED: 415,
  NOT_ACCEPTABLE: 406,
  UNPROCESSABLE: 422,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (isEntenteError(err)) {
    void reply
      .status(STATUS[err.code])
      .send({ error: { code: err.code, message: err.message, details: err.details } });
    return;
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    // Fastify's own client errors (bad JSON, body too large, validation).
    const code: ErrorCode =
      fe.statusCode === 413 ? 'TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED' : 'INVALID';
    void reply.status(fe.statusCode).send({ error: { code, message: fe.message } });
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.status(500).send({ error: { code: 'INTERNAL', message: `internal error (request ${req.id})` } });
}
