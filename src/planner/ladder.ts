/**
 * The one ladder: for a model × workload × machine, the ways to establish it in the order they are
 * given up for — all on the device, VAE tiling, lower-precision weights (fp8, then 4-bit), model
 * offload, sequential offload, and on a machine with a known host the CPU — each with its quality
 * cost, fit grade and speed. `establish` picks the best rung; check, gpus, plan, estimate and the
 * tiers all take their answer from it, so they cannot disagree. Like ComfyUI's low-VRAM modes, but
 * decided before the run, with what each step costs, and named in the flags people know.
 */
import type { Device } from '../catalog/devices.types.ts';
import { WorkloadError } from '../catalog/errors.ts';
import type { Precision } from '../catalog/models.types.ts';
import type { Basis, Calibration } from '../cost/calibration.ts';
import { type EstimateOptions, estimateFit, estimateStrategyTime } from '../cost/estimate.ts';
import { type FitGrade, MEMORY_ERROR_P90, STRATEGIES, type Strategy } from '../cost/memory.ts';
import { isQuantized, PRECISIONS } from '../cost/precision.ts';
import { makeWorkload, type Workload, type WorkloadInput } from '../cost/workload.ts';
import { gb, rate } from '../text/units.ts';

export const BATCHES = [1, 2, 4, 8] as const;

export interface RunContext {
  host?: Device;
  ramGiB?: number;
  /** This machine's `genready bench` calibration; applied where its device computes. */
  calibration?: Calibration | null;
}

/** The estimate options a run context stands for. */
export function contextOptions(ctx: RunContext): EstimateOptions {
  return {
    ...(ctx.host ? { host: ctx.host } : {}),
    ...(ctx.ramGiB !== undefined ? { ramGiB: ctx.ramGiB } : {}),
    ...(ctx.calibration ? { calibration: ctx.calibration } : {}),
  };
}

export type StepId =
  | 'on-device'
  | 'lower-precision'
  | 'vae-tiling'
  | 'model-offload'
  | 'offload-tiling'
  | 'sequential-offload'
  | 'cpu';

/** The same setting in the tools people run (closest equivalent; "default" = no flag needed). */
export interface ToolFlags {
  /** AUTOMATIC1111 / Forge WebUI. */
  a1111: string;
  comfyui: string;
  diffusers: string;
}

export interface LadderStep {
  id: StepId;
  label: string;
  strategy: Strategy;
  /** Weight format of the denoiser in this step (text encoders follow it down to fp8). */
  precision: Precision;
  vaeTiling: boolean;
  /** What this step costs in image quality, in a sentence. */
  quality: string;
  /** The same as a rank: 0 reference, 1 slight (fp8 weights or tile seams), 2 visible (4-bit), summed. */
  qualityCost: number;
  /** How to get this step in AUTOMATIC1111/Forge, ComfyUI and diffusers. */
  flags: ToolFlags;
}

type Placement = Pick<LadderStep, 'id' | 'label' | 'strategy' | 'vaeTiling' | 'quality' | 'qualityCost'>;

/** Placements in the order they are given up for, each with its quality cost. */
const PLACEMENTS: readonly Placement[] = [
  {
    id: 'on-device',
    label: 'all on the device',
    strategy: 'gpu',
    vaeTiling: false,
    quality: 'reference quality',
    qualityCost: 0,
  },
  {
    id: 'vae-tiling',
    label: 'with VAE tiling',
    strategy: 'gpu',
    vaeTiling: true,
    quality: 'faint seams are possible at tile borders',
    qualityCost: 1,
  },
  {
    id: 'model-offload',
    label: 'with model offload',
    strategy: 'model-offload',
    vaeTiling: false,
    quality: 'reference quality; slower by the transfers',
    qualityCost: 0,
  },
  {
    id: 'offload-tiling',
    label: 'with model offload + VAE tiling',
    strategy: 'model-offload',
    vaeTiling: true,
    quality: 'faint seams are possible at tile borders; slower by the transfers',
    qualityCost: 1,
  },
  {
    id: 'sequential-offload',
    label: 'with sequential offload + VAE tiling',
    strategy: 'sequential-offload',
    vaeTiling: true,
    quality: 'faint seams possible; many times slower (layers streamed)',
    qualityCost: 1,
  },
];

const CPU_PLACEMENT: Placement = {
  id: 'cpu',
  label: 'on the CPU (fp32)',
  strategy: 'cpu',
  vaeTiling: false,
  quality: 'reference quality; minutes per image',
  qualityCost: 0,
};

/** Lower weight formats tried at each placement, with what they cost in quality. */
const LOWER: readonly { precision: Precision; quality: string; qualityCost: number }[] = [
  { precision: 'fp8', quality: 'fp8 weights: close to the reference, fine texture may shift', qualityCost: 1 },
  { precision: 'nf4', quality: '4-bit weights: visible drift in fine detail and prompt adherence', qualityCost: 2 },
];

/** Strategies in the tools' words (A1111/Forge, ComfyUI, diffusers), from their documentation. */
export const STRATEGY_FLAGS: Record<Strategy, ToolFlags> = {
  gpu: { a1111: 'default', comfyui: 'default', diffusers: 'pipe.to("cuda")' },
  'model-offload': { a1111: '--medvram', comfyui: '--lowvram', diffusers: 'pipe.enable_model_cpu_offload()' },
  'sequential-offload': {
    a1111: '--lowvram',
    comfyui: '--novram',
    diffusers: 'pipe.enable_sequential_cpu_offload()',
  },
  cpu: { a1111: '--use-cpu all --no-half', comfyui: '--cpu', diffusers: 'pipe.to("cpu") in float32' },
};

const TILING_FLAGS: ToolFlags = {
  a1111: 'Tiled VAE (Forge: built in)',
  comfyui: 'VAE Decode (Tiled) node',
  diffusers: 'pipe.enable_vae_tiling()',
};

const PRECISION_FLAGS: Partial<Record<Precision, ToolFlags>> = {
  fp8: {
    a1111: 'FP8 weight setting (Forge: fp8 checkpoint)',
    comfyui: '--fp8_e4m3fn-unet or weight_dtype fp8',
    diffusers: 'enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn)',
  },
  nf4: {
    a1111: 'Forge NF4 checkpoint',
    comfyui: 'NF4 checkpoint loader (bitsandbytes custom node)',
    diffusers: 'BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")',
  },
};

function flagsOf(strategy: Strategy, vaeTiling: boolean, precision: Precision, lowered: boolean): ToolFlags {
  const parts: ToolFlags[] = [STRATEGY_FLAGS[strategy]];
  if (vaeTiling) parts.push(TILING_FLAGS);
  const p = lowered ? PRECISION_FLAGS[precision] : undefined;
  if (p) parts.push(p);
  const join = (k: keyof ToolFlags) => {
    const named = parts.map((x) => x[k]).filter((x) => x !== 'default');
    return named.length ? named.join(' + ') : 'default';
  };
  return { a1111: join('a1111'), comfyui: join('comfyui'), diffusers: join('diffusers') };
}

/** How much slower than the fastest fitting rung a rung may be and still win on quality. */
export const LADDER_TIME_TOLERANCE = 1.25;

/** A larger batch must earn its memory: ≥ 2 % more images per hour. */
const BATCH_GAIN = 1.02;

export interface LadderRung {
  step: LadderStep;
  fits: boolean;
  fitGrade: FitGrade;
  /** The batch evaluated: the one asked for, or the best that fits (1–8). */
  batch: number;
  secondsPerImage: number;
  imagesPerHour: number;
  /** Seconds per image relative to the fastest rung that fits (Infinity where it does not fit). */
  slowdown: number;
  peakDeviceBytes: number;
  /** What the run needs on the device (allocated + context): the fit is judged on it. */
  peakRequiredBytes: number;
  /** Allocator cache beyond that, given back before an out-of-memory. */
  allocatorCacheBytes: number;
  peakHostBytes: number;
  usableBytes: number;
  /** Host RAM the fit was judged against; null = not known (not checked). */
  ramBytes: number | null;
  basis: Basis;
  bound: string;
}

/** What the user fixed: the ladder keeps to it and the answer says so. */
export interface LadderPins {
  /** Only rungs with these strategies (`--strategy`; a tier requirement allows a few). */
  strategies?: readonly Strategy[];
  /** No lower-precision rungs (`--no-quantize`). */
  noQuantize?: boolean;
}

export interface Shortfall {
  resource: 'device-memory' | 'host-memory';
  neededBytes: number;
  availableBytes: number;
}

export interface Establishment {
  /** Every rung evaluated, in ladder order. */
  rungs: LadderRung[];
  /**
   * The rung with the least quality cost among those that fit within 25 % of the fastest fitting
   * one (among equals, the earliest unless a later one is > 2 % faster); null when nothing runs it.
   */
  chosen: LadderRung | null;
  fitGrade: FitGrade;
  /** The chosen rung's images per hour; null when nothing runs (no throughput for what does not run). */
  imagesPerHour: number | null;
  secondsPerImage: number | null;
  /** When the chosen fit is tight: the best rung that fits comfortably (null if none). */
  comfortable: LadderRung | null;
  /** What is missing as asked, and by how much (the first rung's shortfall); null when it fits as asked. */
  shortfall: Shortfall | null;
  /** Pins in words ("fp8 weights as given", "no lowered weights"); empty when the ladder chose freely. */
  pinned: string[];
  /** Why, in the user's words: every "no" and "tight" says what is missing and what makes it run. */
  reason: string;
}

/** Kept for callers of the earlier API: the rungs and the chosen one. */
export type Ladder = Pick<Establishment, 'rungs' | 'chosen'>;

/** Parse a `--strategy` value for the ladder (`auto` = no pin). */
export function strategyPin(v: unknown): Strategy | undefined {
  if (v === undefined || v === 'auto') return undefined;
  const s = String(v);
  if ((STRATEGIES as readonly string[]).includes(s)) return s as Strategy;
  throw new WorkloadError('bad-strategy', `unknown strategy "${s}"; use auto, ${STRATEGIES.join(', ')}`);
}

function evaluate(
  device: Device,
  input: WorkloadInput,
  ctx: RunContext,
  step: LadderStep,
  lowered: boolean,
  batch: number,
): LadderRung {
  const w: Workload = makeWorkload({
    ...input,
    batch,
    precision: step.precision,
    vaeTiling: step.vaeTiling || Boolean(input.vaeTiling),
    // Lower rungs shrink the text encoders too (the fp8 T5 is what 8–12 GB FLUX users load).
    ...(lowered ? { componentPrecision: { ...input.componentPrecision, 'text-encoder': 'fp8' } } : {}),
  });
  const opts = contextOptions(ctx);
  const ramBytes = ctx.ramGiB !== undefined ? ctx.ramGiB * 2 ** 30 : null;
  const f = estimateFit(w, device, step.strategy, opts);
  const memory = {
    peakDeviceBytes: f.memory.peakDeviceBytes,
    peakRequiredBytes: f.memory.peakRequiredBytes,
    allocatorCacheBytes: f.memory.allocatorCacheBytes,
    peakHostBytes: f.memory.peakHostBytes,
    usableBytes: f.usable.bytes,
    ramBytes,
  };
  // What does not fit is not timed: no throughput for what does not run (and the time model is the cost).
  if (!f.fits)
    return {
      step,
      fits: false,
      fitGrade: 'does-not-fit',
      batch,
      secondsPerImage: Infinity,
      imagesPerHour: 0,
      slowdown: Infinity,
      ...memory,
      basis: 'estimated',
      bound: 'memory',
    };
  const { time, basis } = estimateStrategyTime(w, device, step.strategy, opts);
  return {
    step,
    fits: true,
    fitGrade: f.fitGrade,
    batch,
    secondsPerImage: time.secondsPerImage,
    imagesPerHour: time.imagesPerHour,
    slowdown: 1,
    ...memory,
    basis,
    bound: time.bound,
  };
}

const gradeRank = (g: FitGrade) => (g === 'comfortable' ? 0 : g === 'tight' ? 1 : 2);

/** The batch asked, or the best that fits: comfortable before tight, then ≥ 2 % more images per hour. */
function rungAtBestBatch(
  device: Device,
  input: WorkloadInput,
  ctx: RunContext,
  step: LadderStep,
  lowered: boolean,
): LadderRung {
  if (input.batch !== undefined) return evaluate(device, input, ctx, step, lowered, input.batch);
  let best: LadderRung | null = null;
  for (const batch of BATCHES) {
    const r = evaluate(device, input, ctx, step, lowered, batch);
    if (
      !best ||
      (r.fits &&
        (!best.fits ||
          gradeRank(r.fitGrade) < gradeRank(best.fitGrade) ||
          (r.fitGrade === best.fitGrade && r.imagesPerHour > best.imagesPerHour * BATCH_GAIN)))
    )
      best = r;
    if (!r.fits) break;
  }
  return best!;
}

/**
 * Least quality cost among the rungs within the time tolerance of the fastest; among those, the
 * earliest in ladder order (least moved off the device) unless a later one is > 2 % faster.
 */
function pick(rungs: readonly LadderRung[]): LadderRung | null {
  if (rungs.length === 0) return null;
  const fastest = Math.min(...rungs.map((r) => r.secondsPerImage));
  const near = rungs.filter((r) => r.secondsPerImage <= fastest * LADDER_TIME_TOLERANCE);
  const cost = Math.min(...near.map((r) => r.step.qualityCost));
  const best = near.filter((r) => r.step.qualityCost === cost);
  const quickest = Math.min(...best.map((r) => r.secondsPerImage));
  return best.find((r) => r.secondsPerImage <= quickest * BATCH_GAIN) ?? null;
}

/** "nf4 weights with model offload", "fp8 weights", "VAE tiling": a rung in a few words. */
export function rungName(r: LadderRung | LadderStep): string {
  const s = 'step' in r ? r.step : r;
  return s.label;
}

function rungRuns(r: LadderRung): string {
  return `${rungName(r)}: ${rate(r.imagesPerHour)} images/hour (batch ${r.batch})`;
}

/** "tight: needs 12.3 GB of 12.4 GB, within the memory model's 14 % p90 error; comfortable with …". */
export function tightNote(r: LadderRung, comfortable: LadderRung | null): string {
  const onCpu = r.step.strategy === 'cpu';
  const need = onCpu ? r.peakHostBytes : r.peakRequiredBytes;
  const have = onCpu ? (r.ramBytes ?? r.usableBytes) : r.usableBytes;
  return `tight: needs ${gb(need)} of ${gb(have)}, within the memory model's ${Math.round(MEMORY_ERROR_P90 * 100)} % p90 error; ${comfortable ? `comfortable ${rungRuns(comfortable)}` : 'no rung fits comfortably'}`;
}

function shortfallOf(r: LadderRung): Shortfall | null {
  if (r.fits) return null;
  if (r.step.strategy !== 'cpu' && r.peakRequiredBytes > r.usableBytes)
    return { resource: 'device-memory', neededBytes: r.peakRequiredBytes, availableBytes: r.usableBytes };
  return { resource: 'host-memory', neededBytes: r.peakHostBytes, availableBytes: r.ramBytes ?? r.usableBytes };
}

function shortfallText(s: Shortfall, cpu: boolean): string {
  return s.resource === 'device-memory'
    ? `needs ${gb(s.neededBytes)} on the GPU, ${gb(s.availableBytes)} usable`
    : `needs ${gb(s.neededBytes)} of RAM${cpu ? '' : ' with offload'}, ${gb(s.availableBytes)} here`;
}

/**
 * The ladder for a workload on a device: every placement at the asked weight format; where that does
 * not fit comfortably, the same placement with fp8, then 4-bit weights (unless the precision was
 * given or `noQuantize`). With a known host (`ctx.host`), the CPU is the last rung of a GPU machine;
 * on a CPU, the one rung is the CPU in fp32. Without `input.batch`, each rung takes its best batch.
 */
export function establish(
  device: Device,
  input: WorkloadInput,
  ctx: RunContext = {},
  pins: LadderPins = {},
): Establishment {
  const base = makeWorkload(input);
  // Resolve the model name once: every rung and batch below reuses the entry.
  input = { ...input, model: base.model };
  const asked = base.precision.denoiser;
  const precisionPinned = input.precision !== undefined;
  const lowerAllowed = !precisionPinned && !pins.noQuantize && !isQuantized(asked);
  const pinned: string[] = [];
  if (precisionPinned) pinned.push(`${asked} weights as given`);
  if (pins.strategies) pinned.push(`strategy ${pins.strategies.join(' or ')}`);
  if (pins.noQuantize) pinned.push('no lowered weights');
  if (input.vaeTiling) pinned.push('VAE tiling as given');
  const rungs: LadderRung[] = [];
  const step = (p: Placement, precision: Precision, lower?: (typeof LOWER)[number]): LadderStep => ({
    id: lower && p.id === 'on-device' ? 'lower-precision' : p.id,
    label: lower
      ? `with ${lower.precision} weights${p.id === 'on-device' ? '' : ` + ${p.label.replace(/^with /, '')}`}`
      : p.label,
    strategy: p.strategy,
    precision,
    vaeTiling: p.vaeTiling,
    quality: lower
      ? p.id === 'on-device'
        ? lower.quality
        : `${lower.quality}; ${p.quality.replace(/^reference quality; /, '')}`
      : p.quality,
    qualityCost: (lower?.qualityCost ?? 0) + p.qualityCost,
    flags: flagsOf(p.strategy, p.vaeTiling || Boolean(input.vaeTiling), precision, Boolean(lower)),
  });
  const wants = (s: Strategy) => !pins.strategies || pins.strategies.includes(s);
  if (device.backend === 'cpu') {
    if (!wants('cpu'))
      throw new WorkloadError('bad-strategy', `${device.name} is a CPU: only --strategy cpu (or auto) applies`);
    rungs.push(rungAtBestBatch(device, input, ctx, step(CPU_PLACEMENT, 'fp32'), false));
  } else {
    for (const p of PLACEMENTS) {
      if (!wants(p.strategy)) continue;
      // Tiling asked for: the untiled placements are the tiled ones, not separate rungs.
      if (input.vaeTiling && !p.vaeTiling && PLACEMENTS.some((q) => q.strategy === p.strategy && q.vaeTiling)) continue;
      // A placement that only moves more off the device (or adds tiling) than a rung that already fits
      // comfortably at the same weights can only be slower at no better quality: not evaluated.
      // With the batch free, only once that rung reached the largest batch (tiling can allow a larger one).
      const dominated = rungs.some(
        (q) =>
          q.fitGrade === 'comfortable' &&
          q.step.precision === asked &&
          STRATEGIES.indexOf(q.step.strategy) <= STRATEGIES.indexOf(p.strategy) &&
          q.step.qualityCost <= p.qualityCost &&
          (input.batch !== undefined || q.batch === BATCHES[BATCHES.length - 1]),
      );
      if (dominated) continue;
      let r = rungAtBestBatch(device, input, ctx, step(p, asked), false);
      rungs.push(r);
      for (const l of LOWER) {
        if (r.fitGrade === 'comfortable' || !lowerAllowed) break;
        if (PRECISIONS[l.precision].bytesPerParam >= PRECISIONS[asked].bytesPerParam) continue;
        r = rungAtBestBatch(device, input, ctx, step(p, l.precision, l), true);
        rungs.push(r);
      }
    }
    if ((ctx.host && wants('cpu')) || (pins.strategies?.length === 1 && pins.strategies[0] === 'cpu'))
      rungs.push(rungAtBestBatch(device, input, ctx, step(CPU_PLACEMENT, 'fp32'), false));
  }
  if (rungs.length === 0)
    throw new WorkloadError('bad-strategy', `no rung of the ladder has strategy ${pinned.join(', ')}`);
  const fastest = Math.min(...rungs.map((r) => r.secondsPerImage));
  for (const r of rungs) r.slowdown = r.fits ? r.secondsPerImage / fastest : Infinity;
  const chosen = pick(rungs.filter((r) => r.fits));
  const comfortable = chosen?.fitGrade === 'tight' ? pick(rungs.filter((r) => r.fitGrade === 'comfortable')) : null;
  const shortfall = shortfallOf(rungs[0]!);
  const cpu = device.backend === 'cpu';
  const pinNote = pinned.length ? ` (kept to ${pinned.join(', ')})` : '';
  let reason: string;
  if (!chosen) {
    // What else is missing: RAM for a rung that would fit on the GPU, else the rung nearest to fitting.
    const offDevice = rungs.filter((r) => r !== rungs[0] && r.step.strategy !== 'cpu');
    const ramShort = offDevice
      .filter((r) => r.peakRequiredBytes <= r.usableBytes && r.ramBytes !== null)
      .sort((a, b) => a.peakHostBytes - b.peakHostBytes)[0];
    const near = [...offDevice].sort((a, b) => a.peakRequiredBytes - b.peakRequiredBytes)[0];
    const more = ramShort
      ? `; ${ramShort.step.label} it would fit on the GPU but needs ${gb(ramShort.peakHostBytes)} of RAM, ${gb(ramShort.ramBytes!)} here`
      : near && near.peakRequiredBytes > near.usableBytes
        ? `; the nearest, ${near.step.label}, needs ${gb(near.peakRequiredBytes)}`
        : '';
    const cpuRung = rungs.find((r) => r.step.strategy === 'cpu' && r !== rungs[0]);
    const cpuText = cpuRung ? `; on the CPU ${shortfallText(shortfallOf(cpuRung)!, true)}` : '';
    reason =
      `does not run${pinNote}: ${shortfall ? shortfallText(shortfall, cpu) : 'no rung fits'}${more}${cpuText}` +
      (lowerAllowed ? '' : precisionPinned || pins.noQuantize ? '; lower-precision weights were not tried' : '');
  } else {
    const head =
      chosen === rungs[0]
        ? `runs ${rungRuns(chosen)}`
        : `${shortfall ? `${shortfallText(shortfall, cpu)} as asked; ` : ''}runs ${rungRuns(chosen)}`;
    const tight = chosen.fitGrade === 'tight' ? `; ${tightNote(chosen, comfortable)}` : '';
    reason = `${head}${tight}${pinNote}`;
  }
  return {
    rungs,
    chosen,
    fitGrade: chosen?.fitGrade ?? 'does-not-fit',
    imagesPerHour: chosen ? chosen.imagesPerHour : null,
    secondsPerImage: chosen ? chosen.secondsPerImage : null,
    comfortable,
    shortfall,
    pinned,
    reason,
  };
}

/** The earlier entry point: the ladder's rungs and its choice. */
export function strategyLadder(device: Device, input: WorkloadInput, ctx: RunContext = {}): Ladder {
  const e = establish(device, input, ctx);
  return { rungs: e.rungs, chosen: e.chosen };
}

/** A rung as API data (numbers rounded to bytes). */
export function rungJson(r: LadderRung) {
  return {
    ...r.step,
    fits: r.fits,
    fitGrade: r.fitGrade,
    batch: r.batch,
    secondsPerImage: r.fits ? r.secondsPerImage : null,
    imagesPerHour: r.fits ? r.imagesPerHour : null,
    slowdown: r.slowdown,
    peakDeviceBytes: Math.round(r.peakDeviceBytes),
    peakRequiredBytes: Math.round(r.peakRequiredBytes),
    allocatorCacheBytes: Math.round(r.allocatorCacheBytes),
    peakHostBytes: Math.round(r.peakHostBytes),
    usableBytes: Math.round(r.usableBytes),
    basis: r.basis,
  };
}

/** The verdict every answer carries (`--json`, the API): the rung, its grade, speed and reason. */
export function establishmentJson(e: Establishment) {
  const c = e.chosen;
  return {
    establishes: c !== null,
    rung: c ? c.step.id : null,
    rungLabel: c ? rungName(c) : null,
    strategy: c ? c.step.strategy : null,
    precision: c ? c.step.precision : null,
    vaeTiling: c ? c.step.vaeTiling : null,
    batch: c ? c.batch : null,
    quality: c ? c.step.quality : null,
    flags: c ? c.step.flags : null,
    fitGrade: e.fitGrade,
    imagesPerHour: e.imagesPerHour,
    secondsPerImage: e.secondsPerImage,
    peakRequiredBytes: c ? Math.round(c.peakRequiredBytes) : null,
    allocatorCacheBytes: c ? Math.round(c.allocatorCacheBytes) : null,
    usableBytes: Math.round(e.rungs[0]!.usableBytes),
    comfortableRung: e.comfortable
      ? { rung: e.comfortable.step.id, label: rungName(e.comfortable), imagesPerHour: e.comfortable.imagesPerHour }
      : null,
    shortfall: e.shortfall,
    pinned: e.pinned,
    reason: e.reason,
    memoryErrorP90: MEMORY_ERROR_P90,
  };
}

export type EstablishmentJson = ReturnType<typeof establishmentJson>;

/** The pins a command's flags ask for: `--strategy` (auto = none) and `--no-quantize`. */
export function pinsFrom(args: { strategy?: unknown; quantize?: unknown }): LadderPins {
  const s = strategyPin(args.strategy);
  return { ...(s ? { strategies: [s] } : {}), ...(args.quantize === false ? { noQuantize: true } : {}) };
}
