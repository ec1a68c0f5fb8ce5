/**
 * How failures look over HTTP: always a JSON body `{ error: { status, code, message } }`, never a
 * stack trace. Expected library failures (GenreadyError) keep their code and message; anything else
 * is an internal error whose details stay in the server's log.
 */
import { RequestError } from '../answers/errors.ts';
import { GenreadyError } from '../catalog/errors.ts';

export interface ErrorBody {
  /** `field`: the request field at fault, when a request error names one. */
  error: { status: number; code: string; message: string; field?: string };
}

/** A failure the HTTP layer itself decides (bad JSON, too large, wrong method). */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 413 | 415 | 422 | 500 | 501 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * A library failure is a bad request (400): the body or query named an unknown model, an impossible
 * size. Lookups of one resource (`/api/devices/:id`, `?match=`) throw their own 404 HttpError.
 */
export function errorBody(err: unknown): ErrorBody {
  if (err instanceof HttpError) return { error: { status: err.status, code: err.code, message: err.message } };
  if (err instanceof RequestError)
    return {
      error: { status: 400, code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) },
    };
  if (err instanceof GenreadyError) return { error: { status: 400, code: err.code, message: err.message } };
  return { error: { status: 500, code: 'internal', message: 'internal error (see the server log)' } };
}
