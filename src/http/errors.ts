/**
 * The one error mapper: turns catalogue codes into HTTP responses. `/api/` gets `{ error: { code, message,
 * details } }`; unknown errors become a 500 with the request id, logged once here.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { isEntenteError, type ErrorCode } from '../core/errors.js';
import { TAXII_MEDIA_TYPE } from '../taxii/media.js';
import { errorResource } from '../taxii/present.js';

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

/** TAXII paths answer with TAXII error resources (TAXII 2.1 §3.6.1), everything else with the API shape. */
const isTaxiiPath = (url: string): boolean =>
  url === '/taxii2' || url.startsWith('/taxii2/') || url.startsWith('/taxii2?');

function send(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
  details?: unknown,
): void {
  // Busy or the database away: worth trying again soon (clients such as Entente's own honour it).
  if (status === 503) void reply.header('retry-after', '5');
  if (isTaxiiPath(req.url)) {
    if (status === 401)
      void reply.header('www-authenticate', 'Basic realm="entente", Bearer realm="entente"');
    void reply
      .status(status)
      .header('content-type', TAXII_MEDIA_TYPE)
      .send(Buffer.from(JSON.stringify(errorResource(status, message, { code, errorId: req.id, details }))));
    return;
  }
  void reply.status(status).send({ error: { code, message, details } });
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (isEntenteError(err)) {
    send(req, reply, STATUS[err.code], err.code, err.message, err.details);
    return;
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    // Fastify's own client errors (bad JSON, body too large, validation).
    const code: ErrorCode =
      fe.statusCode === 413 ? 'TOO_LARGE' : fe.statusCode === 415 ? 'UNSUPPORTED' : 'INVALID';
    send(req, reply, fe.statusCode, code, fe.message);
    return;
  }
  req.log.error({ err }, 'unhandled error');
  send(req, reply, 500, 'INTERNAL', `internal error (request ${req.id})`);
}

/**
 * Errors of Node's HTTP parser, before there is a request to route (headers over the size limit, a malformed request
 * line or chunk, a request that took too long): an error response written to the socket, which is then closed. The
 * API shape when the request line read names a path outside /taxii2/; otherwise (a TAXII path, or no request line
 * in the packet that failed, as for a body that timed out) a TAXII error resource: TAXII is what this server is for.
 */
export function clientErrorHandler(
  err: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'INVALID', 'the request line and headers exceed the size limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'INVALID', 'the request took too long to arrive']
        : [400, 'INVALID', 'malformed HTTP request'];
  const firstLine = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, 64).toString('latin1') : '';
  const target = /^[A-Z]+ (\S+)/.exec(firstLine)?.[1];
  const taxii = target === undefined || isTaxiiPath(target);
  const body = JSON.stringify(
    taxii ? errorResource(status, message, { code }) : { error: { code, message } },
  );
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: ${taxii ? TAXII_MEDIA_TYPE : 'application/json; charset=utf-8'}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}
