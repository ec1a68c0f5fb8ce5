import assert from 'node:assert/strict';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';

const web = mkdtempSync(join(tmpdir(), 'genready-web-'));
writeFileSync(join(web, 'index.html'), '<!doctype html><title>dash</title>');
writeFileSync(join(web, 'app.js'), 'console.log(1)');
symlinkSync(join(process.cwd(), 'package.json'), join(web, 'linked.json'));
const logged: string[] = [];
const app = createApp({ deps: productionDeps(), webRoot: web, bodyLimitBytes: 4096, log: (l) => logged.push(l) });
const json = { 'Content-Type': 'application/json' };

interface ErrorJson {
  error: { status: number; code: string; message: string };
}

/** Every failure: the status, a JSON error body with that status, a message matching `re`. */
async function expectError(res: Response, status: number, re: RegExp) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as ErrorJson;
  assert.equal(body.error.status, status);
  assert.match(body.error.message, re);
  assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+|node_modules/, 'no stack trace in a response');
  return body;
}

describe('bad request bodies are 4xx JSON with a clear message', () => {
  const cases: [string, RequestInit, number, RegExp][] = [
    ['malformed JSON', { headers: json, body: '{"model": "sdxl",' }, 400, /not valid JSON/],
    ['an empty body', { headers: json, body: '' }, 400, /empty/],
    ['a JSON array', { headers: json, body: '[1,2]' }, 400, /JSON object/],
    [
      'no JSON content type',
      { headers: { 'Content-Type': 'text/plain' }, body: '{"model":"sdxl"}' },
      415,
      /Content-Type: application\/json/,
    ],
    ['an unknown field', { headers: json, body: '{"model":"sdxl","wdth":1024}' }, 400, /unknown field "wdth"/],
    ['a missing model', { headers: json, body: '{"device":"RTX 4090"}' }, 400, /model is required/],
    ['a wrong type', { headers: json, body: '{"model":"sdxl","vaeTiling":"yes"}' }, 400, /vaeTiling/],
    [
      'an unknown model, with the library message',
      { headers: json, body: '{"model":"sdxxl"}' },
      400,
      /unknown model "sdxxl"; did you mean: sdxl/,
    ],
    [
      'an unknown device',
      { headers: json, body: '{"model":"sdxl","device":"RTX 9999"}' },
      400,
      /unknown device "RTX 9999"/,
    ],
    [
      'a size off the latent grid',
      { headers: json, body: '{"model":"flux1-dev","width":1000,"height":1024,"device":"RTX 4090"}' },
      400,
      /multiple of 16/,
    ],
    [
      'a negative batch',
      { headers: json, body: '{"model":"sdxl","batch":-4}' },
      400,
      /^batch must be a whole number above 0, got "-4"$/,
    ],
    ['a non-numeric width', { headers: json, body: '{"model":"sdxl","width":"wide"}' }, 400, /must be a number/],
    ['a huge string', { headers: json, body: JSON.stringify({ model: 'x'.repeat(300) }) }, 400, /model/],
  ];
  for (const [name, init, status, re] of cases) {
    test(`POST /api/estimate with ${name} → ${status}`, async () => {
      await expectError(await app.request('/api/estimate', { method: 'POST', ...init }), status, re);
    });
  }

  test('a body over the limit is 413, with or without a Content-Length', async () => {
    const big = JSON.stringify({ model: 'sdxl', pad: 'x'.repeat(10_000) });
    await expectError(
      await app.request('/api/estimate', { method: 'POST', headers: json, body: big }),
      413,
      /larger than 4096 bytes/,
    );
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        c.close();
      },
    });
    const req = new Request('http://localhost/api/plan', {
      method: 'POST',
      headers: json,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectError(await app.fetch(req), 413, /larger than/);
  });

  test('plan flags must be flat scalars with flag-like names', async () => {
    await expectError(
      await app.request('/api/plan', { method: 'POST', headers: json, body: '{"model":{"$ne":1}}' }),
      400,
      /model/,
    );
  });

  test('a "__proto__" field is refused, never dropped silently nor taken as a prototype', async () => {
    let called = false;
    const a = createApp({
      deps: {
        ...productionDeps(),
        plan: async () => {
          called = true;
          return {};
        },
      },
    });
    for (const path of ['/api/plan', '/api/gpus', '/api/estimate']) {
      const res = await a.request(path, {
        method: 'POST',
        headers: json,
        body: '{"__proto__":{"polluted":1},"model":"sdxl","images":10,"within":"8h"}',
      });
      await expectError(res, 400, /unknown field "__proto__"/);
    }
    assert.equal(called, false);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('an unknown query parameter is an error, not silently ignored', async () => {
    await expectError(await app.request('/api/devices?vendr=amd'), 400, /unknown query parameter "vendr"/);
  });
});

describe('paths and methods', () => {
  test('a wrong method is 405 with an Allow header', async () => {
    const res = await app.request('/api/estimate');
    await expectError(res, 405, /GET is not allowed here; use POST/);
    assert.equal(res.headers.get('allow'), 'POST');
    await expectError(await app.request('/api/models', { method: 'DELETE' }), 405, /use GET/);
  });

  test('unknown paths are 404 JSON', async () => {
    await expectError(await app.request('/api/nope'), 404, /nothing at GET \/api\/nope; GET \/api lists the routes/);
    await expectError(await app.request('/nope.html'), 404, /nothing at/);
  });

  test('only the built dashboard files are served, never a path outside them', async () => {
    assert.equal(await (await app.request('/')).text(), '<!doctype html><title>dash</title>');
    assert.match((await app.request('/app.js')).headers.get('content-type')!, /javascript/);
    for (const p of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/%2fetc%2fpasswd',
      '//etc/passwd',
      '/app.js/../../package.json',
      '/.\\..\\package.json',
      '/linked.json',
    ]) {
      const res = await app.request(p);
      assert.equal(res.status, 404, p);
      assert.doesNotMatch(await res.text(), /"dependencies"|root:/, p);
    }
  });

  test('responses carry a content security policy that allows nothing from elsewhere', async () => {
    const csp = (await app.request('/')).headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
  });
});

describe('failures that are bugs', () => {
  test('an internal error is a 500 without details; the details go to the log', async () => {
    const deps = productionDeps();
    const broken = createApp({
      deps: {
        ...deps,
        estimate: () => {
          throw new TypeError('secret internals at /home/x/file.ts:12');
        },
      },
      log: (l) => logged.push(l),
    });
    const body = await expectError(
      await broken.request('/api/estimate', { method: 'POST', headers: json, body: '{"model":"sdxl"}' }),
      500,
      /internal error/,
    );
    assert.doesNotMatch(JSON.stringify(body), /secret/);
    assert.ok(logged.some((l) => l.includes('secret internals')));
  });
});

describe('DNS rebinding', () => {
  test('a loopback server refuses requests for another host name', async () => {
    const local = createApp({ deps: productionDeps(), allowedHostnames: ['127.0.0.1', 'localhost', '::1'] });
    await expectError(await local.request('http://evil.example/api/models'), 403, /answers to 127\.0\.0\.1/);
    assert.equal((await local.request('http://127.0.0.1:4000/api/models')).status, 200);
    assert.equal((await local.request('http://[::1]:4000/api/models')).status, 200);
  });
});
