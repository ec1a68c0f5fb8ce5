/**
 * The JSON API: one route per question of src/answers/, with the same fields as the CLI's `--json`.
 * A route maps the body or query onto the question's request (parsed by its schema there) and the
 * answer back; nothing is parsed or validated here.
 */
import { type Context, Hono } from 'hono';
import { parseCheck } from '../answers/check.ts';
import { parseConstants } from '../answers/constants.ts';
import { devicesJson, parseDevices } from '../answers/devices.ts';
import { parseEstimate } from '../answers/estimate.ts';
import { parseGpus } from '../answers/gpus.ts';
import { parseModels } from '../answers/models.ts';
import { parsePlan } from '../answers/plan.ts';
import { parseRunPlan } from '../answers/run-plan.ts';
import { parseSweep } from '../answers/sweep.ts';
import { parseValidate } from '../answers/validate.ts';
import { jsonBody } from './_body.ts';
import { HttpError } from './errors.ts';
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
      `unknown query parameter ${unknown.map((k) => `"${k.slice(0, 60)}"`).join(', ')}; this route reads ${allowed.length ? allowed.join(', ') : 'none'}`,
    );
  return q;
}

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
  'GET /api/constants',
  'POST /api/plan',
  'POST /api/gpus',
  'GET /api/queue',
  'POST /api/run-plan',
] as const;

export function apiRoutes(deps: ServerDeps): Hono {
  const api = new Hono();
  const checks = boundedCache<Promise<unknown>>(64);
  let validation: unknown;

  api.get('/', (c) => {
    query(c, []);
    return c.json({
      routes: API_ROUTES,
      docs: 'Bodies and answers use the CLI flag names (camelCase) and the `--json` fields (README: genready serve).',
    });
  });

  api.get('/models', (c) => {
    parseModels(query(c, []));
    return c.json(deps.models());
  });

  api.get('/models/:id', (c) => {
    query(c, []);
    const id = c.req.param('id');
    const m = deps.models().find((x) => x.id === id);
    if (!m) throw new HttpError(404, 'unknown-model', `unknown model "${id.slice(0, 60)}"; GET /api/models lists them`);
    return c.json(m);
  });

  api.get('/devices', (c) => {
    const req = parseDevices(query(c, ['vendor', 'match']));
    try {
      return c.json(devicesJson(deps.devices(req)));
    } catch (err) {
      // A name that matches nothing is a lookup that found nothing.
      if (err instanceof Error && (err as { code?: string }).code === 'unknown-device')
        throw new HttpError(404, 'unknown-device', err.message);
      throw err;
    }
  });

  api.get('/devices/:id', (c) => {
    query(c, []);
    const id = c.req.param('id');
    const all = deps.devices({});
    const d = all.kind === 'list' ? all.devices.find((x) => x.id === id) : undefined;
    if (!d)
      throw new HttpError(
        404,
        'unknown-device',
        `unknown device id "${id.slice(0, 60)}"; GET /api/devices lists them, GET /api/devices?match=NAME resolves a name`,
      );
    return c.json(d);
  });

  // The queue panel (`genready serve --queue URL`): read-only, no URL or password in any answer.
  api.get('/queue', async (c) => {
    query(c, []);
    // No queue watched: nothing to show (204, not an error: the dashboard asks on every load).
    if (!deps.queue) return c.body(null, 204);
    try {
      return c.json(await deps.queue());
    } catch (err) {
      // Redis down is the queue's state, not the request's fault; the message names the URL without its password.
      if ((err as { code?: string }).code === 'redis-unreachable')
        throw new HttpError(503, 'redis-unreachable', (err as Error).message);
      throw err;
    }
  });

  api.post('/estimate', async (c) => c.json(await deps.estimate(parseEstimate(await jsonBody(c)))));

  api.post('/sweep', async (c) => c.json(await deps.sweep(parseSweep(await jsonBody(c)))));

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
    const req = parseCheck(query(c, ['as', 'ram', 'verbose']));
    // Probing this machine takes about a second and its answer does not change while we run.
    const key = JSON.stringify([req.as, req.ram, Boolean(req.verbose)]);
    const pending = checks.get(key, () => deps.check(req));
    try {
      return c.json(await pending);
    } catch (err) {
      checks.delete(key); // a failure (an unknown GPU name) is not remembered
      throw err;
    }
  });

  api.get('/validate', (c) => {
    parseValidate(query(c, []));
    // Pure over the data files shipped with the package: compute once per process (~0.4 s).
    validation ??= deps.validate();
    return c.json(validation);
  });

  api.get('/constants', (c) => {
    parseConstants(query(c, []));
    return c.json(deps.constants());
  });

  api.post('/plan', async (c) => {
    const req = parsePlan(await jsonBody(c));
    if (!deps.plan)
      throw new HttpError(501, 'not-available', 'the planner (genready plan) is not available in this build');
    return c.json(await deps.plan(req));
  });

  api.post('/gpus', async (c) => {
    const req = parseGpus(await jsonBody(c));
    if (!deps.gpus)
      throw new HttpError(501, 'not-available', 'the GPU ranking (genready gpus) is not available in this build');
    return c.json(deps.gpus(req));
  });

  api.post('/run-plan', async (c) => {
    const req = parseRunPlan(await jsonBody(c));
    if (!deps.runPlan)
      throw new HttpError(501, 'not-available', 'the run plan (genready run --plan) is not available in this build');
    return c.json(deps.runPlan(req));
  });

  return api;
}
