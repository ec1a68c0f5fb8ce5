import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

/** Start `genready serve` with these flags; resolves with the process and the URL it printed. */
async function start(flags: string[]) {
  const child = spawn(process.execPath, ['bin/genready.mjs', 'serve', '--port', '0', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err };
}

test('genready serve binds 127.0.0.1, answers the API and stops cleanly on Ctrl-C', async () => {
  const { child, url } = await start(['--api']);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const models = (await (await fetch(`${url}api/models`)).json()) as { id: string }[];
  assert.ok(models.some((m) => m.id === 'sdxl'));
  // --api serves no dashboard
  assert.equal((await fetch(url)).status, 404);
  child.kill('SIGINT');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('--host beyond loopback warns that anyone who can reach it can use it', async () => {
  const { child, url, stderr } = await start(['--api', '--host', '0.0.0.0']);
  assert.match(url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
  assert.match(stderr(), /warning: listening on 0\.0\.0\.0: anyone who can reach this address/);
  child.kill('SIGINT');
  await once(child, 'exit');
});

test('--run mounts the review gallery of a run folder; a missing folder is one line and exit 1', async () => {
  const { mkdtempSync, mkdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'genready-serve-run-'));
  mkdirSync(join(dir, 'out'));
  const { child, url } = await start(['--api', '--run', join(dir, 'out')]);
  const runs = (await (await fetch(`${url}api/review/runs`)).json()) as { id: string; name: string; images: number }[];
  assert.deepEqual(runs, [{ id: '0', name: 'out', images: 0, keep: 0, reject: 0 }]);
  assert.equal((await fetch(`${url}review`)).status, 200);
  child.kill('SIGINT');
  await once(child, 'exit');
  const bad = spawn(
    process.execPath,
    ['bin/genready.mjs', 'serve', '--api', '--port', '0', '--run', join(dir, 'nope')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  bad.stderr.on('data', (c) => (err += c));
  const [code] = await once(bad, 'exit');
  assert.equal(code, 1);
  assert.match(err.trim(), /^genready: --run: .*nope is not a folder$/);
});
