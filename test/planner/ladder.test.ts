/**
 * The one ladder: the issue's cases (a 3060 owner who wants FLUX, a buyer with $800 for SDXL
 * batches), pins, reasons for every "no" and "tight", the tools' flags, and the tiers taking their
 * answer from it. Expectations are stated as the physics or the rule they come from.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestError } from '../../src/answers/errors.ts';
import { gpusAnswer as answerGpus, parseGpus } from '../../src/answers/gpus.ts';
import { listDevices, resolveDevice } from '../../src/catalog/devices.ts';
import { WorkloadError } from '../../src/catalog/errors.ts';
import { MEMORY_ERROR_P90 } from '../../src/cost/memory.ts';
import { establish, establishmentJson, pinsFrom, STRATEGY_FLAGS } from '../../src/planner/ladder.ts';
import { hypotheticalMachine } from '../../src/planner/machine.ts';
import { plan } from '../../src/planner/plan.ts';
import { rankDevices } from '../../src/planner/ranking.ts';
import { TIER_REQUIREMENTS } from '../../src/planner/tiers.ts';
import { tierOf } from '../../src/planner/verdict.ts';

const gpusAnswer = (f: Record<string, unknown>) => answerGpus(parseGpus(f));

const rtx3060 = hypotheticalMachine(resolveDevice('RTX 3060 12GB'));
const ctx3060 = { host: rtx3060.host, ramGiB: rtx3060.ramGiB };

test('plan: FLUX.1-dev, 100 images in 8 h on a 3060 12GB meets it, on the ladder rung it names', () => {
  const p = plan({
    workload: { model: 'flux-dev' },
    images: 100,
    withinHours: 8,
    budgetUsd: null,
    electricityUsdPerKWh: 0.3,
    machine: rtx3060,
    devices: [],
    offers: [],
  });
  assert.equal(p.machine.meets, true, p.machine.why);
  assert.ok(p.machine.rung && p.machine.rung !== 'on-device');
  // Its "meets it" is its ladder's: the rung is one that fits and is fast enough.
  const r = p.machine.ladder.find((x) => x.label === p.machine.rungLabel)!;
  assert.ok(r.fits && r.imagesPerHour! >= 100 / 8);
  assert.match(p.machine.why, new RegExp(p.machine.rungLabel!.replace(/[+]/g, '\\+')));
  // The reason names what is missing as asked and what runs it.
  assert.match(p.machine.verdict.reason, /needs 36\.8 GB on the GPU, 12\.4 GB usable as asked; runs with /);
});

test('plan: a target no rung meets in time is "does not meet it", with its rung and speed', () => {
  const p = plan({
    workload: { model: 'flux-dev' },
    images: 10_000,
    withinHours: 8,
    budgetUsd: null,
    electricityUsdPerKWh: 0.3,
    machine: rtx3060,
    devices: [],
    offers: [],
  });
  assert.equal(p.machine.meets, false);
  assert.ok(p.machine.ladder.every((r) => !r.fits || r.imagesPerHour! < 10_000 / 8));
  assert.match(p.machine.why, /more than 8 h/);
});

test('gpus: SDXL 1024² batch 4 under $800 is ranked by GPU throughput, never a CPU fallback, the rung shown', () => {
  const g = gpusAnswer({ for: 'sdxl 1024x1024 batch 4', maxPrice: '800' });
  const fitting = g.devices.filter((d) => d.fits);
  assert.ok(fitting.length >= 10);
  for (const d of g.devices) {
    assert.notEqual(d.strategy, 'cpu');
    assert.ok(d.device.launchPriceUsd !== null && d.device.launchPriceUsd <= 800);
    assert.ok(d.host.ramGiB > 0);
  }
  for (let i = 1; i < fitting.length; i++) assert.ok(fitting[i]!.imagesPerHour <= fitting[i - 1]!.imagesPerHour);
  // The batch's decode is what does not fit on 16 GB: the rung says VAE tiling.
  const top = fitting[0]!;
  assert.equal(top.rung, 'vae-tiling');
  assert.match(top.rungLabel!, /VAE tiling/);
  // Cards that do not establish it come last, with no throughput.
  const firstNo = g.devices.findIndex((d) => !d.fits);
  if (firstNo >= 0) assert.ok(g.devices.slice(firstNo).every((d) => !d.fits && d.imagesPerHour === 0));
});

test('gpus: by default the cards one can buy; --segment and --all widen the list', () => {
  const buy = gpusAnswer({ model: 'sd15' });
  assert.ok(buy.devices.every((d) => d.device.launchPriceUsd !== null));
  const dc = gpusAnswer({ model: 'sd15', segment: 'datacenter' });
  assert.ok(dc.devices.length > 0 && dc.devices.every((d) => d.device.segment === 'datacenter'));
  const all = gpusAnswer({ model: 'sd15', all: true });
  assert.equal(all.devices.length, listDevices().filter((d) => d.backend !== 'cpu').length);
  assert.throws(() => gpusAnswer({ model: 'sd15', segment: 'gaming' }), RequestError);
});

test('pins: a given precision is kept, --no-quantize never lowers, --strategy keeps to one strategy', () => {
  const d = rtx3060.device;
  const fp8 = establish(d, { model: 'flux-dev', precision: 'fp8', batch: 1 }, ctx3060);
  assert.ok(fp8.rungs.every((r) => r.step.precision === 'fp8' || r.step.strategy === 'cpu'));
  assert.ok(fp8.pinned.some((p) => /fp8/.test(p)));
  const plain = establish(d, { model: 'flux-dev', batch: 1 }, ctx3060, pinsFrom({ quantize: false }));
  assert.ok(plain.rungs.every((r) => r.step.precision === 'bf16' || r.step.strategy === 'cpu'));
  assert.match(plain.reason, /kept to no lowered weights/);
  const off = establish(d, { model: 'sdxl', batch: 1 }, ctx3060, pinsFrom({ strategy: 'model-offload' }));
  assert.ok(off.rungs.every((r) => r.step.strategy === 'model-offload'));
  assert.equal(establishmentJson(off).strategy, 'model-offload');
  assert.throws(() => pinsFrom({ strategy: 'fast' }), WorkloadError);
});

test('a tight fit says so, by how much, and names the rung that makes it comfortable', () => {
  const e = establish(rtx3060.device, { model: 'sdxl', batch: 1 }, ctx3060);
  assert.equal(e.fitGrade, 'tight');
  assert.equal(e.chosen?.step.id, 'on-device');
  assert.ok(e.chosen!.peakRequiredBytes * (1 + MEMORY_ERROR_P90) > e.chosen!.usableBytes);
  assert.ok(e.comfortable && e.comfortable.fitGrade === 'comfortable');
  assert.match(e.reason, /tight: needs 12\.\d GB of 12\.4 GB/);
  assert.match(e.reason, new RegExp(`comfortable ${e.comfortable.step.label}`));
});

test('a "no" says what is missing and by how much, and has no throughput', () => {
  const e = establish(resolveDevice('GTX 1650'), { model: 'flux-dev', batch: 1 }, { ramGiB: 8 });
  assert.equal(e.chosen, null);
  assert.equal(e.imagesPerHour, null);
  assert.equal(e.fitGrade, 'does-not-fit');
  assert.match(e.reason, /^does not run: needs [\d.]+ GB on the GPU, [\d.]+ GB usable/);
  assert.ok(e.shortfall && e.shortfall.neededBytes > e.shortfall.availableBytes);
  assert.ok(e.rungs.every((r) => r.imagesPerHour === 0));
});

test('strategies are named in the flags people know', () => {
  assert.equal(STRATEGY_FLAGS['model-offload'].a1111, '--medvram');
  assert.equal(STRATEGY_FLAGS['sequential-offload'].a1111, '--lowvram');
  assert.equal(STRATEGY_FLAGS['model-offload'].comfyui, '--lowvram');
  assert.equal(STRATEGY_FLAGS['sequential-offload'].comfyui, '--novram');
  assert.match(STRATEGY_FLAGS['model-offload'].diffusers, /enable_model_cpu_offload\(\)/);
  assert.match(STRATEGY_FLAGS['sequential-offload'].diffusers, /enable_sequential_cpu_offload\(\)/);
  const e = establish(rtx3060.device, { model: 'flux-dev', batch: 1 }, ctx3060);
  assert.match(establishmentJson(e).flags!.diffusers, /cpu_offload|BitsAndBytes|layerwise/);
});

test('tiers: a requirement is met only when the ladder establishes it as stated', () => {
  for (const name of ['RTX 3060 12GB', 'RTX 3060 8GB', 'RTX 4060 Ti 16GB', 'RTX 4090']) {
    const m = hypotheticalMachine(resolveDevice(name));
    for (const { tier, results } of tierOf(m).requirements) {
      results.forEach((r, i) => {
        const req = TIER_REQUIREMENTS[tier][i]!;
        const l = establish(
          m.device,
          req.workload,
          { host: m.host, ramGiB: m.ramGiB },
          { strategies: req.strategies, noQuantize: true },
        );
        if (r.met) {
          assert.ok(l.chosen, `${name}: ${r.label}`);
          assert.equal(r.rung, l.chosen.step.id);
          assert.ok(req.strategies.includes(l.chosen.step.strategy));
        }
        if (!l.chosen) assert.equal(r.met, false);
      });
    }
  }
});

test('rankings never rank a card by the CPU: no ranked card has a CPU rung', () => {
  const r = rankDevices({ model: 'flux-dev', batch: 1 }, { devices: listDevices().filter((d) => d.vendor === 'AMD') });
  assert.ok(r.length > 0);
  for (const x of r) assert.ok(x.ladder.rungs.every((y) => y.step.strategy !== 'cpu'));
});
