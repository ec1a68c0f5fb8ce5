/** Images per hour across the catalog (the `genready gpus` ranking), coloured by tier. */
import type { GpusJson } from '../api.ts';
import { draw } from '../charts.ts';
import { $, fill, h, table } from '../dom.ts';
import { rate, seconds, TIER_COLORS } from '../format.ts';

/** Enough bars to compare, few enough to read; the chosen device is always included. */
const SHOWN = 24;

/** Device segments (data/devices.csv) grouped as a buyer compares them. */
const GROUPS: Record<string, string[]> = {
  desktop: ['consumer_desktop'],
  laptop: ['consumer_laptop'],
  pro: ['workstation', 'datacenter'],
  apple: ['apple_soc', 'apu_unified_memory'],
  cpu: ['cpu'],
};

export function renderDevices(g: GpusJson, chosenId: string | null, filter: string): void {
  const chosenSegment = g.devices.find((d) => d.device.id === chosenId)?.device.segment;
  const group =
    filter === 'like' ? Object.values(GROUPS).find((x) => chosenSegment && x.includes(chosenSegment)) : GROUPS[filter];
  const fitting = g.devices.filter((d) => d.fits && (!group || group.includes(d.device.segment)));
  let shown = fitting.slice(0, SHOWN);
  const chosen = g.devices.find((d) => d.device.id === chosenId);
  if (chosen && !shown.includes(chosen)) shown = [...shown.slice(0, SHOWN - 1), chosen];
  // A device that cannot run it keeps its place for comparison, named as such and greyed.
  const label = (d: (typeof shown)[number]) => (d.fits ? d.device.name : `${d.device.name} (does not fit)`);
  draw($<HTMLCanvasElement>('devices-chart'), {
    type: 'bar',
    data: {
      labels: shown.map(label),
      datasets: [
        {
          label: 'images / hour',
          data: shown.map((d) => d.imagesPerHour),
          backgroundColor: shown.map((d) => (d.fits ? (TIER_COLORS[d.tier] ?? '#999') : '#d9d9d9')),
          borderColor: shown.map((d) => (d.device.id === chosenId ? '#c4413b' : 'transparent')),
          borderWidth: 2,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: {
        x: { beginAtZero: true, title: { display: true, text: 'images per hour' } },
        y: { ticks: { autoSkip: false, font: { size: 10 } } },
      },
      plugins: { legend: { display: false } },
    },
  });
  const legend = h(
    'p',
    { class: 'muted' },
    'Colour = tier: ',
    ...[1, 2, 3, 4].flatMap((t) => [
      h('span', { class: 'tier', style: `background:${TIER_COLORS[t]}` }, String(t)),
      ' ',
    ]),
    `· ${fitting.length ? `${fitting.length} devices of this kind run it` : 'no device of this kind runs it'} (each in a desktop with 32 GB RAM); the red outline is the chosen device.`,
  );
  fill(
    $('devices-text'),
    legend,
    h(
      'details',
      {},
      h('summary', {}, 'the ranking'),
      table(
        ['device', 'tier', 'images / hour', 'per image', 'strategy'],
        shown.map((d) => ({
          cells: [label(d), String(d.tier), rate(d.imagesPerHour), seconds(d.secondsPerImage), d.strategy],
          chosen: d.device.id === chosenId,
          attrs: { 'data-device': d.device.id, 'data-value': String(d.imagesPerHour) },
        })),
        [1, 2, 3],
      ),
    ),
  );
}
