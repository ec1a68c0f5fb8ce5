import { defineCommand } from 'citty';
import { devicesAnswer, devicesJson, parseDevices } from '../../answers/devices.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { color, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  match: { type: 'string', description: 'resolve one name ("NVIDIA GeForce RTX 4070 Laptop GPU") and show the entry' },
  vendor: { type: 'string', description: 'only this vendor: nvidia, amd, intel, apple' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

export const devicesCommand = defineCommand({
  meta: { name: 'devices', description: 'The device catalog (GPUs, Apple Silicon, CPUs) with sources' },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    const r = await cliAnswer(() => devicesAnswer(parseDevices(requestOf(a, args))));
    if (a.json) return out.json(devicesJson(r));
    if (r.kind === 'match') {
      const m = r.match;
      const d = m.device;
      out.text(`${color.bold(d.name)} (${d.id})${m.kind === 'matched' && m.note ? color.dim(` — ${m.note}`) : ''}`);
      const t = table(['field', 'value']);
      t.push(
        ['vendor · segment', `${d.vendor} · ${d.segment}`],
        ['memory', d.memoryGiB === null ? '—' : `${d.memoryGiB} GiB${d.unifiedMemory ? ' unified' : ''}`],
        ['bandwidth', `${d.memoryBandwidthGBs} GB/s`],
        ['fp16 matrix', d.fp16MatrixTflops === null ? '—' : `${d.fp16MatrixTflops} TFLOPS`],
        ['fp32', `${d.fp32Tflops} TFLOPS`],
        ['backend', d.backend],
        ['TDP', d.tdpW === null ? '—' : `${d.tdpW} W`],
        ['launched', d.launchYear === null ? '—' : String(d.launchYear)],
        ['source', d.source],
      );
      out.text(t.toString());
      out.text(color.dim('every field: --json'));
      return;
    }
    const list = r.devices;
    const t = table([
      'device',
      'memory',
      'bandwidth',
      'fp16 matrix',
      'fp32',
      'backend',
      'TDP',
      { head: 'source', secondary: 'drop' },
    ]);
    for (const d of list) {
      t.push([
        d.name,
        d.memoryGiB === null ? '—' : `${d.memoryGiB} GiB${d.unifiedMemory ? ' unified' : ''}`,
        `${d.memoryBandwidthGBs} GB/s`,
        d.fp16MatrixTflops === null ? '—' : `${d.fp16MatrixTflops} TF`,
        `${d.fp32Tflops} TF`,
        d.backend,
        d.tdpW === null ? '—' : `${d.tdpW} W`,
        d.source,
      ]);
    }
    out.text(t.toString());
    out.text(color.dim(`${list.length} devices; spec-sheet peaks (dense). Sources: --wide or --json`));
  },
});
