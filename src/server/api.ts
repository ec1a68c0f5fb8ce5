/**
 * The JSON API: one route per CLI answer, with the same fields as `--json`. Routes only translate
 * HTTP to library calls (through `ServerDeps`) and back; validation of meaning stays in the library.
 */
import { type Context, Hono } from 'hono';
import { estimateBody, flagsBody, jsonBody } from './_body.ts';
import { HttpError } from './errors.ts';
import { sweep } from './sweep.ts';
import type { ServerDeps } from './types.ts';

/** Common card sizes the memory chart draws as reference lines (GB as marketed). */
export const COMMON_SIZES_GIB: readonly number[] = [6, 8, 12, 16, 24, 32, 48, 80];

/** Reject query parameters a route does not read, so a typo is an error, not silently ignored. */
function query(c: Context, allowed: readonly string[]): Record<string, string> {
  const q = c.req.query();
  const unknown = Object.keys(q).filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new HttpError(
      400,
      'unknown-parameter',
      `unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')}; this route reads ${allowed.length ? allowed.join(', ') : 'none'}`,
    );
  return q;
}

const flag = (v: string | undefined) => v !== undefined && v !== '0' && v !== 'false';

/** A small bounded cache: `check --as` answers are pure per GPU but a visitor can ask for many. */
function boundedCache<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get(key: string, make: () => V): V {
      const hit = m.get(key);
      if (hit !== undefined) return hit;
      const v = make();
      m.set(key, v);
      if (m.size > max) m.delete(m.keys().next().value!);
      return v;
    },
    delete: (key: string) => m.delete(key),
  };
}

export const API_ROUTES = [
  'GET /api',
  'GET /api/models',
  'GET /api/models/:id',
  'GET /api/devices?vendor=&match=',
  'GET /api/devices/:id',
  'POST /api/estimate',
  'POST /api/sweep',
  'GET /api/usable?sizes=6,8,12',
  'GET /api/check?as=&ram=&verbose=1',
  'GET /api/validate',
  'POST /api/plan',
  'POST /api/gpus',
] as const;

export function apiRoutes(deps: ServerDeps): Hono {
  const api = new Hono();
  const checks = boundedCache<Promise<unknown>>(64);
  let validation: unknown;

  api.get('/', (c) => {
    query(c, []);
    return c.json({
      routes: API_ROUTES,
      docs: 'Bodies and answers use the CLI flag names and the `--json` fields (README: genready serve).',
    });
  });

  api.get('/models', (c) => {
    query(c, []);
    return c.json(deps.models());
  });

  api.get('/models/:id', (c) => {
    query(c, []);
    const id = c.req.param('id');
    const m = deps.models().find((x) => (x as { id: string }).id === id);
    if (!m) throw new HttpError(404, 'unknown-model', `unknown model "${id}"; GET /api/models lists them`);
    return c.json(m);
  });

  api.get('/devices', (c) => {
    const q = query(c, ['vendor', 'match']);
    if (q.match !== undefined) {
      const m = deps.matchDevice(q.match);
      if (m.kind === 'unknown') {
        throw new HttpError(
          404,
          'unknown-device',
          `unknown device "${m.query}"${m.suggestions.length ? `; did you mean: ${m.suggestions.join(', ')}?` : ''}`,
        );
      }
      return c.json(m);
    }
    const vendor = q.vendor?.toLowerCase();
    return c.json(deps.devices().filter((d) => !vendor || d.vendor.toLowerCase() === vendor));
  });

  api.get('/devices/:id', (c) => {
    query(c, []);
    const id = c.req.param('id');
    const d = deps.devices().find((x) => x.id === id);
    if (!d)
      throw new HttpError(
        404,
        'unknown-device',
        `unknown device id "${id}"; GET /api/devices lists them, GET /api/devices?match=NAME resolves a name`,
      );
    return c.json(d);
  });

  api.post('/estimate', async (c) => c.json(deps.estimate(await jsonBody(c, estimateBody))));

  api.post('/sweep', async (c) => c.json(sweep(deps.estimate, await jsonBody(c, estimateBody))));

  api.get('/usable', (c) => {
    const q = query(c, ['sizes']);
    const sizes = q.sizes === undefined ? COMMON_SIZES_GIB : q.sizes.split(',').map(Number);
    if (sizes.length > 32 || sizes.some((s) => !Number.isFinite(s) || s <= 0 || s > 4096)) {
      throw new HttpError(
        400,
        'bad-sizes',
        'sizes must be up to 32 comma-separated GB values between 0 and 4096, e.g. sizes=8,16,24',
      );
    }
    return c.json(sizes.map((memoryGiB) => ({ memoryGiB, ...deps.usableForSize(memoryGiB) })));
  });

  api.get('/check', async (c) => {
    const q = query(c, ['as', 'ram', 'verbose']);
    const opts = { ...(q.as ? { as: q.as } : {}), ...(q.ram ? { ram: q.ram } : {}), verbose: flag(q.verbose) };
    // Probing this machine takes about a second and its answer does not change while we run.
    const key = JSON.stringify(opts);
    const pending = checks.get(key, () => deps.check(opts));
    try {
      return c.json(await pending);
    } catch (err) {
      checks.delete(key); // a failure (an unknown GPU name) is not remembered
      throw err;
    }
  });

  api.get('/validate', (c) => {
    query(c, []);
    // Pure over the data files shipped with the package: compute once per process (~0.4 s).
    validation ??= deps.validate();
    return c.json(validation);
  });

  api.post('/plan', async (c) => {
    const flags = await jsonBody(c, flagsBody);
    if (!deps.plan)
      throw new HttpError(501, 'not-available', 'the planner (genready plan) is not available in this build');
    return c.json(await deps.plan(flags));
  });

  api.post('/gpus', async (c) => {
    const flags = await jsonBody(c, flagsBody);
    if (!deps.gpus)
      throw new HttpError(501, 'not-available', 'the GPU ranking (genready gpus) is not available in this build');
    return c.json(deps.gpus(flags));
  });

  return api;
}
