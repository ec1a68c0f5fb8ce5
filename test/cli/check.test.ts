/** `genready check`: the main job, on this machine and on hypothetical ones. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './helpers.ts';

test('check on this machine ends with a verdict and JSON for scripts', () => {
  const r = cli(['check', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.machine.cpu.cores >= 1);
  assert.ok([1, 2, 3, 4].includes(j.tier.level));
  assert.equal(typeof j.tier.name, 'string');
  assert.equal(j.models.length, 11);
  assert.ok(Array.isArray(j.failurePatterns));
  if (j.machine.gpus.length === 0) {
    // no GPU here: it says so, and still gives CPU numbers for what can be done
    assert.equal(j.tier.level, 1);
    assert.ok(j.failurePatterns.some((f: { id: string }) => f.id === 'no-gpu'));
    const sd15 = j.models.find((m: { model: string }) => m.model === 'sd15');
    assert.equal(sd15.mode, 'cpu-only');
    assert.ok(sd15.secondsPerImage > 1 && Number.isFinite(sd15.secondsPerImage));
  }
});

test('GENREADY_CPU_GHZ pins the clock check rates this CPU at; a value that is not a clock is one line, exit 1', () => {
  // No calibration: a time measured here by bench would stand in for the estimate whatever the clock.
  const home = { GENREADY_HOME: '/nonexistent-genready-home' };
  const at = (ghz: string) => cli(['check', '--json'], { ...home, GENREADY_CPU_GHZ: ghz });
  const slow = JSON.parse(at('2').stdout);
  const fast = JSON.parse(at('4').stdout);
  assert.deepEqual(slow.machine.cpu.clockGHz, {
    value: 2,
    from: { source: 'GENREADY_CPU_GHZ', confidence: 'assumed' },
  });
  if (slow.machine.device.backend === 'cpu') {
    // On a CPU-only machine the clock sets the compute: twice the clock is faster, but at most twice
    // as fast (memory traffic stops scaling at DRAM's share; per-call costs do not scale).
    const time = (j: { models: { model: string; secondsPerImage: number }[] }) =>
      j.models.find((m) => m.model === 'sd15')!.secondsPerImage;
    assert.ok(time(fast) < 0.75 * time(slow), `${time(fast)} vs ${time(slow)}`);
    assert.ok(time(fast) >= time(slow) / 2 - 1e-9, `${time(fast)} vs ${time(slow)}`);
  }
  assert.match(
    cli(['check'], { ...home, GENREADY_CPU_GHZ: '4.1' }).stdout,
    /\(\d+ cores, 4\.1 GHz from GENREADY_CPU_GHZ\)/,
  );
  const bad = cli(['check'], { GENREADY_CPU_GHZ: '4.2GHz' });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'genready: GENREADY_CPU_GHZ must be a CPU clock in GHz from 0.5 to 7, got "4.2GHz"\n');
});

test('check --as evaluates a hypothetical machine', () => {
  const r = cli(['check', '--as', 'RTX 3060 12GB', '--ram', '32', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tier.level, 3);
  assert.equal(j.machine.device.name, 'GeForce RTX 3060 12GB');
  const text = cli(['check', '--as', 'RTX 3060 12GB']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Tier 3/);
  assert.ok(text.stdout.split('\n').length < 60, 'the default report fits a screen');
});

test('check --as with a name that is not a GPU is one line and a non-zero exit', () => {
  const r = cli(['check', '--as', 'Voodoo 5 6000']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr.trim(), /^genready: unknown device "Voodoo 5 6000"/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
