/**
 * GET /api/queue (`genready serve --queue URL`): the queue panel's JSON from a real Redis with a real
 * worker's heartbeat: its GPU and tier, images/hour, each run's time left and failures; read-only
 * (no write reaches Redis, no other method is allowed), and the password is in no answer or log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { fakeProbe } from '../../src/probe/fake.ts';
import { queuePanel } from '../../src/queue/admin.ts';
import { KEYS, type RunStatus } from '../../src/queue/types.ts';
import { parseQueueUrl } from '../../src/queue/url.ts';
import { startWorker, type WorkerHandle } from '../../src/queue/worker.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { startRedis, type TestRedis } from '../queue/_redis.ts';

const PASSWORD = 'panel-sekret-9f2';

describe('GET /api/queue', () => {
  let redis: TestRedis;
  let worker: WorkerHandle;
  let c: Redis;
  const logs: string[] = [];
  const run: RunStatus = {
    runId: 'r1',
    recipe: '/home/someone/recipes/cats.yaml',
    outputDir: '/mnt/shared/cats',
    queue: 'images-cuda',
    total: 1000,
    done: 400,
    failed: 2,
    imagesPerHour: 1200,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:20:00.000Z',
    finished: false,
  };

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    c = new Redis(redis.url);
    // A real worker (in-process) on a probed RTX 4090: its heartbeat is what the panel shows.
    worker = await startWorker({
      address: parseQueueUrl(redis.url),
      id: 'gpu-box-1',
      provider: 'cuda',
      probe: async () => fakeProbe({ gpuName: 'NVIDIA GeForce RTX 4090', gpuMemoryGiB: 24, ramGiB: 64 }),
    });
    // The coordinator's status line of a run (what `genready run --queue` writes every tick).
    await c.hset(KEYS.runs, run.runId, JSON.stringify(run));
    // A worker whose heartbeat key expired: `queue workers` forgets it; a read-only panel must not.
    await c.zadd(KEYS.workers, 1, 'ghost');
  });
  after(async () => {
    await worker?.stop();
    c?.disconnect();
    await redis?.stop();
  });

  const app = () =>
    createApp({
      deps: { ...productionDeps(), queue: () => queuePanel(parseQueueUrl(redis.url)) },
      log: (l) => logs.push(l),
    });

  it('workers with GPU and tier, images/hour, time left and failures; the password nowhere', async () => {
    const res = await app().request('/api/queue');
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(!text.includes(PASSWORD), 'the password is in the answer');
    const q = JSON.parse(text);
    const w = q.workers.find((x: { id: string }) => x.id === 'gpu-box-1');
    assert.equal(w.gpu, 'NVIDIA GeForce RTX 4090');
    assert.equal(w.plannedFor, 'GeForce RTX 4090');
    assert.equal(w.tier.level, 4);
    assert.equal(w.provider, 'cuda');
    assert.equal(w.active, true);
    assert.equal(q.workersActive, 1);
    assert.equal(q.imagesPerHour, w.imagesPerHour);
    const r = q.runs.find((x: { runId: string }) => x.runId === 'r1');
    // (1000 − 400 done − 2 failed) images at 1,200 an hour: 0.4983 h.
    assert.equal(r.etaSeconds, Math.round(((1000 - 400 - 2) / 1200) * 3600));
    assert.equal(r.recipe, 'cats.yaml', 'the recipe by name, not its path');
    assert.ok(!text.includes('/mnt/shared'), 'no folder paths');
    assert.deepEqual(q.failures, { images: 2, chunks: 0 });
    assert.ok(!logs.join('\n').includes(PASSWORD));
  });

  it('read-only: reading leaves Redis as it was; other methods are refused', async () => {
    await app().request('/api/queue');
    assert.equal(await c.zscore(KEYS.workers, 'ghost'), '1', 'the panel removed a worker entry');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await app().request('/api/queue', { method });
      assert.ok([403, 405].includes(res.status), `${method}: ${res.status}`);
    }
  });

  it('Redis down: 503 naming the address without the password; a server without --queue: 204, nothing', async () => {
    const down = createApp({
      deps: { ...productionDeps(), queue: () => queuePanel(parseQueueUrl(`redis://:${PASSWORD}@127.0.0.1:1`)) },
      log: (l) => logs.push(l),
    });
    const res = await down.request('/api/queue');
    const text = await res.text();
    assert.equal(res.status, 503, text);
    assert.match(JSON.parse(text).error.message, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    assert.ok(!text.includes(PASSWORD));
    const none = await createApp({ deps: productionDeps() }).request('/api/queue');
    assert.equal(none.status, 204);
    assert.equal(await none.text(), '');
    assert.ok(!logs.join('\n').includes(PASSWORD));
  });
});
