/** The review gallery's HTTP routes, in-process: listing, images (and nothing else), marks. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { MANIFEST } from '../../src/runner/manifest.ts';
import { encodePng } from '../../src/runner/png.ts';
import { readReview } from '../../src/runner/review.ts';
import { createApp, type ServerDeps } from '../../src/server/app.ts';
import { type Listening, LOOPBACK_HOSTNAMES, listen } from '../../src/server/node.ts';
import { reviewRoutes } from '../../src/server/review.ts';
import { manifestEntry } from './_manifest-entry.ts';

function runFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'genready-gallery-'));
  const dir = join(root, 'run');
  mkdirSync(dir);
  writeFileSync(join(root, 'secret.png'), 'not for you');
  writeFileSync(join(dir, 'run.json'), '{}');
  const lines = [0, 1, 2].map((index) => {
    const file = `${index}.png`;
    writeFileSync(join(dir, file), encodePng(new Uint8Array(2 * 2 * 3).fill(index * 50), 2, 2));
    return manifestEntry(index);
  });
  // A tampered line that names a file outside the run folder.
  lines.push({ ...lines[0]!, index: 3, file: '../secret.png' });
  writeFileSync(join(dir, MANIFEST), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return dir;
}

describe('review gallery routes', () => {
  const dir = runFolder();
  const app = createApp({ deps: {} as ServerDeps, webRoot: null, extraRoutes: reviewRoutes({ runs: [dir] }) });
  const post = (path: string, body: unknown) =>
    app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('lists runs and a run’s images with their parameters', async () => {
    const runs = (await (await app.request('/api/review/runs')).json()) as { id: string; images: number }[];
    assert.deepEqual(
      runs.map((r) => [r.id, r.images]),
      [['0', 4]],
    );
    const run = (await (await app.request('/api/review/runs/0')).json()) as {
      images: { index: number; prompt: string; mark: null }[];
    };
    assert.deepEqual(
      run.images.slice(0, 2).map((i) => [i.index, i.prompt, i.mark]),
      [
        [0, 'p0', null],
        [1, 'p1', null],
      ],
    );
  });

  it('serves a run’s PNG and nothing outside it', async () => {
    const ok = await app.request('/api/review/runs/0/image/1.png');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'image/png');
    for (const path of [
      '/api/review/runs/0/image/..%2Fsecret.png',
      '/api/review/runs/0/image/%2e%2e%2fsecret.png',
      '/api/review/runs/0/image/run.json',
      '/api/review/runs/0/image/..%5Csecret.png',
      '/api/review/runs/1/image/1.png',
      '/api/review/runs/..%2F0/image/1.png',
    ]) {
      const r = await app.request(path);
      assert.equal(r.status, 404, path);
      assert.ok(!(await r.text()).includes('not for you'));
    }
  });

  it('saves a mark beside the manifest and validates the body', async () => {
    const r = await post('/api/review/runs/0/marks', { index: 1, mark: 'reject' });
    assert.equal(r.status, 200);
    assert.deepEqual(readReview(dir).marks, { 1: 'reject' });
    assert.equal((await post('/api/review/runs/0/marks', { index: 1, mark: null })).status, 200);
    assert.deepEqual(readReview(dir).marks, {});
    assert.equal((await post('/api/review/runs/0/marks', { index: 1, mark: 'maybe' })).status, 422);
    assert.equal((await post('/api/review/runs/0/marks', { index: 42, mark: 'keep' })).status, 404);
    const bad = await app.request('/api/review/runs/0/marks', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    assert.equal(bad.status, 400);
  });

  it('serves the page and its compiled script', async () => {
    const page = await app.request('/review');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/review\.js">/);
    const js = await (await app.request('/review.js')).text();
    assert.match(js, /keydown/);
    assert.ok(!/:\s*Mark\b/.test(js), 'types are stripped');
  });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const noBrowser = !existsSync(CHROMIUM) ? `no chromium at ${CHROMIUM}` : false;

describe('review gallery in chromium, keyboard only', { skip: noBrowser }, () => {
  const dir = runFolder();
  let server: Listening;
  let browser: Browser;
  before(async () => {
    server = await listen(
      createApp({
        deps: {} as ServerDeps,
        webRoot: null,
        allowedHostnames: LOOPBACK_HOSTNAMES,
        extraRoutes: reviewRoutes({ runs: [dir] }),
      }),
      { port: 0 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
      timeout: 30_000,
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('n rejects and moves on, y keeps, k goes back, u clears; marks land in review.json', async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${server.port}/review`);
    await page.locator('.tile').nth(3).waitFor();
    const press = async (key: string) => {
      const saved =
        key === 'j' || key === 'k'
          ? null
          : page.waitForResponse((r) => r.url().endsWith('/marks') && r.status() === 200);
      await page.keyboard.press(key);
      await saved;
    };
    await press('n');
    await press('y');
    assert.deepEqual(readReview(dir).marks, { 0: 'reject', 1: 'keep' });
    await page.locator('.tile[aria-current="true"][aria-label="image 2, seed 2, unmarked"]').waitFor({ timeout: 5000 });
    await press('k');
    await press('k');
    await press('u');
    assert.deepEqual(readReview(dir).marks, { 1: 'keep' });
    // The page re-renders after the server answers: wait for it (up to 5 s) rather than race it.
    await page
      .locator('#counts', { hasText: /4 images · 1 kept · 0 rejected · 3 to review/ })
      .waitFor({ timeout: 5000 });
    assert.equal(await page.locator('.tile').first().getAttribute('data-mark'), null);
    assert.equal(await page.locator('.tile').nth(1).getAttribute('data-mark'), 'keep');
  });
});
