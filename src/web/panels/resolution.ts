/** Peak device memory from 256 to 2048 px per strategy, with the device's usable memory as a line. */
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

export function renderResolution(s: SweepJson, requestedSide: number): void {
  const labels = s.points.map((p) => (p.width === p.height ? `${p.width}` : `${p.width}×${p.height}`));
  // The CPU strategy holds nothing on the device; it is not part of this picture.
  const strategies = (s.points[0]?.strategies ?? []).map((x) => x.strategy).filter((x) => x !== 'cpu');
  const usable = s.usableDeviceBytes / G;
  draw($<HTMLCanvasElement>('resolution-chart'), {
    type: 'line',
    data: {
      labels,
      datasets: strategies.map((st) => ({
        label: NAMES[st] ?? st,
        data: s.points.map((p) => (p.strategies.find((x) => x.strategy === st)?.peakDeviceBytes ?? NaN) / G),
        borderColor: COLORS[st] ?? '#555',
        backgroundColor: COLORS[st] ?? '#555',
        pointRadius: s.points.map((p) => (Math.max(p.width, p.height) === requestedSide ? 5 : 2)),
      })),
    },
    options: {
      scales: {
        y: { beginAtZero: true, title: { display: true, text: 'peak on the device, GB' } },
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
      'details',
      {},
      h('summary', {}, 'the numbers (✗ = does not fit)'),
      table(
        ['size', ...strategies.map((x) => NAMES[x] ?? x)],
        rows,
        strategies.map((_, i) => i + 1),
      ),
    ),
  );
}
