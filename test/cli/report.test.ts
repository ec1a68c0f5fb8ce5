/** check --report: the probe's raw evidence, trimmed, in one block to paste. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { probeRecorded, trimOutput } from '../../src/probe/recorded.ts';
import type { Exec } from '../../src/probe/types.ts';
import { cli } from './helpers.ts';

const A100 = readFileSync(new URL('../fixtures/probe/nvidia-smi/a100-mig-enabled.txt', import.meta.url), 'utf8');

describe('check --report', () => {
  it('trims raw output to its first lines and counts the rest', () => {
    const t = trimOutput(`a\n\nb\n${'x'.repeat(300)}\nc\nd\ne\n`);
    assert.deepEqual(t.excerpt.slice(0, 2), ['a', 'b']);
    assert.equal(t.excerpt[2]!.length, 160);
    assert.ok(t.excerpt[2]!.endsWith('…'));
    assert.equal(t.more, 2);
  });

  it('keeps every tool call with what it returned, and the probe still reads the machine', async () => {
    const exec: Exec = async (cmd) => (cmd === 'nvidia-smi' ? { kind: 'ok', stdout: A100 } : { kind: 'missing' });
    const { probe, calls } = await probeRecorded({ platform: 'linux', exec, readFile: async () => null });
    assert.equal(probe.gpus.length, 2);
    const smi = calls.find((c) => c.what.startsWith('nvidia-smi --query-gpu='))!;
    assert.equal(smi.outcome, 'ok');
    assert.equal(smi.excerpt[0], A100.split('\n')[0]);
    assert.equal(calls.find((c) => c.what.startsWith('rocm-smi'))?.outcome, 'missing');
    assert.ok(calls.some((c) => c.what.startsWith('read /sys/') && c.outcome === 'absent'));
  });

  it('prints one fenced block with versions, OS, adapters, calibration and providers', () => {
    const r = cli(['check', '--report'], { GENREADY_HOME: '/nonexistent-genready-home' });
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.match(r.stdout, new RegExp(`^\`\`\`\\ngenready ${pkg.version.replace(/\./g, '\\.')} — check --report\\n`));
    assert.match(r.stdout, new RegExp(`^Node ${process.version.replace(/\./g, '\\.')} · ${process.platform} `, 'm'));
    assert.match(r.stdout, /^ {2}adapter system: ok$/m);
    assert.match(r.stdout, /^Calibration: none for /m);
    assert.match(r.stdout, /^onnxruntime-node [\d.]+: cuda /m);
    assert.ok(r.stdout.endsWith('```\n'));
  });
});
