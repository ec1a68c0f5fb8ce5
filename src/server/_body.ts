/**
 * Request bodies: a JSON object whose fields are the request fields of src/answers/ (the CLI's
 * flag names in camelCase). Here only the transport is checked (type, JSON, an object); each
 * route's question parses the fields with its own schema.
 */
import type { Context } from 'hono';
import { HttpError } from './errors.ts';

/** Read a JSON object body; every failure is a 4xx HttpError with a sentence a person can act on. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(
      415,
      'unsupported-media-type',
      `send the body as JSON with "Content-Type: application/json" (got ${type ? `"${type.slice(0, 60)}"` : 'none'})`,
    );
  }
  const raw = await c.req.text();
  if (!raw.trim())
    throw new HttpError(400, 'empty-body', 'the body is empty; send a JSON object such as {"model":"sdxl"}');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new HttpError(400, 'bad-json', `the body is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'bad-body', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
