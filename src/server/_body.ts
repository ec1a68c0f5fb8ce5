/**
 * Request bodies: JSON objects whose fields are the CLI's flag names (camelCase), checked for shape
 * here and for meaning by the library (which owns the messages for an unknown model or a bad size).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { HttpError } from './errors.ts';

/** Numbers may come as JSON numbers or as the strings a form or the CLI would send. */
const numeric = z.union([z.number(), z.string().max(32)]);
const text = z.string().max(200);

/** The flags of `genready estimate` (see `estimateArgs` in src/cli/commands/estimate.ts). */
export const estimateBody = z.strictObject({
  model: text,
  device: text.optional(),
  width: numeric.optional(),
  height: numeric.optional(),
  size: text.optional(),
  batch: numeric.optional(),
  steps: numeric.optional(),
  precision: text.optional(),
  textPrecision: text.optional(),
  vaePrecision: text.optional(),
  cfg: z.enum(['on', 'off']).optional(),
  attention: text.optional(),
  vaeTiling: z.boolean().optional(),
  controlnet: z.boolean().optional(),
  strategy: text.optional(),
  runtime: text.optional(),
  ram: numeric.optional(),
});
export type EstimateBody = z.infer<typeof estimateBody>;

/**
 * Commands whose flags the lead's planner owns (`plan`, `gpus`): flat objects of scalars, with the
 * flag names checked by the command itself, so a new flag there needs no change here.
 */
export const flagsBody = z.record(
  z
    .string()
    .max(40)
    .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'field names are flag names, e.g. "within"'),
  z.union([z.string().max(200), z.number(), z.boolean()]),
);

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const at = i.path.length ? i.path.join('.') : 'body';
      if (i.code === 'unrecognized_keys')
        return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      if (i.code === 'invalid_type' && i.input === undefined) return `${at} is required`;
      return `${at}: ${i.message}`;
    })
    .join('; ');
}

/** Parse and check a JSON body; every failure is a 4xx HttpError with a sentence a person can act on. */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
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
    throw new HttpError(400, 'bad-json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'bad-body', 'the body must be a JSON object');
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, 'bad-field', describe(r.error.issues));
  return r.data;
}
