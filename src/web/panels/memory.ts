/**
 * Memory by phase as stacked bars (weights on the device + activations), plus the device peak split
 * into what the allocator holds and the runtime context, against the chosen device's usable memory
 * and the usable memory of common card sizes.
 */
import type { EstimateJson, UsableJson } from '../api.ts';
import { draw, type RefLine } from '../charts.ts';
import { $, fill, h, table } from '../dom.ts';
import { gb } from '../format.ts';

const G = 1e9;

export function renderMemory(e: EstimateJson, usable: UsableJson[]): void {
  const m = e.memory;
  const phases = m.phases.map((p) => p.phase);
  const labels = [...phases, 'device peak'];
  const reservedExtra = Math.max(0, m.peakReservedBytes - m.peakAllocatedBytes);
  const context = Math.max(0, m.peakDeviceBytes - m.peakReservedBytes);
  const lines: RefLine[] = usable.map((u) => ({
    value: u.bytes / G,
    label: `${u.memoryGiB} GB card`,
    color: '#9aa0a6',
    dash: [4, 4],
  }));
  lines.push({
    value: e.usableDeviceBytes / G,
    label: `${e.device.name}: ${gb(e.usableDeviceBytes)} usable`,
    color: '#c4413b',
    align: 'left',
  });
  const top = Math.max(m.peakDeviceBytes, e.usableDeviceBytes) / G;
  // Show the common sizes up to the next one above what matters here, not all the way to 80 GB.
  const next = usable.map((u) => u.bytes / G).find((b) => b > top * 1.05);
  draw($<HTMLCanvasElement>('memory-chart'), {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'weights on the device',
          data: [...m.phases.map((p) => p.weightBytes / G), 0],
          backgroundColor: '#3b82c4',
          stack: 's',
        },
        {
          label: 'activations',
          data: [...m.phases.map((p) => p.activationBytes / G), 0],
          backgroundColor: '#e8a33d',
          stack: 's',
        },
        {
          label: 'allocated at peak',
          data: [...phases.map(() => 0), m.peakAllocatedBytes / G],
          backgroundColor: '#6b8fb5',
          stack: 's',
        },
        {
          label: 'allocator cache',
          data: [...phases.map(() => 0), reservedExtra / G],
          backgroundColor: '#b9c7d6',
          stack: 's',
        },
        {
          label: 'runtime context',
          data: [...phases.map(() => 0), context / G],
          backgroundColor: '#7d7d7d',
          stack: 's',
        },
      ],
    },
    options: {
      scales: {
        x: { stacked: true },
        y: {
          stacked: true,
          beginAtZero: true,
          max: Math.ceil(Math.max(next ?? top, top) * 1.08),
          title: { display: true, text: 'GB' },
        },
      },
      plugins: { refLines: { lines }, legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    },
  });
  const rows = m.phases.map((p) => ({
    cells: [p.phase, gb(p.weightBytes), gb(p.activationBytes), gb(p.allocatedBytes)],
    attrs: { 'data-phase': p.phase, 'data-value': String(p.allocatedBytes) },
  }));
  // Card sizes are about the all-on-the-GPU peak, whatever strategy is chosen above.
  const onDevice = e.alternatives.find((a) => a.strategy === 'gpu')?.peakDeviceBytes ?? m.peakDeviceBytes;
  const fitsOn = usable.filter((u) => u.bytes >= onDevice).map((u) => `${u.memoryGiB} GB`);
  fill(
    $('memory-text'),
    table(['phase', 'weights', 'activations', 'allocated'], rows, [1, 2, 3]),
    h(
      'p',
      { id: 'memory-peak', 'data-value': String(m.peakDeviceBytes) },
      `Device peak ${gb(m.peakDeviceBytes)} (allocated ${gb(m.peakAllocatedBytes)}, reserved ${gb(m.peakReservedBytes)}, plus the runtime context) with strategy ${e.strategy}; ${e.device.name} offers ${gb(e.usableDeviceBytes)} (${e.usableReason}).`,
    ),
    h(
      'p',
      { id: 'memory-sizes' },
      fitsOn.length
        ? `All on the GPU (${gb(onDevice)}), this needs a card of at least ${fitsOn[0]} (common sizes that fit: ${fitsOn.join(', ')}).`
        : 'No common card size holds this all on the device.',
    ),
  );
}
