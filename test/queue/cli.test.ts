/** The queue commands as a person runs them: one-line errors, no password in any output, JSON status. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { KEYS } from '../../src/queue/types.ts';
import { cli } from '../cli/helpers.ts';
import { worker } from './_cluster.ts';
import { freePort, startRedis, type TestRedis } from './_redis.ts';

describe('genready queue / worker / run --queue', () => {
  let redis: TestRedis;
  let lru: TestRedis;
  before(async () => {
    redis = await startRedis({ password: 'sekret-pw' });
    lru = await startRedis({ policy: 'allkeys-lru' });
  });
  after(async () => {
    await redis.stop();
    await lru.stop();
  });

  it('status with the URL from GENREADY_QUEUE_URL: JSON, and the password appears nowhere', () => {
    const r = cli(['queue', 'status', '--json'], { GENREADY_QUEUE_URL: redis.url });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.runs, []);
    assert.equal(s.queues['images-cpu'].waiting, 0);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('sekret-pw'));
  });

  it('refuses an evicting Redis in one line naming maxmemory-policy (queue, worker)', () => {
    for (const args of [['queue', 'status'], ['worker']]) {
      const r = cli([...args, '--queue', lru.url]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^genready: Redis at redis:\/\/127\.0\.0\.1:\d+ has maxmemory-policy allkeys-lru; the queue needs noeviction/,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('an unreachable Redis, a wrong password, no URL, a bad action: one line each, exit 1', async () => {
    const port = await freePort();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['worker', '--queue', `redis://:x-pw@127.0.0.1:${port}`],
        {},
        /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/,
      ],
      [['queue', 'workers', '--queue', `redis://:wrong-pw@127.0.0.1:${redis.port}`], {}, /refused the credentials/],
      [
        ['queue', 'status'],
        { GENREADY_QUEUE_URL: '' },
        /give the queue: --queue redis:\/\/host:6379 or GENREADY_QUEUE_URL/,
      ],
      [['queue', 'explode', '--queue', redis.url], {}, /genready queue explode: use one of status, workers, retry, gc/],
      [['worker', '--queue', redis.url, '--provider', 'tpu'], {}, /--provider must be one of cpu, cuda, dml, coreml/],
    ];
    for (const [args, env, re] of cases) {
      const r = cli(args, env);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!/x-pw|wrong-pw|sekret-pw/.test(r.stderr));
    }
  });

  it('a worker ends by itself on SIGTERM (exit 0, nothing left running) and leaves the worker list; with Redis gone too', async () => {
    const c = new Redis(redis.url);
    try {
      const w = worker(redis.url, 'w-term');
      await w.until((e) => e.some((x) => x.event === 'ready'), 60_000, 'ready');
      const ready = w.events.find((x) => x.event === 'ready')!;
      assert.match(String(ready.note), /the CPU/, 'the worker says what it plans for');
      assert.equal((await c.zscore(KEYS.workers, 'w-term')) !== null, true);
      const listed = cli(['queue', 'workers', '--queue', redis.url], { COLUMNS: '200' });
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, /^worker\s+GPU\s+planned for\s+tier\s+provider/m);
      assert.match(listed.stdout, /^w-term\s+none\s+\S.*\s1\s+cpu\s/m);
      assert.ok(!listed.stdout.includes('sekret-pw'));
      const t0 = Date.now();
      w.kill('SIGTERM');
      const ex = await w.exited;
      assert.equal(ex.code, 0, `w-term: signal ${ex.signal}; ${w.stderr}`);
      assert.ok(ex.at - t0 < 10_000, `took ${ex.at - t0} ms`);
      assert.equal(await c.zscore(KEYS.workers, 'w-term'), null, 'the worker removed itself');
      assert.deepEqual(w.events.at(-1)?.event, 'stop');
    } finally {
      c.disconnect();
    }
    // Redis killed under a ready worker: SIGTERM still ends it within seconds, by itself.
    const gone = await startRedis();
    const w = worker(gone.url, 'w-gone');
    try {
      await w.until((e) => e.some((x) => x.event === 'ready'), 60_000, 'ready');
      await gone.kill();
      const t0 = Date.now();
      w.kill('SIGTERM');
      const ex = await w.exited;
      assert.equal(ex.code, 0, `w-gone: signal ${ex.signal}; ${w.stderr}`);
      assert.ok(ex.at - t0 < 10_000, `took ${ex.at - t0} ms with Redis down`);
    } finally {
      w.kill('SIGKILL');
      await gone.stop();
    }
  });
});
