import { defineCommand } from 'citty';
import { productionLocal } from '../../answers/local.ts';
import { type PlanAnswer, parsePlan, planAnswer } from '../../answers/plan.ts';
import type { FitGrade } from '../../cost/memory.ts';
import { ECONOMICS } from '../../planner/economics.ts';
import { accuracyLine } from '../_accuracy.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { byGrade, planMachineLines, rungCell } from '../_verdict-text.ts';
import { color, hours as h, rate, table, usd } from '../format.ts';
import type { Output } from '../output.ts';
import { workloadArgs } from './estimate.ts';

export type { PlanAnswer };

export const planArgs = {
  ...workloadArgs,
  images: { type: 'string', description: 'how many images to make; required' },
  within: { type: 'string', description: 'in how much time: 8h, 90m, 1h30m, 2d; required' },
  budget: { type: 'string', description: 'most you would pay for a GPU, USD (default: no limit)' },
  electricity: {
    type: 'string',
    description: `electricity price, USD per kWh (default ${ECONOMICS.electricityUsdPerKWh.value})`,
  },
  as: { type: 'string', description: 'plan for a hypothetical machine with this GPU (or "none") instead of this one' },
  vram: {
    type: 'string',
    description: 'plan for a hypothetical GPU with this much memory, in GB (not in the catalog)',
  },
  ram: { type: 'string', description: 'system RAM in GiB for --as' },
  top: { type: 'string', description: 'how many GPUs and cloud offers to list (default 5)' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

export function renderPlan(p: PlanAnswer, top: number): string[] {
  const lines: string[] = [];
  const r = p.request;
  lines.push(
    `${color.bold('Target')}: ${r.model} ${r.width}×${r.height}, ${r.steps} steps — ${r.images.toLocaleString('en-US')} images within ${h(r.withinHours)} (≥ ${rate(r.imagesPerHourNeeded)} images/hour)`,
  );
  const m = p.machine;
  const verdict = m.meets ? byGrade(m.fitGrade, 'meets it') : color.red('does not meet it');
  lines.push(
    `${color.bold('This machine')} (${m.device.name}, tier ${m.tier}): ${verdict} — ${m.why}${m.basis === 'measured here' ? color.green(' (time measured here by genready bench)') : ''}`,
  );
  for (const l of planMachineLines(m)) lines.push(l);
  if (m.meets) lines.push(color.dim(`  electricity ${usd(m.local.electricityPer1000Usd)} per 1000 images here`));
  if (p.candidates.length) {
    const t = table([
      'GPU to buy',
      'price',
      'tier',
      'run',
      'images/h',
      'time',
      'per 1000 (power + amortised)',
      'in budget',
    ]);
    for (const c of p.candidates.slice(0, top)) {
      t.push([
        c.device.name,
        usd(c.device.launchPriceUsd),
        String(c.tier),
        rungCell({ rungLabel: c.rungLabel, batch: c.batch, fitGrade: c.fitGrade as FitGrade }, { batch: true }),
        rate(c.imagesPerHour),
        h(c.hoursToFinish),
        `${usd(c.local.costPer1000Usd)} (${usd(c.local.electricityPer1000Usd)} + ${usd(c.local.amortisationPer1000Usd)})`,
        c.withinBudget ? 'yes' : color.red('no'),
      ]);
    }
    lines.push(t.toString());
  } else
    lines.push(
      color.red('No GPU in the catalog meets this target alone: allow more time, or rent several cloud GPUs (below).'),
    );
  if (p.cheapest)
    lines.push(
      `${color.bold('Cheapest that meets it')}: ${p.cheapest.device.name} (${usd(p.cheapest.device.launchPriceUsd)})`,
    );
  else if (p.overBudget)
    lines.push(
      color.yellow(
        `Nothing within ${usd(r.budgetUsd)} meets it; the cheapest that does is ${p.overBudget.device.name} at ${usd(p.overBudget.device.launchPriceUsd)}.`,
      ),
    );
  if (p.cheaperAlternative)
    lines.push(
      color.dim(
        `  a cheaper ${p.cheaperAlternative.device.name} (${usd(p.cheaperAlternative.device.launchPriceUsd)}) gives up: ${p.cheaperAlternative.givesUp}`,
      ),
    );
  if (p.cloud.length) {
    const t = table([
      'cloud',
      'GPU',
      '$/h',
      'images/h',
      'per 1000',
      'time on 1 GPU',
      'GPUs for the deadline',
      'total',
      'price date',
    ]);
    for (const c of p.cloud.slice(0, top)) {
      t.push([
        c.provider,
        c.gpu + (c.gpuOnly ? ' (GPU only, VM extra)' : ''),
        usd(c.usdPerHour),
        rate(c.imagesPerHour),
        usd(c.costPer1000Usd),
        h(c.hoursToFinish),
        String(c.gpusForDeadline),
        usd(c.totalUsd),
        /^\d{4}-\d{2}-\d{2}/.test(c.date) ? c.date.slice(0, 10) : 'undated',
      ]);
    }
    lines.push(t.toString());
  }
  lines.push(`${color.bold('Break-even')}: ${p.breakEven.explanation}`);
  const vendors = [...p.candidates.slice(0, top), ...p.cloud.slice(0, top)].map((c) => c.device.vendor);
  if (vendors.length) lines.push(color.dim(accuracyLine(p.accuracyByVendor, vendors)));
  for (const f of p.patterns) lines.push(`${color.yellow('!')} ${f.message} ${color.dim(f.advice)}`);
  lines.push(
    color.dim(
      `Assumed: electricity ${usd(r.electricityUsdPerKWh)}/kWh, GPU at its TDP + ${p.assumptions.hostPowerW.value} W for the host, purchase amortised over ${p.assumptions.serviceLifeHours.value} h; prices from data/cloud_prices.csv with their dates. --json for everything.`,
    ),
  );
  return lines;
}

export const planCommand = defineCommand({
  meta: {
    name: 'plan',
    description:
      'Does this machine meet a production target? If not, the cheapest GPUs and cloud offers that do, and the break-even',
  },
  args: planArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, planArgs);
    const out = data as Output;
    const p = await cliAnswer(async () => {
      const req = parsePlan(requestOf(args, planArgs));
      return { req, answer: await planAnswer(req, productionLocal()) };
    });
    if (args.json) return out.json(p.answer);
    for (const l of renderPlan(p.answer, p.req.top ?? 5)) out.text(l);
  },
});
