/**
 * `genready bench` as a person runs it (bad input is one line and exit 1), and `check` / `estimate`
 * after a calibration exists for this machine: they say "measured here" and use the measured ratio.
 * Everything runs against temporary GENREADY_HOME / GENREADY_CACHE_DIR, never the user's.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { predictSeconds, recordMeasurements } from '../../src/bench/calibration.ts';
import { machineFromProbe } from '../../src/planner/machine.ts';
import { probeMachine } from '../../src/probe/probe.ts';
import { cli } from '../cli/helpers.ts';

const home = mkdtempSync(join(tmpdir(), 'genready-home-'));
// The CPU clock is pinned: each process would otherwise time its own (src/probe/clock.ts), and a
// shared host's clock moves by a few percent between them, while these tests compare processes.
const env = { GENREADY_HOME: home, GENREADY_CACHE_DIR: join(home, 'cache'), GENREADY_CPU_GHZ: '3.5' };

test('bench refuses what it cannot run, in one line', () => {
  const cases: [string[], RegExp][] = [
    [['bench', '--model', 'sd15', '--size', '500x500'], /^genready: .*multiple/],
    [['bench', '--model', 'nope'], /^genready: unknown model "nope"/],
    [['bench', '--size', 'big'], /^genready: --size must look like 1024x1024/],
    [['bench', '--provider', 'tpu'], /^genready: unknown provider "tpu"/],
    [['bench', '--frobnicate'], /^genready: unknown option "--frobnicate"/],
  ];
  // FLUX has a graph: it is refused for its 48 GB of fp32 RAM, so only where RAM is smaller (on a
  // bigger machine the command would really build and run it).
  if (totalmem() < 45e9)
    cases.push([
      ['bench', '--model', 'flux1-dev'],
      /^genready: FLUX\.1 \[dev\] does not fit this machine for a CPU benchmark: .* needs about \d+\.\d GB of RAM in fp32/,
    ]);
  for (const [argv, re] of cases) {
    const r = cli(argv, env);
    assert.equal(r.code, 1, `${argv.join(' ')}: ${r.stderr}`);
    // The CLI may warn first that the machine is busy (the test runner's own load); that is not the refusal.
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('genready: the machine is busy'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  }
});

test('bench --import with a malformed file is one line; with the script output it prints measured vs estimated', () => {
  const bad = join(home, 'bad.json');
  writeFileSync(bad, '{"format":"genready-torch-bench","version":1}');
  const r = cli(['bench', '--import', bad], { ...env, GENREADY_HOME: join(home, 'import-bad') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^genready: .*bad\.json is not a genready torch benchmark: environment/);
  const ok = cli(
    ['bench', '--import', new URL('../fixtures/bench/torch-results.json', import.meta.url).pathname, '--json'],
    { ...env, GENREADY_HOME: join(home, 'import-ok') },
  );
  assert.equal(ok.code, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.equal(j.environment.deviceId, 'nvidia-geforce-rtx-4090');
  assert.deepEqual(Object.keys(j.results[0]).slice(0, 8), [
    'model',
    'phase',
    'width',
    'height',
    'batch',
    'measuredSeconds',
    'predictedSeconds',
    'peakMemoryBytes',
  ]);
  assert.ok(existsSync(join(home, 'import-ok', 'calibration.json')));
});

test('bench --emit-torch writes the script', () => {
  const file = join(home, 'bench.py');
  const r = cli(['bench', '--emit-torch', file], env);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(file));
  assert.match(r.stdout, /genready bench --import/);
});

test('after a calibration for this machine, check and estimate --device here say "measured here" and use it', async () => {
  const calHome = join(home, 'calibrated');
  const before = JSON.parse(cli(['check', '--json'], { ...env, GENREADY_HOME: calHome }).stdout);
  const sd15Before = before.models.find((m: { model: string }) => m.model === 'sd15');
  assert.equal(sd15Before.basis, 'estimated');
  assert.equal(before.calibration, null);
  // A measurement twice as slow as predicted, for this machine's compute device.
  const m = machineFromProbe(await probeMachine({ env: { ...process.env, ...env } }));
  const c = {
    model: 'sd15',
    phase: 'denoising',
    width: 256,
    height: 256,
    batch: 1,
    precision: 'fp32',
    strategy: 'cpu',
  } as const;
  const device = m.device.backend === 'cpu' ? m.host : m.device;
  if (device.backend !== 'cpu') return; // this check is written for a CPU-only machine (the test machine)
  recordMeasurements(
    [
      {
        ...c,
        measuredSeconds: 2 * predictSeconds(c, device),
        peakMemoryBytes: 4e9,
        environment: {
          device: device.name,
          deviceId: device.id,
          runtime: 'onnxruntime',
          provider: 'cpu',
          cpu: device.name,
          cores: 2,
          ramBytes: 24e9,
          os: 'linux',
          versions: { onnxruntime: '1.30.0' },
          date: '2026-11-26T12:00:00.000Z',
        },
      },
    ],
    join(calHome, 'calibration.json'),
  );
  const after = JSON.parse(cli(['check', '--json'], { ...env, GENREADY_HOME: calHome }).stdout);
  const sd15 = after.models.find((x: { model: string }) => x.model === 'sd15');
  assert.equal(sd15.basis, 'measured here');
  assert.ok(Math.abs(after.calibration.factors.denoising - 2) < 1e-6);
  assert.ok(
    sd15.secondsPerImage > 1.5 * sd15Before.secondsPerImage,
    `${sd15.secondsPerImage} vs ${sd15Before.secondsPerImage}`,
  );
  const text = cli(['check'], { ...env, GENREADY_HOME: calHome });
  assert.match(text.stdout, /◆ measured here: times scaled by genready bench on this machine/);
  // A hypothetical machine is never "measured here".
  const as = JSON.parse(cli(['check', '--as', 'RTX 3060 12GB', '--json'], { ...env, GENREADY_HOME: calHome }).stdout);
  assert.equal(as.calibration, null);
  const est = JSON.parse(
    cli(['estimate', '--model', 'sd15', '--device', 'here', '--precision', 'fp32', '--json'], {
      ...env,
      GENREADY_HOME: calHome,
    }).stdout,
  );
  assert.equal(est.basis, 'measured here');
  const plain = JSON.parse(
    cli(['estimate', '--model', 'sd15', '--device', 'here', '--precision', 'fp32', '--json', '--no-calibration'], {
      ...env,
      GENREADY_HOME: calHome,
    }).stdout,
  );
  assert.equal(plain.basis, 'estimated');
  assert.ok(Math.abs(est.time.secondsPerStep / plain.time.secondsPerStep - 2) < 1e-6);
});
