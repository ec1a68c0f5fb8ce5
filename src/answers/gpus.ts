/** `gpus`: rank the catalog's GPUs for a workload: images per hour, strategy, tier, price. */
import { z } from 'zod';
import { listDevices } from '../catalog/devices.ts';
import { workloadJson } from '../cost/report.ts';
import { makeWorkload } from '../cost/workload.ts';
import { pinsFrom } from '../planner/ladder.ts';
import { purchasable, rankDevices, rankedJson, SEGMENTS, segmentDevices } from '../planner/ranking.ts';
import { accuracyByVendor } from '../validate/validate.ts';
import { ref, said } from './errors.ts';
import { choice, contradiction, count, field, flag, number, Problem, text } from './fields.ts';
import { fail, parseRequest } from './request.ts';
import { type WorkloadFields, workloadFields, workloadInput, workloadWords } from './workload.ts';

export const VENDORS = ['nvidia', 'amd', 'intel', 'apple'] as const;

export const gpusRequest = z.strictObject({
  /** The workload in words: "sdxl 1024x1024 batch 4"; the other workload fields refine it. */
  for: field(text(300)).optional(),
  ...workloadFields,
  model: workloadFields.model.optional(),
  /** How many devices the text lists (the JSON lists them all). */
  top: field(count(1000)).optional(),
  vendor: field(choice(VENDORS)).optional(),
  maxPrice: field(number({ above: 0, max: 1e7 })).optional(),
  /** Only this segment (priced or not); by default the cards one can buy, with a launch price. */
  segment: field(choice(Object.keys(SEGMENTS) as [string, ...string[]])).optional(),
  /** Every GPU: unpriced ones, and those that cannot run it, too. */
  all: field(flag).optional(),
});
export type GpusRequest = z.output<typeof gpusRequest>;
export const parseGpus = (input: unknown): GpusRequest => parseRequest(gpusRequest, input, 'gpus');

function words(spec: string) {
  try {
    return workloadWords(spec);
  } catch (err) {
    if (err instanceof Problem) fail('for', err);
    throw err;
  }
}

/** `genready gpus --json` and `POST /api/gpus`. */
export function gpusAnswer(req: GpusRequest) {
  if (req.for === undefined && req.model === undefined)
    fail('model', new Problem('missing-field', said`say which workload: for "sdxl 1024x1024 batch 4" or a model`));
  if (req.for !== undefined && req.model !== undefined)
    fail('for', contradiction('for', 'model', said`the words of ${ref('for')} name the model already`));
  // Fields beside `for` refine the words (an explicit batch wins over "batch 4").
  const spec = req.for !== undefined ? words(req.for) : null;
  const given = Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined)) as WorkloadFields;
  // The words' size becomes a width and a height that the fields may override one by one.
  const fromWords: WorkloadFields = spec ? { ...spec, size: undefined } : {};
  if (spec?.size && !given.size) [fromWords.width, fromWords.height] = spec.size;
  const input = workloadInput({ ...fromWords, ...given, model: spec?.model ?? req.model! });
  const batchAsked = input.batch !== undefined;
  const w = makeWorkload(input);
  // By default the cards one can buy (a launch price); --segment or --all widen it.
  const devices = (req.segment ? segmentDevices(listDevices(), req.segment) : listDevices()).filter(
    (d) =>
      (req.all || req.segment || purchasable(d)) &&
      (!req.vendor || d.vendor.toLowerCase() === req.vendor) &&
      (req.maxPrice === undefined || (d.launchPriceUsd !== null && d.launchPriceUsd <= req.maxPrice)),
  );
  const { batch: _batch, ...unbatched } = input;
  const ranked = rankDevices(batchAsked ? input : unbatched, { devices, pins: pinsFrom(req) });
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

export type GpusAnswer = ReturnType<typeof gpusAnswer>;
