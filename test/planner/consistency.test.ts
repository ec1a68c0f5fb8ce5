/**
 * One verdict everywhere (issue 19): for each machine × workload of the table, `check`, `gpus`,
 * `plan` and `estimate` — called in-process through the answer functions the CLI and the HTTP API
 * both serve — give the same rung, fit grade and images per hour, because each takes it from the
 * planner's ladder. By design, `check` and `plan` judge a machine with a known host (the CPU is its
 * last rung), `gpus` and `estimate` a card (no CPU rung): where only the CPU runs it, the card
 * answers say it does not establish the workload.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as answers from '../../src/answers/index.ts';
import { resolveDevice } from '../../src/catalog/devices.ts';
import { resolveModel } from '../../src/catalog/models.ts';
import { hypotheticalMachine } from '../../src/planner/machine.ts';
import { SEGMENTS } from '../../src/planner/ranking.ts';

// The answer functions the CLI and the HTTP API serve, fed the flags as the CLI passes them.
const local = answers.productionLocal();
const estimateAnswer = (f: Record<string, unknown>) => answers.estimateAnswer(answers.parseEstimate(f), local);
const gpusAnswer = (f: Record<string, unknown>) => answers.gpusAnswer(answers.parseGpus(f));
const planAnswer = (f: Record<string, unknown>) => answers.planAnswer(answers.parsePlan(f), local);
const checkAnswer = async (f: Record<string, unknown>) => ({
  report: await answers.checkAnswer(answers.parseCheck(f), local),
});

interface Case {
  gpu: string;
  model: string;
  /** Extra workload flags (strings, as the CLI passes them). */
  flags?: Record<string, string | boolean>;
}

const GPUS = [
  'RTX 3060 12GB',
  'RTX 3060 8GB',
  'RTX 4090',
  'RTX 4060',
  'GTX 1060 3GB',
  'GTX 1650',
  'RX 9070 XT',
  'RX 7900 XTX',
  'Arc B580',
  'RTX 4060 Ti 16GB',
  'RTX 5090',
  'Apple M2',
  'H100 SXM',
];

// Model defaults (what check evaluates) on every machine, plus batches, pins and sizes on a few.
const CASES: Case[] = [
  ...GPUS.flatMap((gpu) => ['sdxl', 'flux-dev'].map((model) => ({ gpu, model }))),
  ...['RTX 3060 12GB', 'GTX 1650', 'RTX 4060'].map((gpu) => ({ gpu, model: 'sd15' })),
  ...['RTX 3060 12GB', 'RTX 4060 Ti 16GB'].map((gpu) => ({ gpu, model: 'sd35-large' })),
  { gpu: 'RTX 3060 12GB', model: 'sdxl', flags: { batch: '4' } },
  { gpu: 'RX 9070 XT', model: 'sdxl', flags: { batch: '4' } },
  { gpu: 'RTX 4090', model: 'sdxl', flags: { batch: '8' } },
  { gpu: 'RTX 3060 12GB', model: 'flux-dev', flags: { precision: 'fp8' } },
  { gpu: 'RTX 3060 12GB', model: 'flux-dev', flags: { quantize: false } },
  { gpu: 'RTX 4060', model: 'sdxl', flags: { strategy: 'model-offload' } },
  { gpu: 'RTX 3060 8GB', model: 'sdxl', flags: { size: '1536x1536' } },
];

/** The check row exists only for a model's default workload (batch 1, no pins). */
const isDefault = (c: Case) => c.flags === undefined;

function segmentOf(segment: string): string {
  return Object.entries(SEGMENTS).find(([, s]) => s.includes(segment as never))![0];
}

interface Answer {
  rung: string | null;
  fitGrade: string;
  imagesPerHour: number | null;
}

const same = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(a, b);

assert.ok(CASES.length >= 30, `${CASES.length} cases`);

for (const c of CASES) {
  test(`one verdict: ${c.model} ${JSON.stringify(c.flags ?? {})} on ${c.gpu}`, async () => {
    const d = resolveDevice(c.gpu);
    const m = hypotheticalMachine(d);
    const ram = String(m.ramGiB);
    const flags = { model: c.model, batch: '1', ...c.flags };

    const e = (await estimateAnswer({ ...flags, device: d.name, ram })) as { verdict?: Answer & { reason: string } };
    const estimate = e.verdict!;

    const g = gpusAnswer({
      ...flags,
      vendor: d.vendor,
      segment: segmentOf(d.segment),
      ...(d.launchPriceUsd !== null ? { maxPrice: String(d.launchPriceUsd) } : {}),
      all: true,
    });
    const row = g.devices.find((x) => x.device.id === d.id);
    assert.ok(row, `${d.name} listed by gpus`);
    const gpus: Answer = {
      rung: row.rung,
      fitGrade: row.fitGrade,
      imagesPerHour: row.fits ? row.imagesPerHour : null,
    };

    const p = await planAnswer({ ...flags, images: '1', within: '1000h', as: d.name, ram });
    const plan: Answer = p.machine.verdict;

    assert.deepEqual(
      [gpus.rung, gpus.fitGrade],
      [estimate.rung, estimate.fitGrade],
      `gpus and estimate: ${estimate.reason}`,
    );
    assert.ok(same(gpus.imagesPerHour, estimate.imagesPerHour), `${gpus.imagesPerHour} vs ${estimate.imagesPerHour}`);

    // plan and check see the host: the same answer, or the CPU where no GPU rung runs it.
    if (plan.rung === 'cpu') assert.equal(estimate.rung, null, 'the CPU only where the card does not run it');
    else {
      assert.deepEqual([plan.rung, plan.fitGrade], [estimate.rung, estimate.fitGrade]);
      assert.ok(same(plan.imagesPerHour, estimate.imagesPerHour));
    }
    // plan's "meets it" is its ladder's: a rung that runs 1 image within 1000 h meets it.
    assert.equal(p.machine.meets, plan.rung !== null);
    assert.equal(p.machine.rung, plan.rung);

    if (isDefault(c)) {
      const { report } = await checkAnswer({ as: d.name, ram });
      const v = report.models.find((x) => x.model === resolveModel(c.model).id)!;
      assert.deepEqual([v.verdict.rung, v.fitGrade], [plan.rung, plan.fitGrade], `check: ${v.why}`);
      assert.ok(same(v.imagesPerHour, plan.imagesPerHour));
      assert.equal(v.mode === 'not-established', plan.rung === null);
    }
  });
}
