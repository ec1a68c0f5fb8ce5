import { defineCommand } from 'citty';
import { type GpusAnswer, gpusAnswer, parseGpus } from '../../answers/gpus.ts';
import { accuracyLine } from '../_accuracy.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { figure, hostText, reasonNotes, rungCell } from '../_verdict-text.ts';
import { color, gb, rate, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';
import { workloadArgs } from './estimate.ts';

export const gpusArgs = {
  for: { type: 'string', description: 'the workload in words: "sdxl 1024x1024 batch 4", "flux-dev 1024x1024 fp8"' },
  ...workloadArgs,
  model: { type: 'string', description: 'model id or common name (instead of --for)' },
  top: { type: 'string', description: 'how many devices to list (default 20)' },
  vendor: { type: 'string', description: 'only this vendor: nvidia, amd, intel, apple' },
  maxPrice: { type: 'string', description: 'only devices with a launch price up to this, USD' },
  segment: {
    type: 'string',
    description: 'only this segment: consumer, workstation, datacenter, apple (priced or not)',
  },
  all: { type: 'boolean', description: 'every GPU: unpriced ones and those that cannot run it too' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

export type { GpusAnswer as GpusJson };

export const gpusCommand = defineCommand({
  meta: { name: 'gpus', description: 'Rank the catalog’s GPUs for a workload: images per hour, strategy, tier, price' },
  args: gpusArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, gpusArgs);
    const out = data as Output;
    const { req, g } = await cliAnswer(() => {
      const req = parseGpus(requestOf(args, gpusArgs));
      return { req, g: gpusAnswer(req) };
    });
    if (args.json) return out.json(g);
    const top = req.top ?? 20;
    const w = g.workload;
    out.text(
      `${color.bold(w.name)} ${w.width}×${w.height}, ${w.steps} steps, ${g.batchChosen ? 'best batch per device' : `batch ${w.batch}`}, ${w.precision.denoiser} weights`,
    );
    const t = table([
      '#',
      'device',
      'memory',
      'tier',
      'run',
      'per image',
      'images/h',
      'device / usable',
      'price',
      'images/h per $1000',
      'host assumed',
    ]);
    const rows = req.all ? g.devices : g.devices.filter((d) => d.fits);
    rows.slice(0, top).forEach((d, i) => {
      const run = rungCell(d.verdict, { batch: true });
      t.push([
        String(i + 1),
        d.device.name,
        d.device.memoryGiB === null ? '—' : `${d.device.memoryGiB} GB`,
        String(d.tier),
        run,
        figure(d.fits ? d.secondsPerImage : null, seconds),
        figure(d.fits ? d.imagesPerHour : null, rate),
        `${gb(d.peakRequiredBytes)} / ${gb(d.usableBytes)}`,
        d.device.launchPriceUsd ? `$${d.device.launchPriceUsd.toLocaleString('en-US')}` : '—',
        d.imagesPerHourPer1000Usd === null ? '—' : figure(d.imagesPerHourPer1000Usd, rate),
        hostText(d.host),
      ]);
    });
    out.text(t.toString());
    for (const l of reasonNotes(rows.slice(0, top).map((d) => ({ name: d.device.name, verdict: d.verdict }))))
      out.text(l);
    const cannot = g.devices.filter((d) => !d.fits).length;
    out.text(
      color.dim(
        accuracyLine(
          g.accuracyByVendor,
          rows.slice(0, top).map((d) => d.device.vendor),
        ),
      ),
    );
    out.text(
      color.dim(
        `${rows.length > top ? `${rows.length - top} more (--top N). ` : ''}${cannot && !req.all ? `${cannot} devices cannot run it (--all lists them). ` : ''}Tier = capability tier of the device in a 32 GB desktop; ranked by the GPU rung that runs it (never a CPU fallback); estimates from the cost model.`,
      ),
    );
  },
});
