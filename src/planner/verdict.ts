/**
 * The verdict for a machine: its capability tier (from the reference workloads), what each catalog
 * model can do on it and how, and the failure patterns present. Pure: a Machine in, values out.
 */
import { listModels } from '../catalog/models.ts';
import type { Basis, Calibration } from '../cost/calibration.ts';
import { breakdownOf, type Estimate, estimate } from '../cost/estimate.ts';
import type { FitGrade, Strategy } from '../cost/memory.ts';
import { makeWorkload, type WorkloadInput } from '../cost/workload.ts';
import { type Establishment, type EstablishmentJson, establish, establishmentJson } from './ladder.ts';
import type { Machine } from './machine.ts';
import { ruleOfThumbTier, TIER_NAMES, TIER_REQUIREMENTS, type TierLevel, type TierRequirement } from './tiers.ts';

export interface RequirementResult {
  label: string;
  met: boolean;
  strategy: Strategy;
  /** The ladder's rung that establishes it as stated (null: none does). */
  rung: string | null;
  fitGrade: FitGrade;
  secondsPerImage: number;
  imagesPerHour: number;
  peakDeviceBytes: number;
  usableBytes: number;
  why: string;
}

export interface TierVerdict {
  level: TierLevel;
  name: string;
  ruleOfThumb: { level: TierLevel; vramGiB: number | null };
  /** Why the capability tier and the VRAM rule of thumb differ, when they do. */
  disagreement: string | null;
  requirements: { tier: 2 | 3 | 4; results: RequirementResult[] }[];
}

export type ModelMode = 'on-device' | 'with-offload' | 'cpu-only' | 'not-established';

export interface ModelVerdict {
  model: string;
  name: string;
  mode: ModelMode;
  strategy: Strategy;
  /** The ladder's rung, grade, speed and reason: the same answer gpus, plan and estimate give. */
  verdict: EstablishmentJson;
  fitGrade: FitGrade;
  width: number;
  height: number;
  steps: number;
  /** null where nothing runs: no throughput for what does not run. */
  secondsPerImage: number | null;
  imagesPerHour: number | null;
  peakDeviceBytes: number;
  /** What the run needs on the device (allocated + context): the fit and grade are judged on it. */
  peakRequiredBytes: number;
  /** Allocator cache beyond that (in peakDeviceBytes), given back before an out-of-memory. */
  allocatorCacheBytes: number;
  peakHostBytes: number;
  usableBytes: number;
  /** Weight files on disk at the default formats (what a download takes). */
  weightsBytes: number;
  /** Largest square side (multiple of 64) that fits all on the device; null if not even the smallest. */
  maxSideOnDevice: number | null;
  /** Batch (1–8) with the most images per hour on the device. */
  bestBatch: number | null;
  reproducibility: string;
  /** Whether the time was measured here (bench calibration of this device) or estimated. */
  basis: Basis;
  why: string;
}

export interface FailurePattern {
  id:
    | 'no-gpu'
    | 'chosen-by-cpu'
    | 'vram-neglected'
    | 'planned-from-the-cloud'
    | 'disk-too-small'
    | 'ram-too-small'
    | 'integrated-gpu'
    | 'unknown-free-memory'
    | 'laptop-power-limit'
    | 'unknown-device';
  message: string;
  advice: string;
}

function run(
  m: Machine,
  input: WorkloadInput,
  strategy: Strategy | 'auto' = 'auto',
  calibration: Calibration | null = null,
): Estimate {
  return estimate(makeWorkload(input), m.device, {
    strategy,
    host: m.host,
    ramGiB: m.ramGiB,
    ...(calibration ? { calibration } : {}),
  });
}

function checkRequirement(m: Machine, r: TierRequirement): RequirementResult {
  // As stated: the requirement's own precision and tiling, its strategies, no lowered weights.
  const l: Establishment = establish(
    m.device,
    r.workload,
    { host: m.host, ramGiB: m.ramGiB },
    { strategies: r.strategies, noQuantize: true },
  );
  const best = l.chosen ?? l.rungs[0]!;
  const fast = best.secondsPerImage <= r.maxSecondsPerImage;
  const volume = r.minImagesPerHour === undefined || best.imagesPerHour >= r.minImagesPerHour;
  const met = l.chosen !== null && fast && volume;
  const why = !l.chosen
    ? l.reason
    : !fast
      ? `${best.secondsPerImage.toFixed(1)} s per image is slower than ${r.maxSecondsPerImage} s`
      : !volume
        ? `${best.imagesPerHour.toFixed(0)} images/hour is below ${r.minImagesPerHour}`
        : `${best.step.label}, ${best.secondsPerImage.toFixed(1)} s per image${best.fitGrade === 'tight' ? ' (tight fit)' : ''}`;
  return {
    label: r.label,
    met,
    strategy: best.step.strategy,
    rung: l.chosen ? l.chosen.step.id : null,
    fitGrade: l.fitGrade,
    secondsPerImage: best.secondsPerImage,
    imagesPerHour: best.imagesPerHour,
    peakDeviceBytes: best.peakDeviceBytes,
    usableBytes: best.usableBytes,
    why,
  };
}

/**
 * The tier and every requirement's result; `levelOnly` stops at the first tier not reached (what a
 * ranking of the catalog needs), leaving the requirements above it unchecked.
 */
export function tierOf(m: Machine, opts: { levelOnly?: boolean } = {}): TierVerdict {
  const isGpu = m.device.backend !== 'cpu';
  const requirements: TierVerdict['requirements'] = [];
  for (const tier of [2, 3, 4] as const) {
    const results: RequirementResult[] = [];
    for (const r of isGpu ? TIER_REQUIREMENTS[tier] : []) {
      results.push(checkRequirement(m, r));
      if (opts.levelOnly && !results.at(-1)!.met) break;
    }
    requirements.push({ tier, results });
    if (opts.levelOnly && !results.every((x) => x.met)) break;
  }
  let level: TierLevel = 1;
  for (const r of requirements) {
    if (r.results.length && r.results.every((x) => x.met)) level = r.tier;
    else break;
  }
  const vram = isGpu ? m.device.memoryGiB : null;
  const thumb = ruleOfThumbTier(vram);
  let disagreement: string | null = null;
  if (thumb > level) {
    const failed = requirements.find((r) => r.tier === level + 1)?.results.find((x) => !x.met);
    disagreement = `the memory says tier ${thumb}, but ${failed ? `${failed.label}: ${failed.why}` : 'the reference workloads do not run here'}`;
  } else if (thumb < level) {
    disagreement = `the rule of thumb says tier ${thumb} for ${vram ?? 0} GB, but the reference workloads of tier ${level} run here`;
  }
  return { level, name: TIER_NAMES[level], ruleOfThumb: { level: thumb, vramGiB: vram }, disagreement, requirements };
}

function maxSide(m: Machine, model: string): number | null {
  let best: number | null = null;
  for (let side = 256; side <= 4096; side += 64) {
    const e = run(m, { model, width: side, height: side }, 'gpu');
    if (!e.chosen.fits) break;
    best = side;
  }
  return best;
}

function bestBatch(m: Machine, model: string): number | null {
  let best: { b: number; iph: number } | null = null;
  for (const b of [1, 2, 4, 8]) {
    const e = run(m, { model, batch: b }, 'gpu');
    if (!e.chosen.fits) break;
    if (!best || e.chosen.time.imagesPerHour > best.iph * 1.02) best = { b, iph: e.chosen.time.imagesPerHour };
  }
  return best?.b ?? null;
}

/** What a fixed seed guarantees here. */
function reproducibility(m: Machine, precision: string): string {
  const d = m.device;
  if (d.backend === 'cpu')
    return 'bit-exact for a seed on this CPU and library version; other machines differ in the last bits';
  const parts = ['same seed → same image on this GPU, driver and library versions'];
  if (d.backend === 'cuda')
    parts.push(
      'flash/memory-efficient attention and cuDNN autotuning can change the last bits between runs unless deterministic algorithms are forced',
    );
  if (d.backend === 'metal' || d.backend === 'directml')
    parts.push('this backend does not promise run-to-run determinism');
  if (precision === 'fp16' && /Pascal|Maxwell|Kepler/i.test(d.architecture))
    parts.push('fp16 on this architecture runs emulated: results differ from newer GPUs');
  parts.push('another GPU model gives a similar but not identical image');
  return parts.join('; ');
}

/**
 * What each catalog model can do here. With this machine's `genready bench` calibration, times on
 * the calibrated device are scaled by it and said as "measured here"; memory stays the cost model's.
 */
export function modelVerdicts(
  m: Machine,
  opts: { detail?: boolean; calibration?: Calibration | null } = {},
): ModelVerdict[] {
  return listModels().map((model) => {
    // One image per call, as people try a model first; PyTorch and ONNX Runtime run diffusion on
    // CPUs in fp32 (the ladder's CPU rung), so the precision stays free for the ladder.
    const input: WorkloadInput = { model, batch: 1 };
    const l = establish(m.device, input, { host: m.host, ramGiB: m.ramGiB, calibration: opts.calibration ?? null });
    const c = l.chosen;
    const r = c ?? l.rungs[0]!;
    const w = makeWorkload({ ...input, precision: r.step.precision });
    const mode: ModelMode = !c
      ? 'not-established'
      : c.step.strategy === 'gpu'
        ? 'on-device'
        : c.step.strategy === 'cpu'
          ? 'cpu-only'
          : 'with-offload';
    const onGpu = m.device.backend !== 'cpu';
    // Weight files on disk at the default formats (what a download takes).
    const parts = breakdownOf(makeWorkload(input));
    return {
      model: model.id,
      name: model.name,
      mode,
      strategy: r.step.strategy,
      verdict: establishmentJson(l),
      fitGrade: l.fitGrade,
      width: w.width,
      height: w.height,
      steps: w.steps,
      secondsPerImage: c ? c.secondsPerImage : null,
      imagesPerHour: c ? c.imagesPerHour : null,
      peakDeviceBytes: r.peakDeviceBytes,
      peakRequiredBytes: r.peakRequiredBytes,
      allocatorCacheBytes: r.allocatorCacheBytes,
      peakHostBytes: r.peakHostBytes,
      usableBytes: r.usableBytes,
      weightsBytes: parts.filter((p) => p.role !== 'controlnet').reduce((sum, p) => sum + p.weightBytes, 0),
      maxSideOnDevice: onGpu && opts.detail ? maxSide(m, model.id) : null,
      bestBatch: onGpu && opts.detail && c?.step.strategy === 'gpu' ? bestBatch(m, model.id) : null,
      reproducibility: reproducibility(m, r.step.precision),
      basis: c ? c.basis : 'estimated',
      why: l.reason,
    };
  });
}

export function failurePatterns(m: Machine, tier: TierVerdict, verdicts: readonly ModelVerdict[]): FailurePattern[] {
  const out: FailurePattern[] = [];
  const d = m.device;
  const cores = m.probe.cpu.cores;
  if (d.backend === 'cpu') {
    out.push({
      id: 'no-gpu',
      message: 'No GPU: every image would be generated on the CPU, minutes instead of seconds.',
      advice: 'Use a cloud GPU for anything beyond checks (tier 1), or add a GPU with 12 GB+ for practical production.',
    });
    if (cores >= 8) {
      out.push({
        id: 'chosen-by-cpu',
        message: `A strong CPU (${cores} cores) does not make image generation fast: the GPU is the establishment condition.`,
        advice: 'Put the budget into GPU memory (VRAM) first.',
      });
    }
  }
  if (m.gpu?.integrated) {
    out.push({
      id: 'integrated-gpu',
      message: 'The GPU is integrated: it shares system RAM and bandwidth.',
      advice: 'Expect CPU-like speeds; a discrete GPU changes the tier.',
    });
  }
  if (d.backend !== 'cpu' && (d.fp16MatrixTflops ?? 0) >= 40 && (d.memoryGiB ?? 0) < 12) {
    out.push({
      id: 'vram-neglected',
      message: `${d.name} is fast (${d.fp16MatrixTflops} TFLOPS fp16) but has ${d.memoryGiB} GB: memory, not speed, limits what it can produce.`,
      advice: 'Prefer a card with 12–16 GB over a faster one with 8 GB for SDXL and FLUX work.',
    });
  }
  const ramShort = verdicts.filter((v) => v.mode === 'not-established' && v.peakHostBytes > m.ramGiB * 2 ** 30);
  if (m.ramGiB < 16 || ramShort.length) {
    out.push({
      id: 'ram-too-small',
      message: `System RAM (${m.ramGiB.toFixed(0)} GiB) is too small to load or offload ${ramShort.map((v) => v.model).join(', ') || 'the larger models'}.`,
      advice: 'Offloading keeps the whole model in RAM: plan 32 GB for SDXL, 64 GB for FLUX.',
    });
  }
  const free = m.probe.freeDiskBytes?.value;
  if (free !== undefined) {
    const tooBig = verdicts.filter((v) => v.mode !== 'not-established' && v.weightsBytes > free);
    if (tooBig.length) {
      out.push({
        id: 'disk-too-small',
        message: `Free disk (${(free / 1e9).toFixed(0)} GB at ${m.probe.diskPath ?? 'the cache folder'}) cannot hold the weights of ${tooBig.map((v) => `${v.model} (${(v.weightsBytes / 1e9).toFixed(0)} GB)`).join(', ')}.`,
        advice:
          'Free space or point the model cache at a larger disk; offload also needs the weights on disk to load them.',
      });
    }
  }
  if (d.backend === 'directml') {
    out.push({
      id: 'unknown-free-memory',
      message: 'DirectML does not report free GPU memory: fit is judged on total memory.',
      advice: 'Close other GPU programs before long runs.',
    });
  }
  if (d.segment === 'consumer_laptop') {
    out.push({
      id: 'laptop-power-limit',
      message: `${d.name} is a laptop part: its power limit sets the speed, often well below the desktop card of the same name.`,
      advice: 'Run plugged in, in the performance power mode.',
    });
  }
  if (d.id === 'unknown-gpu') {
    out.push({
      id: 'unknown-device',
      message: 'This GPU is not in the catalog: its memory is measured, its speed is a conservative guess.',
      advice: 'Run `genready bench` to measure it.',
    });
  }
  void tier;
  return out;
}
