/** `genready plan` and `genready gpus` as a person runs them: answers, JSON, and one-line errors. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from './helpers.ts';

test('plan --json: the machine verdict, GPUs that meet it cheapest first, cloud offers and the break-even', () => {
  const r = cli([
    'plan',
    '--model',
    'sdxl',
    '--size',
    '1024x1024',
    '--images',
    '2000',
    '--within',
    '8h',
    '--budget',
    '1500',
    '--as',
    'RTX 3060 8GB',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.schemaVersion, 1);
  assert.deepEqual(
    [p.request.model, p.request.width, p.request.images, p.request.withinHours, p.request.budgetUsd],
    ['sdxl', 1024, 2000, 8, 1500],
  );
  assert.equal(p.machine.device.name, 'GeForce RTX 3060 8GB');
  assert.equal(p.machine.meets, p.machine.hoursToFinish <= 8 && p.machine.fits);
  assert.ok(p.candidates.length > 0);
  assert.ok(p.candidates.every((c: { meets: boolean }) => c.meets));
  assert.ok(p.cheapest.device.launchPriceUsd <= 1500);
  assert.ok(p.cloud[0].costPer1000Usd > 0 && typeof p.cloud[0].source === 'string');
  assert.equal(typeof p.breakEven.explanation, 'string');
  assert.ok(p.accuracyByVendor.NVIDIA.speed.n > 100, 'recommendations carry the published error of their vendor');
});

test('plan in words: target, this machine, GPUs to buy, cloud, break-even, assumptions', () => {
  const r = cli(['plan', '--model', 'sd15', '--images', '300', '--within', '2h', '--as', 'GTX 1650']);
  assert.equal(r.code, 0, r.stderr);
  for (const s of ['Target', 'This machine', 'GPU to buy', 'cloud', 'Break-even', 'Assumed: electricity'])
    assert.ok(r.stdout.includes(s), `missing "${s}"`);
});

test('plan rejects bad targets with one line and exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['--images', '0', '--within', '8h'], /--images must be a whole number above 0/],
    [['--images', '12.5', '--within', '8h'], /whole number/],
    [['--images', '100', '--within', 'soon'], /--within must look like 8h/],
    [['--images', '100', '--within', '-3h'], /--within/],
    [['--images', '100'], /--within/],
    [['--images', '100', '--within', '8h', '--budget', 'lots'], /--budget must be a number/],
    [['--images', '100', '--within', '8h', '--as', 'RTX 9999 Ultra'], /unknown device/i],
  ];
  for (const [extra, re] of cases) {
    const r = cli(['plan', '--model', 'sd15', ...extra]);
    assert.equal(r.code, 1, `${extra.join(' ')}: ${r.stdout}`);
    assert.match(r.stderr.trim(), re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('gpus --for ranks devices by images per hour and keeps the batch in the words', () => {
  const r = cli(['gpus', '--for', 'sdxl 1024x1024 batch 4', '--vendor', 'nvidia', '--max-price', '2000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const g = JSON.parse(r.stdout);
  assert.equal(g.workload.model, 'sdxl');
  assert.equal(g.workload.batch, 4);
  assert.ok(g.devices.length > 5);
  assert.ok(
    g.devices.every(
      (d: { device: { vendor: string; launchPriceUsd: number } }) =>
        d.device.vendor === 'NVIDIA' && d.device.launchPriceUsd <= 2000,
    ),
  );
  const fit = g.devices.filter((d: { fits: boolean }) => d.fits);
  for (let i = 1; i < fit.length; i++) assert.ok(fit[i].imagesPerHour <= fit[i - 1].imagesPerHour);
  const text = cli(['gpus', '--for', 'sd15 512x512', '--top', '3']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /best batch per device/);
  assert.match(text.stdout, /Speed error against published measurements: NVIDIA \d+ % median/);
  const bad = cli(['gpus', '--for', '1024x1024']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /names no model/);
});
