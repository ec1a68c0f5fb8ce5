/** The estimate and models commands: the JSON contract and one-line errors for bad input. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './helpers.ts';

test('models --json lists the eleven models with parameters per component and a role each', () => {
  const r = cli(['models', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as {
    id: string;
    aliases: string[];
    defaults: object;
    components: { role: string; parameters: number }[];
  }[];
  assert.deepEqual(
    list.map((m) => m.id),
    [
      'sd15',
      'sd21',
      'sdxl',
      'sdxl-refiner',
      'sdxl-turbo',
      'sd3-medium',
      'sd35-medium',
      'sd35-large',
      'flux1-dev',
      'flux1-schnell',
      'pixart-sigma',
    ],
  );
  for (const m of list) {
    assert.ok(m.components.some((c) => c.role === 'denoiser') && m.components.some((c) => c.role === 'vae'));
    for (const c of m.components) {
      assert.ok(['denoiser', 'text-encoder', 'vae', 'controlnet'].includes(c.role));
      assert.ok(c.parameters > 1e6);
    }
  }
  assert.ok(
    list.find((m) => m.id === 'sdxl')!.components.some((c) => c.role === 'controlnet'),
    'ControlNet listed as an add-on',
  );
});

test('estimate --json for SDXL at 1024² shows where the memory goes in each phase', () => {
  const r = cli(['estimate', '--model', 'sdxl', '--width', '1024', '--height', '1024', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const phases = j.memory.phases.map((p: { phase: string }) => p.phase);
  assert.deepEqual(phases, ['text-encoding', 'denoising', 'vae-decode']);
  // the VAE decode at 1024² needs more activation memory than a denoising step (single-head mid attention, full-res convs)
  const act = Object.fromEntries(
    j.memory.phases.map((p: { phase: string; activationBytes: number }) => [p.phase, p.activationBytes]),
  );
  assert.ok(act['vae-decode'] > act.denoising);
  // all weights ≈ 7.11 GB: UNet 5.14 + bigG 1.39 + CLIP-L 0.25 in fp16, published file sizes, and the
  // VAE 0.33 in fp32 — SDXL's pipelines decode in fp32 (force_upcast) — unless asked otherwise
  assert.ok(Math.abs(j.memory.totalWeightBytes / 7.11e9 - 1) < 0.01, String(j.memory.totalWeightBytes));
  assert.equal(j.workload.precision.vae, 'fp32');
  const half = JSON.parse(cli(['estimate', '--model', 'sdxl', '--vae-precision', 'fp16', '--json']).stdout);
  assert.ok(
    Math.abs(half.memory.totalWeightBytes / 6.94e9 - 1) < 0.01,
    'an fp16-safe VAE (--vae-precision fp16) is 0.17 GB',
  );
});

test('estimate with a device gives the documented contract', () => {
  const r = cli([
    'estimate',
    '--model',
    'SD 1.5',
    '--device',
    'RTX 3060 12GB',
    '--width',
    '512',
    '--height',
    '512',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(typeof j.fits, 'boolean');
  assert.ok(['gpu', 'model-offload', 'sequential-offload', 'cpu'].includes(j.strategy));
  for (const k of ['peakAllocatedBytes', 'peakReservedBytes', 'peakDeviceBytes', 'peakHostBytes'])
    assert.ok(j.memory[k] > 0, k);
  assert.ok(
    j.memory.peakAllocatedBytes <= j.memory.peakReservedBytes && j.memory.peakReservedBytes <= j.memory.peakDeviceBytes,
  );
  for (const k of ['secondsPerStep', 'stepsPerSecond', 'secondsPerImage', 'imagesPerHour']) assert.ok(j.time[k] > 0, k);
  assert.ok(Math.abs(j.time.stepsPerSecond * j.time.secondsPerStep - 1) < 1e-9);
});

test('--strategy auto falls back to offload when the model does not fit all on the device', () => {
  const r = cli(['estimate', '--model', 'flux1-dev', '--device', 'RTX 4090', '--json']);
  const j = JSON.parse(r.stdout);
  assert.equal(j.fits, true);
  assert.notEqual(j.strategy, 'gpu', 'FLUX.1-dev in bf16 with T5 (~33.7 GB) does not fit 24 GB all on the device');
  const forced = JSON.parse(
    cli(['estimate', '--model', 'flux1-dev', '--device', 'RTX 4090', '--strategy', 'gpu', '--json']).stdout,
  );
  assert.equal(forced.fits, false);
});

const BAD: [string, string[], RegExp][] = [
  ['unknown model, with suggestions', ['estimate', '--model', 'sdxl-trubo'], /unknown model "sdxl-trubo".*sdxl-turbo/],
  ['size off the latent grid', ['estimate', '--model', 'sdxl', '--width', '1001', '--height', '1024'], /multiple of 8/],
  [
    'DiT size off the patch grid',
    ['estimate', '--model', 'flux1-dev', '--width', '1000', '--height', '1024'],
    /multiple of 16/,
  ],
  [
    'zero size',
    ['estimate', '--model', 'sd15', '--width', '0', '--height', '512'],
    /--width must be a whole number above 0/,
  ],
  [
    'negative size',
    ['estimate', '--model', 'sd15', '--width=-512', '--height', '512'],
    /--width must be a whole number above 0, got "-512"/,
  ],
  ['absurd size', ['estimate', '--model', 'sd15', '--width', '32768', '--height', '512'], /maximum 16384/],
  ['not a number', ['estimate', '--model', 'sd15', '--batch', 'many'], /must be a number/],
  [
    'unsupported precision',
    ['estimate', '--model', 'sd15', '--precision', 'fp4'],
    /--precision must be one of fp32, .*got "fp4"/,
  ],
  ['unknown device', ['estimate', '--model', 'sd15', '--device', 'RTX 9999'], /unknown device "RTX 9999"/],
  ['unknown flag', ['estimate', '--model', 'sd15', '--widht', '512'], /unknown option "--widht"/],
  [
    'bad attention',
    ['estimate', '--model', 'sd15', '--attention', 'fast'],
    /--attention must be one of naive, sliced, flash; got "fast"/,
  ],
  ['missing model', ['estimate'], /model/i],
  ['unknown command', ['estimte'], /unknown command/],
];

for (const [name, args, message] of BAD) {
  test(`bad input is one clear line and a non-zero exit: ${name}`, () => {
    const r = cli(args);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
}

test('when only the decode of the whole batch does not fit, estimate says what VAE tiling gives', () => {
  const r = cli([
    'estimate',
    '--model',
    'sdxl',
    '--device',
    'RTX 4060 Ti 16GB',
    '--size',
    '1024x1024',
    '--batch',
    '4',
    '--no-calibration',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /does not fit/);
  const hint =
    /with --vae-tiling \(decode in tiles\) it fits: strategy (\S+), device ([\d.]+) GB, (\d+) images\/hour/.exec(
      r.stdout,
    );
  assert.ok(hint, r.stdout);
  const tiled = JSON.parse(
    cli([
      'estimate',
      '--model',
      'sdxl',
      '--device',
      'RTX 4060 Ti 16GB',
      '--size',
      '1024x1024',
      '--batch',
      '4',
      '--vae-tiling',
      '--no-calibration',
      '--json',
    ]).stdout,
  );
  assert.equal(tiled.fits, true);
  assert.equal(hint[1], tiled.strategy);
  assert.equal(Number(hint[3]), Math.round(tiled.time.imagesPerHour));
  // A workload that fits gets no hint; one whose denoiser does not fit either gets none (tiling cannot help).
  assert.doesNotMatch(
    cli(['estimate', '--model', 'sdxl', '--device', 'RTX 4060 Ti 16GB', '--no-calibration']).stdout,
    /--vae-tiling/,
  );
  assert.doesNotMatch(
    cli([
      'estimate',
      '--model',
      'flux1-dev',
      '--precision',
      'fp16',
      '--device',
      'GTX 1650',
      '--strategy',
      'gpu',
      '--no-calibration',
    ]).stdout,
    /--vae-tiling/,
  );
});
