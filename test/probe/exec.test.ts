/** Issue 20: a timed-out probe tool leaves no process running, grandchildren included. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { execTool } from '../../src/probe/_shared.ts';
import { defaultExec } from '../../src/probe/probe.ts';

/** Alive and not a zombie waiting to be reaped (a zombie runs nothing and holds no resource). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('execTool, the probe’s exec seam', {
  skip: process.platform === 'win32' ? 'POSIX process groups' : false,
}, () => {
  it('is the production exec', () => assert.equal(defaultExec, execTool));

  it('kills a slow tool and the grandchild it started when the timeout passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genready-exec-'));
    const pids = join(dir, 'pids');
    // A tool that starts a helper in the background (holding our stdout) and then hangs itself.
    const script = `sleep 60 & echo $! > ${pids}; echo $$ >> ${pids}; sleep 60`;
    const t0 = performance.now();
    const r = await execTool('sh', ['-c', script], { timeoutMs: 400 });
    const ms = performance.now() - t0;
    assert.deepEqual(r, { kind: 'timeout' });
    assert.ok(ms < 3000, `returned after ${ms.toFixed(0)} ms`);
    const [grandchild, child] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.ok(grandchild && child);
    // SIGKILL is delivered at once; give the kernel a moment to tear the processes down.
    for (let i = 0; i < 50 && (running(grandchild) || running(child)); i++) await sleep(20);
    assert.equal(running(child), false, `tool ${child} still running`);
    assert.equal(running(grandchild), false, `grandchild ${grandchild} still running`);
  });

  it('returns the output of a tool that finishes, the exit code of one that fails, and "missing"', async () => {
    assert.deepEqual(await execTool('sh', ['-c', 'echo "1,2"; echo warn >&2'], { timeoutMs: 5000 }), {
      kind: 'ok',
      stdout: '1,2\n',
    });
    assert.deepEqual(await execTool('sh', ['-c', 'echo out; echo no driver >&2; exit 9'], { timeoutMs: 5000 }), {
      kind: 'failed',
      code: 9,
      stderr: 'no driver\n',
      stdout: 'out\n',
    });
    assert.deepEqual(await execTool('genready-no-such-tool', [], { timeoutMs: 5000 }), { kind: 'missing' });
  });

  it('runs the tool in the C locale', async () => {
    const r = await execTool('sh', ['-c', 'echo $LC_ALL'], { timeoutMs: 5000 });
    assert.deepEqual(r, { kind: 'ok', stdout: 'C\n' });
  });
});
