/**
 * The production plan: targets against this machine, GPUs to buy and cloud offers; the money
 * arithmetic; the strategy ladder; the ranking. Expectations are stated as the physics or the
 * practitioner's rule they come from, not as copied outputs.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloudCatalog, cloudGpuQuery, parseCloudPrices } from '../../src/catalog/cloud.ts';
import { listDevices, resolveDevice } from '../../src/catalog/devices.ts';
import { CatalogError } from '../../src/catalog/errors.ts';
import { breakEvenImages, ECONOMICS, localCost, wallPowerW } from '../../src/planner/economics.ts';
import { strategyLadder } from '../../src/planner/ladder.ts';
import { hypotheticalMachine, machineFromProbe } from '../../src/planner/machine.ts';
import { type PlanRequest, plan } from '../../src/planner/plan.ts';
import { rankDevices } from '../../src/planner/ranking.ts';
import { fakeProbe } from '../../src/probe/fake.ts';

// A small, varied shopping list keeps each plan fast: budget 8 GB to datacenter parts, priced and not.
const SHOP = [
  'RTX 3060 8GB',
  'RTX 3060 12GB',
  'RTX 4060 Ti 16GB',
  'RTX 4070 Super',
  'RTX 4090',
  'RTX 5090',
  'RX 7900 XTX',
  'GTX 1650',
  'RTX 6000 Ada',
  'H100 SXM',
].map(resolveDevice);

function request(over: Partial<PlanRequest> & { gpu?: string | null }): PlanRequest {
  const machine =
    over.gpu === null
      ? machineFromProbe(fakeProbe({ ramGiB: 32, cores: 16 }))
      : hypotheticalMachine(resolveDevice(over.gpu ?? 'GTX 1650'));
  return {
    workload: { model: 'sdxl', width: 1024, height: 1024, steps: 30 },
    images: 2000,
    withinHours: 8,
    budgetUsd: null,
    electricityUsdPerKWh: 0.3,
    machine,
    devices: SHOP,
    ...over,
  };
}

test('a machine fast enough for the target meets it; the same target in a tenth of the time does not', () => {
  const ok = plan(request({ gpu: 'RTX 4090', workload: { model: 'sd15', steps: 25 }, images: 500, withinHours: 10 }));
  assert.equal(ok.machine.meets, true);
  assert.ok(ok.machine.hoursToFinish <= 10);
  const tight = plan(
    request({
      gpu: 'RTX 4090',
      workload: { model: 'sd15', steps: 25 },
      images: 500,
      withinHours: ok.machine.hoursToFinish / 10,
    }),
  );
  assert.equal(tight.machine.meets, false);
  assert.match(tight.machine.why, /more than/);
});

test('hours to finish is the image count over the images per hour, for the machine and every candidate', () => {
  const p = plan(request({}));
  assert.ok(Math.abs(p.machine.hoursToFinish - 2000 / p.machine.imagesPerHour) < 1e-9);
  for (const c of p.candidates) {
    assert.ok(Math.abs(c.hoursToFinish * c.imagesPerHour - 2000) < 1e-6);
    assert.ok(c.meets && c.hoursToFinish <= 8, `${c.device.name} listed but misses the target`);
  }
});

test('candidates come cheapest first; the budget decides which one is recommended', () => {
  const p = plan(request({}));
  const prices = p.candidates.map((c) => c.device.launchPriceUsd!);
  assert.deepEqual(
    prices,
    [...prices].sort((a, b) => a - b),
  );
  assert.equal(p.cheapest?.device.name, p.candidates.find((c) => c.withinBudget)?.device.name);
  // A budget below the cheapest meeting GPU recommends nothing and names what it would take.
  const poor = plan(request({ budgetUsd: prices[0]! - 1 }));
  assert.equal(poor.cheapest, null);
  assert.equal(poor.overBudget?.device.name, p.candidates[0]!.device.name);
});

test('the cheaper alternative is cheaper than the recommendation and says what it gives up', () => {
  const p = plan(request({}));
  const alt = p.cheaperAlternative;
  assert.ok(alt && p.cheapest, 'SDXL at 1024², 2000 in 8 h: some priced GPU misses it (the 8 GB cards)');
  assert.ok(alt.device.launchPriceUsd! < p.cheapest.device.launchPriceUsd!);
  assert.equal(alt.meets, false);
  assert.match(alt.givesUp, /images\/hour|cannot hold/);
});

test('cloud offers are sorted by cost per 1000 images, which is the hourly price over the images per hour', () => {
  const p = plan(request({}));
  assert.ok(p.cloud.length > 10);
  for (let i = 1; i < p.cloud.length; i++) assert.ok(p.cloud[i]!.costPer1000Usd >= p.cloud[i - 1]!.costPer1000Usd);
  for (const c of p.cloud) {
    assert.ok(Math.abs(c.costPer1000Usd - (c.usdPerHour / c.imagesPerHour) * 1000) < 1e-9);
    assert.equal(c.gpusForDeadline, Math.max(1, Math.ceil(c.hoursToFinish / 8)));
  }
});

test('break-even: purchase price over the per-image saving against the cheapest rental', () => {
  const p = plan(request({}));
  const gpu = p.cheapest!;
  const cloud = p.cloud[0]!;
  const expected = Math.ceil(
    gpu.device.launchPriceUsd! / (cloud.costPer1000Usd / 1000 - gpu.local.electricityPer1000Usd! / 1000),
  );
  assert.equal(p.breakEven.images, expected);
  assert.equal(p.breakEven.device, gpu.device.name);
  assert.equal(breakEvenImages(1000, 0.002, 0.001), null, 'renting cheaper than the electricity: never pays off');
  assert.equal(breakEvenImages(1000, 0.001, 0.003), 500_000);
});

test('a machine that meets the target is already paid for: its cost is the electricity', () => {
  const p = plan(request({ gpu: 'RTX 4090', workload: { model: 'sd15' }, images: 100, withinHours: 24 }));
  assert.equal(p.machine.local.amortisationPer1000Usd, 0);
  assert.equal(p.breakEven.images, 0);
  assert.match(p.breakEven.explanation, /already paid for|cheaper than the electricity/);
});

test('planned from the cloud: a volume no desktop GPU reaches is flagged; a modest one is not', () => {
  const huge = plan(
    request({ workload: { model: 'flux1-dev', width: 1024, height: 1024 }, images: 100_000, withinHours: 24 }),
  );
  assert.ok(huge.patterns.some((x) => x.id === 'planned-from-the-cloud'));
  assert.ok(!huge.candidates.some((c) => c.device.segment !== 'datacenter'));
  const modest = plan(request({ workload: { model: 'sd15' }, images: 200, withinHours: 8 }));
  assert.ok(!modest.patterns.some((x) => x.id === 'planned-from-the-cloud'));
});

test('electricity: board power plus the host, for the time 1000 images take, at the tariff', () => {
  const d = resolveDevice('RTX 4090');
  const c = localCost(d, 100, 0.3);
  const watts = d.tdpW! + ECONOMICS.hostPowerW.value;
  assert.equal(c.powerW, watts);
  assert.ok(Math.abs(c.electricityPer1000Usd! - (watts / 1000) * 10 * 0.3) < 1e-9);
  assert.ok(Math.abs(c.amortisationPer1000Usd! - (d.launchPriceUsd! / ECONOMICS.serviceLifeHours.value) * 10) < 1e-9);
  // Twice the tariff, twice the electricity; owned hardware has no amortisation.
  assert.ok(Math.abs(localCost(d, 100, 0.6).electricityPer1000Usd! - 2 * c.electricityPer1000Usd!) < 1e-9);
  assert.equal(localCost(d, 100, 0.3, { owned: true }).amortisationPer1000Usd, 0);
  assert.equal(
    wallPowerW(resolveDevice('Apple M2 Max')),
    null,
    'SoCs have no board power in the catalog: unknown, not guessed',
  );
});

test('ladder: an 8 GB card gives up fp16-on-device for SDXL 1024² and keeps a rung that fits', () => {
  const l = strategyLadder(resolveDevice('RTX 3060 8GB'), { model: 'sdxl', width: 1024, height: 1024 }, { ramGiB: 32 });
  assert.equal(l.rungs[0]!.step.id, 'on-device');
  assert.equal(l.rungs[0]!.fits, false);
  assert.ok(l.chosen?.fits && l.chosen.step.id !== 'on-device');
  // Lossless model offload costs a few percent here, so it beats 4-bit weights that would also fit.
  assert.ok(l.rungs.some((r) => r.fits && r.step.precision === 'nf4'));
  assert.equal(l.chosen.step.qualityCost, 0);
  const fastest = Math.min(...l.rungs.filter((r) => r.fits).map((r) => r.secondsPerImage));
  assert.ok(l.chosen.secondsPerImage <= fastest * 1.25);
  // Rungs that stream weights cost time: sequential offload is slower than all on the device.
  const seq = l.rungs.find((r) => r.step.id === 'sequential-offload' && r.fits)!;
  assert.ok(seq.slowdown > 1);
});

test('ladder: a 24 GB card runs SDXL on the first rung; a CPU has only the CPU rung', () => {
  const big = strategyLadder(resolveDevice('RTX 4090'), { model: 'sdxl' }, { ramGiB: 64 });
  assert.equal(big.chosen?.step.id, 'on-device');
  const cpu = machineFromProbe(fakeProbe({ ramGiB: 32 }));
  const l = strategyLadder(cpu.device, { model: 'sd15', precision: 'fp32' }, { host: cpu.host, ramGiB: 32 });
  assert.deepEqual(
    l.rungs.map((r) => r.step.id),
    ['cpu'],
  );
});

test('ladder: FLUX.1-dev on 8 GB needs lower-precision weights together with offload', () => {
  const l = strategyLadder(
    resolveDevice('RTX 4060'),
    { model: 'flux1-dev', width: 1024, height: 1024 },
    { ramGiB: 32 },
  );
  assert.ok(l.chosen);
  assert.notEqual(l.chosen.step.strategy, 'gpu');
  assert.notEqual(l.chosen.step.precision, 'bf16');
});

test('ranking: images per hour descending among devices that fit; a batch asked is kept', () => {
  const r = rankDevices({ model: 'sdxl', width: 1024, height: 1024, batch: 4 }, { devices: SHOP });
  const fits = r.filter((x) => x.fits);
  for (let i = 1; i < fits.length; i++) assert.ok(fits[i]!.imagesPerHour <= fits[i - 1]!.imagesPerHour);
  assert.ok(r.every((x) => x.batch === 4));
  assert.ok(
    r.findIndex((x) => !x.fits) === -1 || r.findIndex((x) => !x.fits) >= fits.length,
    'devices that cannot run it come last',
  );
});

test('cloud prices: every listed GPU resolves to the device it rents, or is reported as unmatched', () => {
  const c = cloudCatalog();
  const rows = parseCloudPrices('provider,gpu,vram_gb,usd_per_hour,date,source,price_basis,pricing_type\n').offers;
  assert.equal(rows.length, 0);
  assert.ok(c.offers.length >= 50);
  for (const o of c.offers) assert.ok(o.usdPerHour > 0 && o.source.length > 0);
  const byLabel = (p: string, g: string) => c.offers.find((o) => o.provider === p && o.gpu === g)!.device.name;
  assert.match(byLabel('Vast.ai', 'RTX 3060'), /3060 12GB/, 'the listed 12 GB picks the variant');
  assert.match(byLabel('AWS', 'T4'), /T4/);
  assert.match(byLabel('RunPod', 'H100 SXM'), /H100 SXM/);
  assert.equal(cloudGpuQuery('L4 / A5000 / RTX 3090 tier'), 'L4');
  assert.equal(cloudGpuQuery('H100 (PRO tier)'), 'H100');
  assert.ok(
    c.offers.filter((o) => o.provider === 'GCP' && o.gpuOnly).length >= 3,
    'GCP GPU-only prices are marked (the VM is extra)',
  );
  assert.ok(c.unmatched.every((u) => /Quadro RTX 6000/.test(u)));
  assert.ok(listDevices().length > 0);
});

test('a corrupt price table is a catalog error naming the row, not a crash', () => {
  assert.throws(
    () =>
      parseCloudPrices(
        'provider,gpu,vram_gb,usd_per_hour,date,source,price_basis,pricing_type\nAWS,T4,16,free,2026,x,y,z\n',
      ),
    (e: unknown) => e instanceof CatalogError && /row 2: usd_per_hour/.test(e.message),
  );
  assert.throws(() => parseCloudPrices('a,"b\n'), CatalogError);
});

test('a bench calibration of this machine scales its own time (said as measured here), never the GPUs to buy', () => {
  const base = request({
    gpu: null,
    workload: { model: 'sd15', width: 256, height: 256, steps: 10 },
    images: 10,
    withinHours: 1000,
  });
  const plain = plan(base);
  const c = {
    deviceId: base.machine.device.id,
    factors: { 'text-encoding': 2, denoising: 2, 'vae-decode': 2 },
    measuredAt: '2026-11-26T00:00:00Z',
    source: 'test',
  };
  const slow = plan({ ...base, calibration: c });
  assert.equal(plain.machine.basis, 'estimated');
  assert.equal(slow.machine.basis, 'measured here');
  // Every phase twice as slow: half the images per hour, up to the fixed per-call overhead.
  assert.ok(
    Math.abs(slow.machine.imagesPerHour / plain.machine.imagesPerHour - 0.5) < 0.05,
    String(slow.machine.imagesPerHour / plain.machine.imagesPerHour),
  );
  assert.deepEqual(
    slow.candidates.map((x) => x.imagesPerHour),
    plain.candidates.map((x) => x.imagesPerHour),
  );
});
