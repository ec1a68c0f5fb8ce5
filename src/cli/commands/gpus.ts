import { defineCommand } from 'citty';
import { listDevices } from '../../catalog/devices.ts';
import { workloadJson } from '../../cost/report.ts';
import { makeWorkload } from '../../cost/workload.ts';
import { pinsFrom } from '../../planner/ladder.ts';
import { purchasable, rankDevices, rankedJson, segmentDevices } from '../../planner/ranking.ts';
import { accuracyByVendor } from '../../validate/validate.ts';
import { accuracyLine } from '../_accuracy.ts';
import { positive, rejectUnknownFlags, UsageError } from '../_args.ts';
import { parseWorkloadSpec } from '../_spec.ts';
import { figure, hostText, reasonNotes, rungCell } from '../_verdict-text.ts';
import { color, gb, rate, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';
import { workloadArgs, workloadFrom } from './estimate.ts';

const gpusArgs = {
  for: { type: 'string', description: 'the workload in words: "sdxl 1024x1024 batch 4", "flux-dev 1024x1024 fp8"' },
  ...workloadArgs,
  model: { ...workloadArgs.model, required: false },
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

/** The `--json` answer for gpus flags (also served by `POST /api/gpus`). */
export function gpusAnswer(args: Record<string, unknown>) {
  if (args.for === undefined && args.model === undefined)
    throw new UsageError('missing-flag', 'say which workload: --for "sdxl 1024x1024 batch 4" or --model …');
  // Flags beside --for refine the words (an explicit --batch wins over "batch 4"); workloadFrom sets only given flags.
  const spec = typeof args.for === 'string' ? parseWorkloadSpec(args.for) : null;
  const input = spec ? { ...spec, ...workloadFrom({ ...args, model: spec.model }) } : workloadFrom(args);
  const batchAsked = input.batch !== undefined;
  const w = makeWorkload(input);
  const vendor = typeof args.vendor === 'string' ? args.vendor.toLowerCase() : null;
  if (vendor && !VENDORS.includes(vendor))
    throw new UsageError('bad-vendor', `--vendor must be one of ${VENDORS.join(', ')}, got "${args.vendor}"`);
  const maxPrice = positive('max-price', args.maxPrice, 1e7);
  // By default the cards one can buy (a launch price); --segment or --all widen it.
  const segment = typeof args.segment === 'string' ? args.segment : null;
  const devices = (segment ? segmentDevices(listDevices(), segment) : listDevices()).filter(
    (d) =>
      (args.all || segment || purchasable(d)) &&
      (!vendor || d.vendor.toLowerCase() === vendor) &&
      (maxPrice === undefined || (d.launchPriceUsd !== null && d.launchPriceUsd <= maxPrice)),
  );
  const { batch: _batch, ...unbatched } = input;
  const ranked = rankDevices(batchAsked ? input : unbatched, { devices, pins: pinsFrom(args) });
  return {
    workload: { ...workloadJson(w), name: w.model.name },
    /** How far the estimates were from published measurements, per vendor (`genready validate`). */
    accuracyByVendor: accuracyByVendor(),
    batchChosen: !batchAsked,
    devices: ranked.map((r) => ({
      device: {
        id: r.device.id,
        name: r.device.name,
        vendor: r.device.vendor,
        memoryGiB: r.device.memoryGiB,
        launchPriceUsd: r.device.launchPriceUsd,
        segment: r.device.segment,
      },
      tier: r.tier,
      fits: r.fits,
      strategy: r.strategy,
      batch: r.batch,
      imagesPerHour: r.imagesPerHour,
      secondsPerImage: r.secondsPerImage,
      peakDeviceBytes: r.peakDeviceBytes,
      usableBytes: r.usableBytes,
      imagesPerHourPer1000Usd: r.device.launchPriceUsd ? (r.imagesPerHour / r.device.launchPriceUsd) * 1000 : null,
      ...rankedJson(r),
    })),
  };
}

const VENDORS = ['nvidia', 'amd', 'intel', 'apple'];

export type GpusJson = ReturnType<typeof gpusAnswer>;

export const gpusCommand = defineCommand({
  meta: { name: 'gpus', description: 'Rank the catalog’s GPUs for a workload: images per hour, strategy, tier, price' },
  args: gpusArgs,
  run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, gpusArgs);
    const out = data as Output;
    const g = gpusAnswer(args);
    if (args.json) return out.json(g);
    const top = positive('top', args.top, 1000, { integer: true }) ?? 20;
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
    const rows = args.all ? g.devices : g.devices.filter((d) => d.fits);
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
        `${rows.length > top ? `${rows.length - top} more (--top N). ` : ''}${cannot && !args.all ? `${cannot} devices cannot run it (--all lists them). ` : ''}Tier = capability tier of the device in a 32 GB desktop; ranked by the GPU rung that runs it (never a CPU fallback); estimates from the cost model.`,
      ),
    );
  },
});
