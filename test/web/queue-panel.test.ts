/**
 * The dashboard's queue panel in chromium (`genready serve --queue URL`): a real Redis, a real
 * worker's heartbeat and a run's status; the panel shows what GET /api/queue says (worker, GPU,
 * tier, images/hour, time left, failures) and stays hidden on a server without a queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { fakeProbe } from '../../src/probe/fake.ts';
import { queuePanel } from '../../src/queue/admin.ts';
import { KEYS } from '../../src/queue/types.ts';
import { parseQueueUrl } from '../../src/queue/url.ts';
import { startWorker, type WorkerHandle } from '../../src/queue/worker.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { type Listening, LOOPBACK_HOSTNAMES, listen } from '../../src/server/node.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { seconds } from '../../src/web/format.ts';
import { startRedis, type TestRedis } from '../queue/_redis.ts';
import { chromiumMissing, launchChromium } from './_chromium.ts';

const missing = chromiumMissing;

describe('queue panel in chromium', { skip: missing }, () => {
  let redis: TestRedis;
  let worker: WorkerHandle;
  let withQueue: Listening;
  let without: Listening;
  let browser: Browser;

  before(async () => {
    redis = await startRedis({ password: 'browser-pw' });
    worker = await startWorker({
      address: parseQueueUrl(redis.url),
      id: 'gpu-box-7',
      provider: 'cuda',
      probe: async () => fakeProbe({ gpuName: 'NVIDIA GeForce RTX 3060', gpuMemoryGiB: 12, ramGiB: 32 }),
    });
    const c = new Redis(redis.url);
    await c.hset(
      KEYS.runs,
      'run-b',
      JSON.stringify({
        runId: 'run-b',
        recipe: 'dogs.yaml',
        outputDir: '/x',
        queue: 'images-cuda',
        total: 500,
        done: 100,
        failed: 3,
        imagesPerHour: 600,
        startedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:10:00.000Z',
        finished: false,
      }),
    );
    c.disconnect();
    const web = await ensureWebBuilt();
    const address = parseQueueUrl(redis.url);
    withQueue = await listen(
      createApp({
        deps: { ...productionDeps(), queue: () => queuePanel(address) },
        webRoot: web.out,
        allowedHostnames: LOOPBACK_HOSTNAMES,
      }),
      { port: 0 },
    );
    without = await listen(
      createApp({ deps: productionDeps(), webRoot: web.out, allowedHostnames: LOOPBACK_HOSTNAMES }),
      { port: 0 },
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await withQueue?.close();
    await without?.close();
    await worker?.stop();
    await redis?.stop();
  });

  test('shows each worker with its GPU and tier, the run with its time left and failures', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
    page.setDefaultTimeout(20_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${withQueue.port}/`);
    await page.locator('#panel-queue [data-worker="gpu-box-7"]').waitFor();
    assert.equal(await page.locator('#panel-queue').isVisible(), true);
    const row = page.locator('[data-worker="gpu-box-7"]');
    assert.match((await row.textContent()) ?? '', /NVIDIA GeForce RTX 3060/);
    const api = await (await fetch(`http://127.0.0.1:${withQueue.port}/api/queue`)).json();
    const w = api.workers.find((x: { id: string }) => x.id === 'gpu-box-7');
    assert.equal(await row.locator('[data-tier]').getAttribute('data-tier'), String(w.tier.level));
    const run = page.locator('[data-run="run-b"]');
    assert.match(
      (await run.textContent()) ?? '',
      new RegExp(seconds(((500 - 100 - 3) / 600) * 3600).replace('.', '\\.')),
    );
    assert.equal(await page.locator('#queue-failures').getAttribute('data-value'), '3');
    assert.equal(await page.locator('#queue-active').getAttribute('data-value'), '1');
    assert.ok(!((await page.content()) ?? '').includes('browser-pw'));
    assert.deepEqual(errors, []);
    await page.screenshot({ path: 'test-artifacts/dashboard/queue-panel.png', fullPage: false }).catch(() => {});
  });

  test('a server without --queue keeps the panel hidden', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    await page.goto(`http://127.0.0.1:${without.port}/`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#panel-queue').isHidden(), true);
    assert.deepEqual(consoleErrors, [], 'asking for the queue is not an error');
  });
});
