/** Issue 20: `serve --host 127.0.0.2` prints a URL that answers; empty flag values are one-line errors. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { test } from 'node:test';
import { loopbackHostnames } from '../../src/server/node.ts';

function serve(flags: string[]) {
  return spawn(process.execPath, ['bin/genready.mjs', 'serve', '--api', '--port', '0', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
}

test('serve --host 127.0.0.2 prints a URL that answers 200, not 403', {
  skip: process.platform !== 'linux',
}, async () => {
  const child = serve(['--host', '127.0.0.2']);
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c;
        const m = /on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.2:\d+\/$/);
    const r = await fetch(`${url}api/models`);
    assert.equal(r.status, 200);
    // The DNS-rebinding guard still holds for any other name.
    const port = Number(new URL(url).port);
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request({ host: '127.0.0.2', port, path: '/api/models', headers: { Host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end(),
    );
    assert.equal(status, 403);
  } finally {
    child.kill('SIGINT');
    await once(child, 'exit');
  }
});

test('loopbackHostnames adds the bound address to the loopback names, once', () => {
  assert.deepEqual(loopbackHostnames('127.0.0.2'), ['127.0.0.1', 'localhost', '::1', '127.0.0.2']);
  assert.deepEqual(loopbackHostnames('[::1]'), ['127.0.0.1', 'localhost', '::1']);
  assert.deepEqual(loopbackHostnames('LOCALHOST'), ['127.0.0.1', 'localhost', '::1']);
});

for (const [flag, value] of [
  ['--run', ''],
  ['--run', ' , '],
  ['--host', ''],
  ['--port', ''],
] as const) {
  test(`serve ${flag} "${value}" is a one-line error and exit 1`, async () => {
    const child = serve([flag, value]);
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const [code] = await once(child, 'exit');
    assert.equal(code, 1);
    assert.match(err.trim(), new RegExp(`^genready: ${flag} needs a value`));
    assert.equal(err.trim().split('\n').length, 1);
  });
}
