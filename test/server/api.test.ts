import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateAnswer as estimateOf, parseEstimate } from '../../src/answers/estimate.ts';
import { gpusAnswer as gpusOf, parseGpus } from '../../src/answers/gpus.ts';
import { productionLocal } from '../../src/answers/local.ts';
import { modelsAnswer } from '../../src/answers/models.ts';
import { parsePlan, planAnswer as planOf } from '../../src/answers/plan.ts';
import { listDevices } from '../../src/catalog/devices.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import type { ServerDeps } from '../../src/server/types.ts';

const GiB = 2 ** 30;
const local = productionLocal();
const estimateAnswer = (flags: Record<string, unknown>) => estimateOf(parseEstimate(flags), local);
const gpusAnswer = (flags: Record<string, unknown>) => gpusOf(parseGpus(flags));
const planAnswer = (flags: Record<string, unknown>) => planOf(parsePlan(flags), local);
const app = createApp({ deps: productionDeps(), webRoot: null });
const post = (path: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('API answers are the CLI --json answers', () => {
  test('GET /api/models lists the catalog as `genready models --json`', async () => {
    const res = await app.request('/api/models');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(modelsAnswer())));
  });

  test('GET /api/devices lists the device catalog, filtered by vendor', async () => {
    const all = (await (await app.request('/api/devices')).json()) as { id: string; vendor: string }[];
    assert.equal(all.length, listDevices().length);
    const apple = (await (await app.request('/api/devices?vendor=apple')).json()) as { vendor: string }[];
    assert.ok(apple.length > 0 && apple.every((d) => d.vendor === 'Apple'));
  });

  test('GET /api/devices?match= resolves a driver name and 404s an unknown one with suggestions', async () => {
    const ok = await app.request(`/api/devices?match=${encodeURIComponent('NVIDIA GeForce RTX 4060 Ti 16GB')}`);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { device: { id: string } }).device.id, 'nvidia-geforce-rtx-4060-ti-16gb');
    const bad = await app.request('/api/devices?match=RTX%209999');
    assert.equal(bad.status, 404);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unknown-device');
    assert.match(body.error.message, /unknown device "RTX 9999"/);
  });

  test('GET /api/devices/:id and /api/models/:id find one entry or 404', async () => {
    assert.equal((await app.request('/api/devices/nvidia-geforce-rtx-4090')).status, 200);
    assert.equal((await app.request('/api/devices/nope')).status, 404);
    assert.equal(((await (await app.request('/api/models/sdxl')).json()) as { id: string }).id, 'sdxl');
    assert.equal((await app.request('/api/models/sdxxl')).status, 404);
  });

  test('POST /api/estimate answers exactly as `genready estimate --json`', async () => {
    // Batch 1: at batch 4 the fp32 decode of the whole batch needs ~18 GB of activations (measured on an H100) and does not fit.
    const flags = { model: 'sdxl', device: 'RTX 4060 Ti 16GB', width: 1024, height: 1024, batch: 1 };
    const res = await post('/api/estimate', flags);
    assert.equal(res.status, 200);
    const got = (await res.json()) as { time: { imagesPerHour: number }; fits: boolean };
    assert.deepEqual(got, JSON.parse(JSON.stringify(await estimateAnswer(flags))));
    assert.ok(got.fits && got.time.imagesPerHour > 0);
  });

  test('POST /api/estimate accepts numbers as strings and a size, like the CLI', async () => {
    const a = await (
      await post('/api/estimate', { model: 'sd15', device: 'RTX 3060 12GB', size: '768x512', batch: '2' })
    ).json();
    const b = await (
      await post('/api/estimate', { model: 'sd15', device: 'RTX 3060 12GB', width: 768, height: 512, batch: 2 })
    ).json();
    assert.deepEqual(a, b);
  });

  test('POST /api/estimate without a device gives the device-independent memory', async () => {
    const got = (await (await post('/api/estimate', { model: 'sd15' })).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(got).sort(), ['components', 'memory', 'workload']);
  });

  test('POST /api/sweep gives peak memory from 256 to 2048 px, growing with the size, and where it stops fitting', async () => {
    const res = await post('/api/sweep', { model: 'sdxl', device: 'RTX 4060 Ti 8GB', strategy: 'gpu', batch: 1 });
    assert.equal(res.status, 200);
    const s = (await res.json()) as {
      points: { width: number; height: number; peakDeviceBytes: number; fits: boolean }[];
      largestFitting: Record<string, number | null>;
      usableDeviceBytes: number;
    };
    assert.equal(s.points[0]!.width, 256);
    assert.equal(s.points.at(-1)!.width, 2048);
    for (let i = 1; i < s.points.length; i++)
      assert.ok(s.points[i]!.peakDeviceBytes > s.points[i - 1]!.peakDeviceBytes);
    const gpuMax = s.largestFitting.gpu!;
    // Each point agrees with a single estimate at that size.
    const at = s.points.find((p) => p.width === 1024)!;
    const e = (await estimateAnswer({
      model: 'sdxl',
      device: 'RTX 4060 Ti 8GB',
      strategy: 'gpu',
      width: 1024,
      height: 1024,
    })) as { memory: { peakDeviceBytes: number }; fits: boolean };
    assert.equal(at.peakDeviceBytes, e.memory.peakDeviceBytes);
    assert.equal(at.fits, e.fits);
    assert.ok(s.points.filter((p) => p.fits).every((p) => p.width <= gpuMax));
  });

  test('POST /api/sweep keeps the aspect ratio on the 64 px grid', async () => {
    const s = (await (
      await post('/api/sweep', { model: 'sdxl', device: 'RTX 4090', width: 1216, height: 832 })
    ).json()) as { points: { width: number; height: number }[] };
    assert.deepEqual(s.points.at(-1), { ...s.points.at(-1), width: 2048, height: 1408 });
    assert.ok(s.points.every((p) => p.height % 64 === 0 && p.height < p.width));
  });

  test('GET /api/usable gives the usable memory of common card sizes, below their nominal size', async () => {
    const u = (await (await app.request('/api/usable')).json()) as { memoryGiB: number; bytes: number }[];
    assert.deepEqual(
      u.map((x) => x.memoryGiB),
      [6, 8, 12, 16, 24, 32, 48, 80],
    );
    for (const x of u) assert.ok(x.bytes < x.memoryGiB * GiB && x.bytes > (x.memoryGiB - 1) * GiB);
    assert.equal((await app.request('/api/usable?sizes=8,-1')).status, 400);
  });

  test('GET /api/check?as= gives the tier of a catalog GPU', async () => {
    const r = (await (await app.request(`/api/check?as=${encodeURIComponent('RTX 4060 Ti 16GB')}`)).json()) as {
      tier: { level: number };
      machine: { device: { id: string } };
    };
    assert.equal(r.machine.device.id, 'nvidia-geforce-rtx-4060-ti-16gb');
    assert.ok(r.tier.level >= 3);
    const bad = await app.request('/api/check?as=RTX%209999');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /unknown device/);
  });

  test('GET /api/validate gives predicted vs published rows', async () => {
    const v = (await (await app.request('/api/validate')).json()) as {
      rows: unknown[];
      summary: { speed: { all: { n: number } } };
    };
    assert.ok(v.rows.length > 100);
    assert.ok(v.summary.speed.all.n > 0);
  });

  test('GET /api lists the routes', async () => {
    const r = (await (await app.request('/api')).json()) as { routes: string[] };
    assert.ok(r.routes.includes('POST /api/estimate'));
  });
});

describe('route groups from other features', () => {
  test('extraRoutes mount beside the API and keep its error handling', async () => {
    const a = createApp({
      deps: productionDeps(),
      log: () => {},
      extraRoutes: (r) => {
        r.get('/review/ping', (c) => c.json({ pong: true }));
        r.get('/review/fail', () => {
          throw new (class extends Error {})('boom');
        });
      },
    });
    assert.deepEqual(await (await a.request('/review/ping')).json(), { pong: true });
    const fail = await a.request('/review/fail');
    assert.equal(fail.status, 500);
    assert.equal(((await fail.json()) as { error: { code: string } }).error.code, 'internal');
    assert.equal((await a.request('/review/ping', { method: 'POST' })).status, 405);
  });
});

/** Fakes for the slow or machine-dependent seams. */
function fakeDeps(over: Partial<ServerDeps>): ServerDeps {
  return { ...productionDeps(), ...over };
}

describe('the server process caches slow answers', () => {
  test('this machine is probed once, a failed check is not remembered', async () => {
    let probes = 0;
    let fail = true;
    const a = createApp({
      deps: fakeDeps({
        check: async (o) => {
          probes++;
          if (o.as === 'bad' && fail) {
            fail = false;
            throw new (await import('../../src/catalog/errors.ts')).CatalogError(
              'unknown-device',
              'unknown device "bad"',
            );
          }
          return { tier: { level: 2 }, as: o.as ?? null };
        },
      }),
    });
    await a.request('/api/check');
    await a.request('/api/check');
    assert.equal(probes, 1);
    assert.equal((await a.request('/api/check?as=bad')).status, 400);
    assert.equal((await a.request('/api/check?as=bad')).status, 200);
    assert.equal(probes, 3);
  });
});

describe('the planner routes', () => {
  test('POST /api/gpus answers exactly as `genready gpus --json`', async () => {
    const flags = { for: 'sdxl 1024x1024 batch 4', top: 5 };
    const res = await post('/api/gpus', flags);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(gpusAnswer(flags))));
  });

  test('POST /api/plan answers exactly as `genready plan --json` for a catalog GPU', async () => {
    const flags = { model: 'sdxl', size: '1024x1024', images: 2000, within: '8h', as: 'RTX 4060 Ti 16GB' };
    const res = await post('/api/plan', flags);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(await planAnswer(flags))));
  });

  test('POST /api/plan rejects a field the command does not know and reports missing ones in API words', async () => {
    const typo = await post('/api/plan', { model: 'sdxl', images: 10, within: '8h', withn: '9h' });
    assert.equal(typo.status, 400);
    assert.match(
      ((await typo.json()) as { error: { message: string } }).error.message,
      /unknown field "withn" for plan; did you mean within\?; known: .*within/,
    );
    const missing = await post('/api/plan', { model: 'sdxl', within: '8h' });
    assert.equal(missing.status, 400);
    const body = (await missing.json()) as { error: { message: string; field: string } };
    assert.equal(body.error.message, 'images is required');
    assert.equal(body.error.field, 'images');
  });

  test('POST /api/plan passes the parsed request to the planner', async () => {
    let seen: unknown;
    const a = createApp({
      deps: fakeDeps({
        plan: async (f) => {
          seen = f;
          return { ok: true };
        },
      }),
    });
    const res = await a.request('/api/plan', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sdxl', images: 1000, within: '8h' }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(seen, { model: 'sdxl', images: 1000, within: 8 });
  });

  test('a planner route without its function answers 501, not a crash', async () => {
    const deps = productionDeps();
    delete deps.plan;
    delete deps.gpus;
    const a = createApp({ deps });
    const res = await a.request('/api/gpus', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"sdxl"}',
    });
    assert.equal(res.status, 501);
  });
});
