/**
 * Peak device memory from 256 to 2048 px per strategy, with the device's usable memory as a line,
 * and (dashed) what the chosen strategy's run needs without PyTorch's allocator cache. The cache is
 * shown apart because the peaks include it only where the card has room for it: near the limit the
 * allocator frees it before failing, so a peak can fall as resolution rises, which reads as a bug
 * unless said.
 */
import type { SweepJson } from '../api.ts';
import { draw } from '../charts.ts';
import { $, fill, h, table } from '../dom.ts';
import { gb } from '../format.ts';

const G = 1e9;
const COLORS: Record<string, string> = {
  gpu: '#3b82c4',
  'model-offload': '#e8a33d',
  'sequential-offload': '#2e9d5b',
  cpu: '#9aa0a6',
};
const NAMES: Record<string, string> = {
  gpu: 'all on the GPU',
  'model-offload': 'model offload',
  'sequential-offload': 'sequential offload',
  cpu: 'CPU',
};

interface Line {
  label: string;
  data: number[];
  borderColor: string;
  backgroundColor: string;
  pointRadius: number[];
  borderDash?: number[];
}

export function renderResolution(s: SweepJson, requestedSide: number): void {
  const labels = s.points.map((p) => (p.width === p.height ? `${p.width}` : `${p.width}×${p.height}`));
  // The CPU strategy holds nothing on the device; it is not part of this picture.
  const strategies = (s.points[0]?.strategies ?? []).map((x) => x.strategy).filter((x) => x !== 'cpu');
  const usable = s.usableDeviceBytes / G;
  const chosen = s.points[0]?.strategy ?? 'gpu';
  // Only while the chosen strategy is the same one (another strategy needs other memory): a gap after.
  const needed = s.points.map((p) => (p.strategy === chosen ? p.neededDeviceBytes / G : Number.NaN));
  // Where a peak line falls while the resolution rises: the allocator cache dropped (see above).
  const falls = strategies.flatMap((st) => {
    const ys = s.points.map((p) => p.strategies.find((x) => x.strategy === st)?.peakDeviceBytes ?? NaN);
    const at = ys.findIndex((y, i) => i > 0 && y < ys[i - 1]!);
    return at > 0 ? [{ st, from: s.points[at - 1]!, to: s.points[at]!, before: ys[at - 1]!, after: ys[at]! }] : [];
  });
  // The usable line always on the chart, with a little room above the highest of everything drawn.
  const highest = Math.max(
    usable,
    ...needed.filter(Number.isFinite),
    ...s.points
      .flatMap((p) => p.strategies.filter((x) => x.strategy !== 'cpu').map((x) => x.peakDeviceBytes / G))
      .filter(Number.isFinite),
  );
  draw($<HTMLCanvasElement>('resolution-chart'), {
    type: 'line',
    data: {
      labels,
      datasets: strategies
        .map(
          (st): Line => ({
            label: NAMES[st] ?? st,
            data: s.points.map((p) => (p.strategies.find((x) => x.strategy === st)?.peakDeviceBytes ?? NaN) / G),
            borderColor: COLORS[st] ?? '#555',
            backgroundColor: COLORS[st] ?? '#555',
            pointRadius: s.points.map((p): number => (Math.max(p.width, p.height) === requestedSide ? 5 : 2)),
          }),
        )
        .concat([
          {
            label: `needed without the allocator cache (${NAMES[chosen] ?? chosen})`,
            data: needed,
            borderColor: '#1d232a',
            backgroundColor: '#1d232a',
            borderDash: [5, 4],
            pointRadius: s.points.map((): number => 0),
          },
        ]),
    },
    options: {
      scales: {
        y: {
          beginAtZero: true,
          suggestedMax: highest * 1.08,
          title: { display: true, text: 'peak on the device, GB' },
        },
        x: { title: { display: true, text: 'longer side, px' } },
      },
      plugins: {
        refLines: {
          lines: [
            {
              value: usable,
              label: `${s.device.name}: ${gb(s.usableDeviceBytes)} usable`,
              color: '#c4413b',
              align: 'left',
            },
          ],
        },
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
      },
    },
  });
  const sentence = (st: string) => {
    const side = s.largestFitting[st];
    return side === null || side === undefined
      ? `${NAMES[st] ?? st}: not even at 256 px`
      : side >= 2048
        ? `${NAMES[st] ?? st}: fits up to 2048 px and beyond`
        : `${NAMES[st] ?? st}: fits up to ${side} px`;
  };
  const rows = s.points.map((p) => ({
    cells: [
      labels[s.points.indexOf(p)]!,
      ...strategies.map((st) => {
        const x = p.strategies.find((y) => y.strategy === st);
        return x ? `${gb(x.peakDeviceBytes)}${x.fits ? '' : ' ✗'}` : '—';
      }),
      `${gb(p.neededDeviceBytes)}${p.strategy !== chosen ? ` (${NAMES[p.strategy] ?? p.strategy})` : ''}`,
    ],
    chosen: Math.max(p.width, p.height) === requestedSide,
  }));
  fill(
    $('resolution-text'),
    h(
      'p',
      { id: 'resolution-largest', 'data-gpu': String(s.largestFitting.gpu ?? '') },
      `On ${s.device.name}: ${strategies.map(sentence).join('; ')}.`,
    ),
    h(
      'p',
      { id: 'resolution-cache', class: 'note', 'data-falls': String(falls.length > 0) },
      `The solid lines include PyTorch's allocator cache (blocks kept for reuse), which it gives back before running out of memory; the dashed line is what the run needs without it.${
        falls.length
          ? ` That is why ${falls
              .map(
                (f) =>
                  `the ${NAMES[f.st] ?? f.st} line falls from ${gb(f.before)} at ${Math.max(f.from.width, f.from.height)} px to ${gb(f.after)} at ${Math.max(f.to.width, f.to.height)} px`,
              )
              .join(' and ')}: past there the cache no longer fits beside the run and is dropped.`
          : ''
      }`,
    ),
    h(
      'details',
      {},
      h('summary', {}, 'the numbers (✗ = does not fit)'),
      table(['size', ...strategies.map((x) => NAMES[x] ?? x), 'needed without the cache'], rows, [
        ...strategies.map((_, i) => i + 1),
        strategies.length + 1,
      ]),
    ),
  );
}
