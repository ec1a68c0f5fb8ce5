/**
 * `estimate`: parameters, FLOPs, memory per phase and time of one workload, on a device or not.
 * One estimate per request; the VAE-tiling hint (a second, tiled estimate) only when the decode of
 * the whole batch is what does not fit.
 */
import { z } from 'zod';
import { resolveDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { breakdown } from '../cost/breakdown.ts';
import { RUNTIMES } from '../cost/constants.ts';
import { type Estimate, estimate, type StrategyChoice } from '../cost/estimate.ts';
import { estimateMemory } from '../cost/memory.ts';
import { componentsJson, type EstimateJson, estimateJson, workloadJson } from '../cost/report.ts';
import { makeWorkload, type Workload } from '../cost/workload.ts';
import { establish, establishmentJson, pinsFrom } from '../planner/ladder.ts';
import { shown } from './errors.ts';
import { choice, field, flag, number, Problem, text } from './fields.ts';
import type { Local } from './local.ts';
import { fail, parseRequest } from './request.ts';
import { NAME_MAX, workloadFields, workloadInput } from './workload.ts';

/** More RAM than this is a typo (the largest single servers hold a few TiB). */
export const MAX_RAM_GIB = 65536;

export const ramField = field(number({ above: 0, max: MAX_RAM_GIB })).optional();

export const estimateFields = {
  ...workloadFields,
  /** A catalog device name, or "here" for this machine. */
  device: field(text(NAME_MAX)).optional(),
  runtime: field(choice(Object.keys(RUNTIMES) as (keyof typeof RUNTIMES)[])).optional(),
  ram: ramField,
  /** Scale times by this machine's bench measurements of the device, when there are some (default true). */
  calibration: field(flag).optional(),
};

export const estimateRequest = z.strictObject(estimateFields);
export type EstimateRequest = z.output<typeof estimateRequest>;

export const parseEstimate = (input: unknown): EstimateRequest => parseRequest(estimateRequest, input, 'estimate');

/** What VAE tiling would give when only the decode of the whole batch does not fit. */
export interface VaeTilingHint {
  fits: true;
  strategy: string;
  peakDeviceBytes: number;
  imagesPerHour: number;
}

export type EstimateOnDevice = EstimateJson & {
  /** Set when the workload does not fit because of the batch decode and tiling makes it fit; else null. */
  vaeTilingHint: VaeTilingHint | null;
  /** The planner's ladder for this workload on this device: the rung that establishes it, its grade and reason. */
  verdict: ReturnType<typeof establishmentJson>;
};

/** Without a device: the breakdown and the memory an all-on-device run needs. */
export interface EstimateOffDevice {
  workload: ReturnType<typeof workloadJson>;
  components: ReturnType<typeof componentsJson>;
  memory: ReturnType<typeof estimateMemory>;
}

export type EstimateAnswer = EstimateOnDevice | EstimateOffDevice;

export const isOnDevice = (a: EstimateAnswer): a is EstimateOnDevice => 'fits' in a;

/** The device a request names: this machine's own ("here") or a catalog entry. */
async function deviceOf(name: string, local: Local): Promise<{ device: Device; host?: Device }> {
  if (name.toLowerCase() === 'here') {
    const m = await local.machine();
    return { device: m.device, host: m.host };
  }
  return { device: resolveDevice(name) };
}

export interface EstimateContext {
  device: Device;
  host?: Device;
  calibration: ReturnType<Local['calibration']>;
}

/** Resolve the device and calibration once; sweeps reuse it for every point. */
export async function estimateContext(req: EstimateRequest, local: Local): Promise<EstimateContext | null> {
  if (req.device === undefined) return null;
  const { device, host } = await deviceOf(req.device, local);
  const calibration = req.calibration === false ? null : local.calibration(device);
  return { device, ...(host ? { host } : {}), calibration };
}

function onDevice(w: Workload, req: EstimateRequest, ctx: EstimateContext): Estimate {
  return estimate(w, ctx.device, {
    strategy: (req.strategy ?? 'auto') as StrategyChoice,
    runtime: req.runtime ?? 'pytorch',
    ...(req.ram !== undefined ? { ramGiB: req.ram } : {}),
    ...(ctx.host ? { host: ctx.host } : {}),
    ...(ctx.calibration ? { calibration: ctx.calibration } : {}),
  });
}

/** The answer for a parsed request in a resolved context (synchronous: the sweep calls it per point). */
export function estimateIn(req: EstimateRequest, ctx: EstimateContext | null, opts = { hint: true }): EstimateAnswer {
  const input = workloadInput(req);
  const w = makeWorkload(input);
  if (!ctx) {
    const parts = breakdown(w);
    return { workload: workloadJson(w), components: componentsJson(parts), memory: estimateMemory(w, parts, 'gpu') };
  }
  if (ctx.device.backend === 'cpu' && req.strategy !== undefined && req.strategy !== 'auto' && req.strategy !== 'cpu')
    fail(
      'strategy',
      new Problem('bad-strategy', [`must be cpu or auto on ${ctx.device.name} (a CPU); got ${shown(req.strategy)}`]),
    );
  const j = estimateJson(onDevice(w, req, ctx));
  let vaeTilingHint: VaeTilingHint | null = null;
  const decode = j.memory.phases.find((p) => p.phase === 'vae-decode')?.allocatedBytes ?? 0;
  if (opts.hint && !j.fits && !w.vaeTiling && decode >= j.memory.peakAllocatedBytes) {
    // The decode of the whole batch is what does not fit (diffusers decodes it at once): say what tiling gives.
    const tiled = estimateJson(onDevice(makeWorkload({ ...input, vaeTiling: true }), req, ctx));
    if (tiled.fits)
      vaeTilingHint = {
        fits: true,
        strategy: tiled.strategy,
        peakDeviceBytes: tiled.memory.peakDeviceBytes,
        imagesPerHour: tiled.time.imagesPerHour,
      };
  }
  // The ladder's answer for the workload as asked (batch 1 unless given), the same one check, plan and gpus give.
  const verdict = establishmentJson(
    establish(
      ctx.device,
      { ...input, batch: input.batch ?? 1 },
      {
        ...(req.ram !== undefined ? { ramGiB: req.ram } : {}),
        ...(ctx.host ? { host: ctx.host } : {}),
        ...(ctx.calibration ? { calibration: ctx.calibration } : {}),
      },
      pinsFrom(req),
    ),
  );
  return { ...j, vaeTilingHint, verdict };
}

/** `genready estimate --json` and `POST /api/estimate`. */
export async function estimateAnswer(req: EstimateRequest, local: Local): Promise<EstimateAnswer> {
  return estimateIn(req, await estimateContext(req, local));
}
