/**
 * The worker stops cleanly in-process: after `done` settles nothing of it is left running (no BullMQ
 * lock-renewal or stalled-check timer, no Redis socket, no inference child), with Redis up or gone,
 * so the CLI needs no process.exit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeProbe } from '../../src/probe/fake.ts';
import { parseQueueUrl } from '../../src/queue/url.ts';
import { startWorker, type WorkerEvent } from '../../src/queue/worker.ts';
import { startRedis, type TestRedis } from './_redis.ts';

/** Timers and sockets alive now (what would keep the process from ending). */
function resources(): { timers: number; sockets: number } {
  const r = process.getActiveResourcesInfo();
  return { timers: r.filter((x) => x === 'Timeout').length, sockets: r.filter((x) => x === 'TCPWrap').length };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker shutdown', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  for (const redisGone of [false, true]) {
    it(`stop() ${redisGone ? 'with Redis killed' : 'with Redis up'}: done settles, nothing of the worker is left running`, async () => {
      if (redisGone) await redis.restart();
      await sleep(100);
      const base = resources();
      const events: WorkerEvent[] = [];
      const h = await startWorker({
        address: parseQueueUrl(redis.url),
        id: `w-${redisGone}`,
        probe: async () => fakeProbe({ ramGiB: 8 }),
        lockMs: 2000,
        onEvent: (e) => events.push(e),
      });
      assert.ok(resources().timers > base.timers, 'a running worker holds timers (heartbeat, lock renewal)');
      if (redisGone) await redis.kill();
      await sleep(500);
      const t0 = Date.now();
      await h.stop('test');
      const r = await h.done;
      assert.ok(Date.now() - t0 < 8000, `stop took ${Date.now() - t0} ms`);
      assert.equal(r.images, 0);
      assert.deepEqual(events.at(-1), { event: 'stop', reason: 'test', clean: true });
      // Short timers already armed (a reconnect back-off, a timeout race) run out; nothing re-arms.
      let now = resources();
      for (let i = 0; i < 50 && (now.timers > base.timers || now.sockets > base.sockets); i++) {
        await sleep(100);
        now = resources();
      }
      assert.ok(now.timers <= base.timers, `timers left after 5 s: ${now.timers} > ${base.timers}`);
      assert.ok(now.sockets <= base.sockets, `sockets left after 5 s: ${now.sockets} > ${base.sockets}`);
    });
  }
});
