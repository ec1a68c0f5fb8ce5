import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GenreadyError } from '../../src/catalog/errors.ts';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { isLoopback, type Listening, LOOPBACK_HOSTNAMES, listen } from '../../src/server/node.ts';

/** A raw request: the path and Host header go on the wire exactly as written (no URL normalising). */
function raw(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the listening server', () => {
  let server: Listening;
  before(async () => {
    const web = mkdtempSync(join(tmpdir(), 'genready-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>dash</title>');
    server = await listen(createApp({ deps: productionDeps(), webRoot: web, allowedHostnames: LOOPBACK_HOSTNAMES }), {
      port: 0,
    });
  });
  after(() => server.close());

  test('binds 127.0.0.1 by default and answers there', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await raw(server.port, '/api/models');
    assert.equal(r.status, 200);
  });

  test('paths that climb out of the dashboard folder are 404 on the wire too', async () => {
    for (const p of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/%2E%2E/package.json',
      '/..%2fpackage.json',
      '/index.html/../../package.json',
      '/%2fetc%2fpasswd',
    ]) {
      const r = await raw(server.port, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /"dependencies"|root:/, p);
      assert.equal((JSON.parse(r.body) as { error: { status: number } }).error.status, 404);
    }
  });

  test('another Host name is refused (DNS rebinding)', async () => {
    const r = await raw(server.port, '/api/check', 'attacker.example:80');
    assert.equal(r.status, 403);
    assert.equal((await raw(server.port, '/api/models', `localhost:${server.port}`)).status, 200);
  });

  test('a port in use is a one-line GenreadyError, not a crash', async () => {
    await assert.rejects(
      listen(createApp({ deps: productionDeps() }), { port: server.port }),
      (err: unknown) => err instanceof GenreadyError && /port \d+ is in use/.test(err.message),
    );
  });

  test('loopback addresses are recognised', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('localhost') && isLoopback('::1') && isLoopback('127.1.2.3'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.2') && !isLoopback('::'));
  });
});
