/** Local against cloud: cost per 1000 images and where buying a GPU pays off (the `genready plan` answer). */
import type { PlanJson } from '../api.ts';
import { draw } from '../charts.ts';
import { $, fill, h, table } from '../dom.ts';
import { rate, usd } from '../format.ts';

const LOCAL_SHOWN = 6;
const CLOUD_SHOWN = 8;

/** The plan's assumptions by their key, in words with units (keys are for scripts, not readers). */
const ASSUMED: Record<string, { words: string; value?: (v: number) => string }> = {
  electricityUsdPerKWh: { words: 'electricity', value: (v) => `${usd(v)} per kWh` },
  hostPowerW: { words: 'the rest of the PC draws', value: (v) => `${v} W` },
  gpuLoadFraction: { words: 'the GPU draws', value: (v) => `${Math.round(v * 100)} % of its rated power` },
  serviceLifeHours: { words: 'hardware is written off over', value: (v) => `${v.toLocaleString('en-US')} hours` },
  purchase: { words: 'purchase price' },
  candidateHost: { words: 'a GPU to buy is assumed in a PC with', value: (v) => `${v} GiB RAM` },
};

/** "hostPowerW" → "host power w" for a key this table does not know yet. */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

function assumption(key: string, a: { value?: unknown; reason: string }): string {
  const known = ASSUMED[key];
  const v = typeof a.value === 'number' && a.value !== 0 ? a.value : null;
  const shown = v === null ? '' : known?.value ? known.value(v) : String(v);
  return `${known?.words ?? words(key)}${shown ? ` ${shown}` : ''} (${a.reason})`;
}

export function renderCost(p: PlanJson): void {
  const mc = p.machine;
  // Cards to buy: those that meet the deadline, cheapest per image first; the chosen one is shown apart.
  const local = p.candidates
    .filter((c) => c.meets && c.local.costPer1000Usd !== null && c.device.id !== mc.device.id)
    .sort((a, b) => a.local.costPer1000Usd! - b.local.costPer1000Usd!)
    .slice(0, LOCAL_SHOWN);
  const cloud = [...p.cloud].sort((a, b) => a.costPer1000Usd - b.costPer1000Usd).slice(0, CLOUD_SHOWN);
  const bars = [
    ...(mc.local
      ? [{ label: `${mc.device.name} (owned: electricity)`, value: mc.local.costPer1000Usd, color: '#2e9d5b' }]
      : []),
    ...local.map((c) => ({
      label: `${c.device.name} (buy, $${c.device.launchPriceUsd ?? '?'})`,
      value: c.local.costPer1000Usd!,
      color: '#3b82c4',
    })),
    ...cloud.map((c) => ({ label: `${c.gpu} @ ${c.provider}`, value: c.costPer1000Usd, color: '#e8a33d' })),
  ];
  draw($<HTMLCanvasElement>('cost-chart'), {
    type: 'bar',
    data: {
      labels: bars.map((b) => b.label),
      datasets: [
        { label: 'USD per 1000 images', data: bars.map((b) => b.value), backgroundColor: bars.map((b) => b.color) },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: {
          beginAtZero: true,
          title: {
            display: true,
            text: 'USD per 1000 images (green: the chosen GPU, owned; blue: GPUs to buy; amber: cloud)',
          },
        },
        y: { ticks: { autoSkip: false, font: { size: 10 } } },
      },
      plugins: { legend: { display: false } },
    },
  });
  const r = p.request;
  fill(
    $('cost-text'),
    h(
      'p',
      { id: 'cost-owned', 'data-value': String(mc.local?.costPer1000Usd ?? '') },
      mc.local
        ? `Cost per 1000 images on ${mc.device.name}, already owned: ${usd(mc.local.costPer1000Usd)} (electricity at $${r.electricityUsdPerKWh}/kWh). Cheapest cloud offer: ${cloud[0] ? `${usd(cloud[0].costPer1000Usd)} (${cloud[0].gpu} @ ${cloud[0].provider})` : 'none'}.`
        : '',
    ),
    h(
      'p',
      { id: 'cost-machine', 'data-meets': String(mc.meets) },
      `${r.images} images of ${r.model} at ${r.width}×${r.height} within ${r.withinHours} h: ${mc.device.name} ${mc.meets ? 'makes it' : 'does not make it'} — ${rate(mc.imagesPerHour)} images/hour, ${rate(mc.hoursToFinish)} h (${mc.strategy}, batch ${mc.batch}). ${mc.why}`,
    ),
    h(
      'p',
      { id: 'cost-breakeven', 'data-value': String(p.breakEven.images ?? '') },
      `Break-even: ${p.breakEven.explanation}`,
    ),
    // Where the figures come from: the plan's own assumptions and the dated price table.
    h(
      'p',
      { class: 'note' },
      `Assumed: ${Object.entries(p.assumptions)
        .map(([k, a]) => assumption(k, a))
        .join('; ')}. Cloud prices: data/cloud_prices.csv, each with its date and source (in the table).`,
    ),
    h(
      'details',
      {},
      h('summary', {}, 'the numbers'),
      table(
        ['option', 'per 1000', 'images / hour', 'hours', 'note'],
        [
          ...(mc.local
            ? [
                {
                  cells: [
                    `${mc.device.name} (owned)`,
                    usd(mc.local.costPer1000Usd),
                    rate(mc.imagesPerHour),
                    rate(mc.hoursToFinish),
                    `electricity only (${mc.local.powerW} W)`,
                  ],
                  chosen: true,
                },
              ]
            : []),
          ...local.map((c) => ({
            cells: [
              `${c.device.name} (local)`,
              usd(c.local.costPer1000Usd),
              rate(c.imagesPerHour),
              rate(c.hoursToFinish),
              `electricity ${usd(c.local.electricityPer1000Usd)}, hardware ${usd(c.local.amortisationPer1000Usd)} per 1000`,
            ],
          })),
          ...cloud.map((c) => ({
            cells: [
              `${c.gpu} @ ${c.provider}`,
              usd(c.costPer1000Usd),
              rate(c.imagesPerHour),
              rate(c.hoursToFinish),
              `${usd(c.usdPerHour)}/h (${c.date}; ${c.source}), total ${usd(c.totalUsd)}`,
            ],
          })),
        ],
        [1, 2, 3],
      ),
    ),
  );
}
