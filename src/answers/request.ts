/**
 * Requests: each question's zod schema is parsed here, and the first issue becomes a RequestError
 * that names its field, so the CLI can say `--width …` and the HTTP API `width …` from one check.
 */
import type { z } from 'zod';
import { didYouMean } from './_suggest.ts';
import { type MessagePart, RequestError, ref } from './errors.ts';
import { Problem } from './fields.ts';

/** A field's problem as an error naming the field. */
export function fieldError(field: string, p: Problem): RequestError {
  return new RequestError(p.code, field, p.whole ? p.parts : [ref(field), ' ', ...p.parts]);
}

/** A field-level problem found after parsing (a contradiction, a size off the model's grid). */
export function fail(field: string, p: Problem): never {
  throw fieldError(field, p);
}

/** Parse `input` (the CLI's flags or a JSON body) with a question's schema; throws a RequestError. */
export function parseRequest<S extends z.ZodObject>(schema: S, input: unknown, question: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const known = Object.keys(schema.shape);
  const issue = r.error.issues[0]!;
  const field = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const guess = didYouMean(key, known);
    const parts: MessagePart[] = [`unknown field "${key.slice(0, 60)}" for ${question}`];
    if (guess) parts.push('; did you mean ', ref(guess), '?');
    parts.push('; known: ');
    for (const [i, k] of known.entries()) parts.push(...(i ? [', ', ref(k)] : [ref(k)]));
    throw new RequestError('unknown-field', key, parts);
  }
  if (issue.code === 'custom') {
    const params = (issue as { params?: { problem?: Problem; missing?: boolean } }).params;
    if (params?.problem instanceof Problem) fail(field, params.problem);
    if (params?.missing) throw new RequestError('missing-field', field, [ref(field), ' is required']);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined && field)
    throw new RequestError('missing-field', field, [ref(field), ' is required']);
  if (!field) throw new RequestError('bad-request', '', [`the ${question} request must be an object of fields`]);
  throw new RequestError('bad-field', field, [ref(field), `: ${issue.message}`]);
}
