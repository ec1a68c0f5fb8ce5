/** Issue 20, security: the review gallery's mark route refuses forged requests; messages name no absolute path. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MANIFEST } from '../../src/runner/manifest.ts';
import { encodePng } from '../../src/runner/png.ts';
import { readReview } from '../../src/runner/review.ts';
import { createApp, type ServerDeps } from '../../src/server/app.ts';
import { LOOPBACK_HOSTNAMES, listen } from '../../src/server/node.ts';
import { reviewRoutes } from '../../src/server/review.ts';
import { manifestEntry } from '../runner/_manifest-entry.ts';

const entry = manifestEntry;

function runFolder(extraManifest = ''): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'genready-harden-')), 'run');
  mkdirSync(dir);
  for (const i of [0, 1]) writeFileSync(join(dir, `${i}.png`), encodePng(new Uint8Array(12).fill(i), 2, 2));
  writeFileSync(join(dir, MANIFEST), `${[0, 1].map((i) => JSON.stringify(entry(i))).join('\n')}\n${extraManifest}`);
  return dir;
}

const MARK = JSON.stringify({ index: 1, mark: 'reject' });

describe('CSRF on the review routes', () => {
  const dir = runFolder();
  const app = createApp({ deps: {} as ServerDeps, webRoot: null, extraRoutes: reviewRoutes({ runs: [dir] }) });
  const post = (headers: Record<string, string>, body = MARK) =>
    app.request('http://localhost/api/review/runs/0/marks', { method: 'POST', headers, body });

  it('refuses a text/plain body, a form body and a body without a type (415), and writes no mark', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const r = await post(type ? { 'Content-Type': type } : {});
      assert.equal(r.status, 415, type);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'unsupported-media-type');
      assert.match(error.message, /application\/json/);
    }
    assert.deepEqual(readReview(dir).marks, {});
  });

  it('refuses a JSON body from another origin or another site (403), and writes no mark', async () => {
    for (const headers of [
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { Origin: 'http://localhost:8080' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site', Origin: 'http://localhost' },
    ] as Record<string, string>[]) {
      const r = await post({ 'Content-Type': 'application/json', ...headers });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'cross-origin');
    }
    assert.deepEqual(readReview(dir).marks, {});
  });

  it('accepts the gallery’s own request (same origin, JSON) and a script’s (no Origin)', async () => {
    const own = await post({
      'Content-Type': 'application/json',
      Origin: 'http://localhost',
      'Sec-Fetch-Site': 'same-origin',
    });
    assert.equal(own.status, 200);
    assert.deepEqual(readReview(dir).marks, { 1: 'reject' });
    const script = await post({ 'Content-Type': 'application/json; charset=utf-8' }, '{"index":1,"mark":null}');
    assert.equal(script.status, 200);
    assert.deepEqual(readReview(dir).marks, {});
  });

  it('over a real socket, a cross-origin post is refused and a same-origin one is accepted', async () => {
    const d = runFolder();
    const server = await listen(
      createApp({
        deps: {} as ServerDeps,
        webRoot: null,
        allowedHostnames: LOOPBACK_HOSTNAMES,
        extraRoutes: reviewRoutes({ runs: [d] }),
      }),
      { port: 0 },
    );
    try {
      const url = `http://127.0.0.1:${server.port}/api/review/runs/0/marks`;
      const json = { 'Content-Type': 'application/json' };
      const evil = await fetch(url, { method: 'POST', headers: { ...json, Origin: 'http://127.0.0.1:1' }, body: MARK });
      assert.equal(evil.status, 403);
      assert.deepEqual(readReview(d).marks, {});
      const own = await fetch(url, {
        method: 'POST',
        headers: { ...json, Origin: `http://127.0.0.1:${server.port}` },
        body: MARK,
      });
      assert.equal(own.status, 200);
      assert.deepEqual(readReview(d).marks, { 1: 'reject' });
    } finally {
      await server.close();
    }
  });
});

describe('review error messages reveal no absolute path', () => {
  it('a damaged manifest is named by the run folder’s name, not its path', async () => {
    const dir = runFolder(`{not json\n${JSON.stringify(entry(2))}\n`);
    const app = createApp({ deps: {} as ServerDeps, webRoot: null, extraRoutes: reviewRoutes({ runs: [dir] }) });
    for (const path of ['/api/review/runs', '/api/review/runs/0', '/api/review/runs/0/image/0.png']) {
      const r = await app.request(path);
      assert.equal(r.status, 400, path);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'bad-manifest');
      assert.match(error.message, /^run\/manifest\.jsonl line 3 is not JSON/);
      assert.ok(!error.message.includes(tmpdir()), error.message);
      assert.ok(!error.message.includes(dir), error.message);
    }
  });

  it('a damaged review file is named by the run folder’s name, not its path', async () => {
    const dir = runFolder();
    writeFileSync(join(dir, 'review.json'), '{"v":2}');
    const app = createApp({ deps: {} as ServerDeps, webRoot: null, extraRoutes: reviewRoutes({ runs: [dir] }) });
    const r = await app.request('/api/review/runs/0');
    assert.equal(r.status, 400);
    const { error } = (await r.json()) as { error: { message: string } };
    assert.match(error.message, /^run\/review\.json is not a review file/);
    assert.ok(!error.message.includes(dir));
  });
});

it('every API route that takes a body refuses a cross-origin post too, and a same-origin one answers', async () => {
  const { productionDeps } = await import('../../src/server/deps.ts');
  const app = createApp({ deps: productionDeps() });
  const body = JSON.stringify({ model: 'sd15', device: 'RTX 4090' });
  const post = (origin: string) =>
    app.request('http://localhost/api/estimate', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body,
    });
  assert.equal((await post('http://evil.example')).status, 403);
  assert.equal((await post('http://localhost')).status, 200);
});
