/**
 * The fault suite: real worker and coordinator processes on the tiny example model, a fresh
 * redis-server per test. Each fault reports deliveries, redeliveries, extra generations, images
 * lost, conflicts and recovery seconds (printed at the end), and must end with 0 lost, 0 conflicts
 * and every image byte-identical to a single-machine run of the same recipe.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobIdOf } from '../../src/queue/coordinator.ts';
import { PREFIX } from '../../src/queue/types.ts';
import {
  coordinator,
  type Figures,
  type Fixture,
  figures,
  fixture,
  LOCK_SECONDS,
  manifestIndices,
  type Proc,
  worker,
} from './_cluster.ts';
import { startProxy, startRedis, type TestRedis } from './_redis.ts';

const table: Figures[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const written = (p: Proc) => p.events.filter((e) => e.event === 'image' && e.outcome === 'written').length;

describe('queue faults', { timeout: 600_000 }, () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
  });
  after(() => {
    const cols = [
      'scenario',
      'deliveries',
      'redeliveries',
      'extraGenerations',
      'lost',
      'conflicts',
      'recoverySeconds',
      'seconds',
    ] as const;
    const lines = [cols.join(' | '), ...table.map((f) => cols.map((c) => String(f[c])).join(' | '))];
    process.stdout.write(
      `\n# fault figures (${fx?.total} images per run, chunks of 2, lock ${LOCK_SECONDS} s)\n${lines.map((l) => `# ${l}`).join('\n')}\n`,
    );
  });

  /** Start Redis, run `body`, always stop every process and Redis. */
  async function scenario(
    name: string,
    body: (ctx: { redis: TestRedis; url: string; procs: Proc[]; recipe: { path: string; out: string } }) => Promise<{
      faultAt?: number;
      exclude?: number[];
      coord: Proc;
    }>,
  ) {
    const redis = await startRedis();
    const procs: Proc[] = [];
    const recipe = fx.recipe(name);
    const startedAt = Date.now();
    try {
      const r = await body({ redis, url: redis.url, procs, recipe });
      const exit = await Promise.race([
        r.coord.exited,
        sleep(120_000).then(() => {
          throw new Error(`${name}: the coordinator did not finish in 120 s: ${r.coord.stderr.slice(-800)}`);
        }),
      ]);
      const f = figures(
        name,
        fx,
        recipe.out,
        procs.filter((p) => p !== r.coord),
        {
          startedAt,
          ...(r.faultAt !== undefined ? { faultAt: r.faultAt } : {}),
          ...(r.exclude ? { exclude: r.exclude } : {}),
        },
      );
      table.push(f);
      assert.deepEqual(f.missing, [], `${name}: images lost`);
      assert.equal(f.conflicts, 0, `${name}: conflicts`);
      assert.deepEqual(f.differing, [], `${name}: images differ from the single-machine run`);
      const idx = manifestIndices(recipe.out);
      assert.equal(new Set(idx).size, idx.length, `${name}: an index recorded twice in the manifest`);
      return { exit, figures: f, out: recipe.out, indices: idx };
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await redis.stop();
    }
  }

  it('kill -9 a worker mid-chunk: its chunk is redone by the other', async () => {
    const r = await scenario('kill9', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1');
      procs.push(coord, w1);
      await w1.until((e) => e.some((x) => x.event === 'image'), 90_000, 'w1 first image');
      w1.kill('SIGKILL');
      const faultAt = Date.now();
      const w2 = worker(url, 'w2');
      procs.push(w2);
      return { coord, faultAt };
    });
    assert.equal(r.exit.code, 0);
    assert.equal(r.indices.length, fx.total);
  });

  it('SIGSTOP a worker past its lock, then SIGCONT: the chunk moves on, late bytes are identical repeats', async () => {
    const r = await scenario('sigstop', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1');
      const w2 = worker(url, 'w2');
      procs.push(coord, w1, w2);
      await w1.until((e) => e.some((x) => x.event === 'start'), 90_000, 'w1 start');
      w1.kill('SIGSTOP');
      await sleep(LOCK_SECONDS * 1000 * 2 + 1500);
      w1.kill('SIGCONT');
      return { coord, faultAt: Date.now() };
    });
    assert.equal(r.exit.code, 0);
  });

  it('Redis killed and restarted empty: the coordinator offers the missing chunks again', async () => {
    const r = await scenario('redis-restart', async ({ redis, url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1');
      procs.push(coord, w1);
      await w1.until((e) => e.filter((x) => x.event === 'image').length >= 3, 90_000, 'three images');
      await redis.kill();
      await sleep(1500);
      await redis.restart();
      return { coord, faultAt: Date.now() };
    });
    assert.equal(r.exit.code, 0);
  });

  it('FLUSHALL mid-run: nothing lost, the queue is rebuilt from the store', async () => {
    const r = await scenario('flushall', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1');
      procs.push(coord, w1);
      await w1.until((e) => e.filter((x) => x.event === 'image').length >= 3, 90_000, 'three images');
      const c = new Redis(url);
      await c.flushall();
      c.disconnect();
      return { coord, faultAt: Date.now() };
    });
    assert.equal(r.exit.code, 0);
  });

  it('network cut between a worker and Redis: the other worker takes over; the cut one rejoins', async () => {
    const r = await scenario('network-cut', async ({ redis, url, procs, recipe }) => {
      const proxy = await startProxy(redis.port);
      const coord = coordinator(url, recipe.path);
      const w1 = worker(`redis://127.0.0.1:${proxy.port}`, 'w1');
      procs.push(coord, w1);
      await w1.until((e) => e.some((x) => x.event === 'start'), 90_000, 'w1 start');
      proxy.cut('blackhole');
      const w2 = worker(url, 'w2');
      procs.push(w2);
      await sleep(LOCK_SECONDS * 1000 * 2 + 2000);
      proxy.heal();
      const faultAt = Date.now();
      const exit = await coord.exited;
      await proxy.close();
      void exit;
      return { coord, faultAt };
    });
    assert.equal(r.exit.code, 0);
  });

  it('SIGTERM a worker while Redis is down: it exits within its deadline; a new worker finishes', async () => {
    let stopSeconds = Number.NaN;
    const r = await scenario('sigterm-redis-down', async ({ redis, url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1', {}, ['--redis-deadline', '30']);
      procs.push(coord, w1);
      await w1.until((e) => e.filter((x) => x.event === 'image').length >= 2, 90_000, 'two images');
      await redis.kill();
      await sleep(500);
      const t0 = Date.now();
      w1.kill('SIGTERM');
      const ex = await Promise.race([
        w1.exited,
        sleep(20_000).then(() => {
          throw new Error(
            `worker still running 20 s after SIGTERM: ${JSON.stringify(w1.events.slice(-3))} ${w1.stderr}`,
          );
        }),
      ]);
      stopSeconds = (ex.at - t0) / 1000;
      assert.equal(ex.code, 0, w1.stderr);
      await redis.restart();
      const w2 = worker(url, 'w2');
      procs.push(w2);
      return { coord, faultAt: Date.now() };
    });
    assert.equal(r.exit.code, 0);
    assert.ok(stopSeconds < 10, `worker took ${stopSeconds} s to stop`);
  });

  it('coordinator killed mid-run and restarted: it resumes; the manifest holds each image once', async () => {
    const r = await scenario('coordinator-kill', async ({ url, procs, recipe }) => {
      const c1 = coordinator(url, recipe.path);
      const w1 = worker(url, 'w1');
      procs.push(c1, w1);
      await w1.until((e) => e.filter((x) => x.event === 'image').length >= 3, 90_000, 'three images');
      c1.kill('SIGKILL');
      await c1.exited;
      await sleep(1000);
      const c2 = coordinator(url, recipe.path);
      procs.push(c2);
      return { coord: c2, faultAt: Date.now() };
    });
    assert.equal(r.exit.code, 0);
    assert.equal(r.indices.length, fx.total);
  });

  it('the same recipe submitted twice: one set of jobs; a second coordinator on the folder is refused', async () => {
    let chunksQueued = 0;
    const r = await scenario('submit-twice', async ({ url, procs, recipe }) => {
      const c1 = coordinator(url, recipe.path);
      procs.push(c1);
      const c = new Redis(url);
      const q = new Queue('images-cpu', { connection: c, prefix: PREFIX });
      const want = Math.ceil(fx.total / 2);
      for (let i = 0; i < 300 && (await q.getWaitingCount()) < want; i++) await sleep(200);
      // While c1 lives, a second coordinator on the same folder is refused in one line.
      const c2 = coordinator(url, recipe.path);
      const e2 = await c2.exited;
      assert.equal(e2.code, 1);
      assert.match(c2.stderr, /^genready: [^\n]*pid \d+[^\n]*\n$/);
      c1.kill('SIGINT');
      assert.equal((await c1.exited).code, 0);
      const c3 = coordinator(url, recipe.path);
      procs.push(c3);
      await sleep(3000);
      chunksQueued = await q.getWaitingCount();
      await q.close();
      c.disconnect();
      procs.push(worker(url, 'w1'));
      return { coord: c3 };
    });
    assert.equal(r.exit.code, 0);
    assert.equal(chunksQueued, Math.ceil(fx.total / 2), 'a resubmitted run added jobs');
    assert.equal(r.figures.redeliveries, 0);
    assert.equal(r.figures.deliveries, Math.ceil(fx.total / 2));
  });

  it('a poison image fails after its attempts, is reported, and the rest completes', async () => {
    const poison = 5;
    const r = await scenario('poison', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path, ['--attempts', '2']);
      procs.push(coord, worker(url, 'w1', { GENREADY_QUEUE_FAIL_INDEX: String(poison) }));
      return { coord, exclude: [poison] };
    });
    assert.equal(r.exit.code, 1);
    assert.equal(r.indices.length, fx.total - 1);
    assert.ok(!r.indices.includes(poison));
  });

  it('a worker whose model has another hash refuses the run in one line and leaves the chunks queued', async () => {
    const r = await scenario('model-mismatch', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      procs.push(coord);
      const c = new Redis(url, { maxRetriesPerRequest: null });
      const q = new Queue('images-cpu', { connection: c, prefix: PREFIX });
      const want = Math.ceil(fx.total / 2);
      for (let i = 0; i < 300 && (await q.getWaitingCount()) < want; i++) await sleep(200);
      const index = join(fx.dir, 'ex', 'tiny-sd', 'model_index.json');
      const original = readFileSync(index);
      writeFileSync(index, Buffer.concat([original, Buffer.from(' ')]));
      try {
        const bad = worker(url, 'w-bad');
        procs.push(bad);
        const ex = await bad.exited;
        assert.equal(ex.code, 1);
        assert.match(
          bad.stderr,
          /^genready: run \w+ needs model tiny-sd with hash \w+; found .* \(hash \w+\): refusing/m,
        );
        assert.equal((await q.getWaitingCount()) + (await q.getDelayedCount()), want, 'a chunk was lost or used up');
      } finally {
        writeFileSync(index, original);
      }
      await q.close();
      c.disconnect();
      procs.push(worker(url, 'w-good'));
      return { coord };
    });
    assert.equal(r.exit.code, 0);
  });

  it('two workers racing on one chunk: one writes, the other finds the same bytes', async () => {
    let same = 0;
    const r = await scenario('race', async ({ url, procs, recipe }) => {
      const coord = coordinator(url, recipe.path);
      procs.push(coord);
      const c = new Redis(url, { maxRetriesPerRequest: null });
      const q = new Queue('images-cpu', { connection: c, prefix: PREFIX });
      let first = null;
      for (let i = 0; i < 300 && !first; i++) {
        const jobs = await q.getWaiting();
        first = jobs.find((j) => j.id?.endsWith('-0')) ?? null;
        if (!first) await sleep(200);
      }
      assert.ok(first, 'the first chunk was queued');
      assert.equal(first.id, jobIdOf(first.data.runId, 0));
      // The same chunk under two more ids, so that both workers take it at once.
      await q.add('chunk', first.data, { jobId: 'race-a', lifo: true });
      await q.add('chunk', first.data, { jobId: 'race-b', lifo: true });
      await q.close();
      c.disconnect();
      const w1 = worker(url, 'w1');
      const w2 = worker(url, 'w2');
      procs.push(w1, w2);
      await coord.exited;
      same = [w1, w2].flatMap((w) => w.events).filter((e) => e.event === 'image' && e.outcome === 'same').length;
      void written;
      return { coord };
    });
    assert.equal(r.exit.code, 0);
    assert.ok(same >= 1, 'no image was made twice; the race did not happen');
  });
});
