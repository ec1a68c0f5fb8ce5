/**
 * genready's own GPU measurements: runs of the PyTorch script (`bench/gpu-torch.ts`) kept in
 * data/eval/own-gpu/, compared case by case with the cost model. They measure one component alone
 * (a denoiser step or a VAE decode, random weights, eager PyTorch), so they check the parts of the
 * model the published end-to-end rows blur: the step time, the activation peak per phase and
 * attention kernel, and how much the caching allocator reserves over it. Reported apart from the
 * published rows; never used to fit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDevice } from '../catalog/devices.ts';
import type { Device } from '../catalog/devices.types.ts';
import { parseTorchResults, type TorchResults } from '../catalog/torch-results.ts';
import { MODEL_CONSTANTS, type ModelConstants } from '../cost/constants.ts';
import { estimate } from '../cost/estimate.ts';
import { deviceFigures, growthBytes } from '../cost/memory.ts';
import { makeWorkload } from '../cost/workload.ts';
import { gb, pct } from '../text/units.ts';
import { type Stats, stats } from './stats.ts';

export const OWN_GPU_DIR = new URL('../../data/eval/own-gpu/', import.meta.url).pathname;

type TorchResult = TorchResults['results'][number];
type TorchPipeline = TorchResults['pipelines'][number];
type Pair = { measured: number; predicted: number };

/** The figures compared per component case; each is predicted / measured. */
export interface OwnCaseComparison {
  label: string;
  result: TorchResult;
  /** Why the case is shown but left out of the error figures, if it is. */
  excluded?: string;
  seconds: Pair;
  /** Peak allocated minus the weights the script measured: the phase's activation peak. */
  activation: Pair | null;
  /** The component alone: weights + activations, then the caching allocator's reservation and what the device held. */
  allocated: Pair;
  reserved: Pair;
  device: Pair | null;
}

/** A whole pipeline call: the figures `genready estimate --json` reports under memory. */
export interface OwnPipelineComparison {
  label: string;
  result: TorchPipeline;
  denoisingAllocated: Pair;
  decodeAllocated: Pair;
  allocated: Pair;
  reserved: Pair;
  device: Pair | null;
}

export type CaseFigure = 'seconds' | 'activation' | 'allocated' | 'reserved' | 'device';
export type PipelineFigure = 'allocated' | 'reserved' | 'device';

export interface OwnRunComparison {
  path: string;
  device: Device;
  run: TorchResults;
  cases: OwnCaseComparison[];
  pipelines: OwnPipelineComparison[];
  summary: { cases: Record<CaseFigure, Stats>; pipelines: Record<PipelineFigure, Stats> };
  text: string;
}

/** The kept runs, oldest first (file names start with their date). */
export function loadOwnRuns(dir = OWN_GPU_DIR): { path: string; run: TorchResults }[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return names.map((n) => ({
    path: join(dir, n),
    run: parseTorchResults(readFileSync(join(dir, n), 'utf8'), join(dir, n)),
  }));
}

// SDPA runs a fused kernel (flash in fp16, memory-efficient in fp32) that keeps no scores: genready's `flash`.
const kernel = (a: TorchResult['attention']) => (a === 'naive' ? 'naive' : 'flash');

function predictCase(r: TorchResult, device: Device, K: ModelConstants) {
  const w = makeWorkload({
    model: r.model,
    width: r.width,
    height: r.height,
    batch: r.batch,
    precision: r.precision,
    componentPrecision: { vae: r.precision, 'text-encoder': r.precision },
    attention: kernel(r.attention),
  });
  const e = estimate(w, device, { strategy: 'gpu', constants: K });
  const time = e.chosen.time;
  // Model offload keeps only the running phase's weights: the script's situation (one component on the device).
  const offload = e.alternatives.find((a) => a.strategy === 'model-offload')!;
  const phase = offload.memory.phases.find((p) => p.phase === r.phase)!;
  const { reservedBytes, deviceBytes } = deviceFigures(
    phase.allocatedBytes,
    growthBytes(
      w,
      e.parts.filter((c) => c.phase === r.phase),
    ),
    K,
    e.usable.bytes,
  );
  const seconds =
    r.phase === 'denoising' ? time.secondsPerStep : time.phases.find((p) => p.phase === 'vae-decode')!.seconds;
  return {
    seconds,
    activation: phase.activationBytes,
    allocated: phase.allocatedBytes,
    reserved: reservedBytes,
    device: deviceBytes,
  };
}

function comparePipeline(p: TorchPipeline, device: Device, K: ModelConstants): OwnPipelineComparison {
  const w = makeWorkload({
    model: p.model,
    width: p.width,
    height: p.height,
    batch: p.batch,
    precision: p.precision,
    componentPrecision: { vae: p.vaePrecision },
    attention: kernel(p.attention),
  });
  const m = estimate(w, device, { strategy: 'gpu', constants: K }).chosen.memory;
  const phase = (name: 'denoising' | 'vae-decode') => m.phases.find((x) => x.phase === name)!.allocatedBytes;
  return {
    label: `${p.model} pipeline ${p.width}×${p.height} b${p.batch} VAE ${p.vaePrecision}${p.attention === 'naive' ? ' naive attention' : ''}`,
    result: p,
    denoisingAllocated: { measured: p.phases.denoising.peakAllocatedBytes, predicted: phase('denoising') },
    decodeAllocated: { measured: p.phases['vae-decode'].peakAllocatedBytes, predicted: phase('vae-decode') },
    allocated: { measured: p.peakAllocatedBytes, predicted: m.peakAllocatedBytes },
    reserved: { measured: p.peakReservedBytes, predicted: m.peakReservedBytes },
    device: p.deviceUsedBytes !== undefined ? { measured: p.deviceUsedBytes, predicted: m.peakDeviceBytes } : null,
  };
}

const ratio = (x: Pair) => x.predicted / x.measured;
const relErr = (x: Pair) => Math.abs(x.predicted - x.measured) / x.measured;
const errStats = <T>(items: readonly T[], f: (x: T) => Pair | null) =>
  stats(items.flatMap((x) => (f(x) ? [relErr(f(x)!)] : [])));
const mem = (x: Pair | null) =>
  (x ? `${gb(x.measured).padStart(9)} ${ratio(x).toFixed(2).padStart(5)}×` : '—').padStart(20);
const summaryLine = (s: Record<string, Stats>) =>
  Object.entries(s)
    .map(([k, v]) => `${k} ${pct(v.median)} / ${pct(v.p90)} (n=${v.n})`)
    .join(' · ');

export function compareOwnRun(run: TorchResults, path = '', K: ModelConstants = MODEL_CONSTANTS): OwnRunComparison {
  const device = resolveDevice(run.environment.device);
  const cases = run.results.map((r): OwnCaseComparison => {
    const p = predictCase(r, device, K);
    return {
      label: `${r.model} ${r.phase === 'denoising' ? 'step' : 'decode'} ${r.width}×${r.height} b${r.batch} ${r.precision}${r.attention === 'sdpa' ? '' : ` ${r.attention} attention`}`,
      result: r,
      // PyTorch ≥ 2.5's math kernel computes half inputs in fp32: twice the scores of diffusers' classic (naive) attention.
      ...(r.attention === 'math' ? { excluded: 'SDPA math kernel (fp32 inside), not a kernel genready models' } : {}),
      seconds: { measured: r.measuredSeconds, predicted: p.seconds },
      activation:
        r.weightsBytes !== undefined
          ? { measured: r.peakAllocatedBytes - r.weightsBytes, predicted: p.activation }
          : null,
      allocated: { measured: r.peakAllocatedBytes, predicted: p.allocated },
      reserved: { measured: r.peakReservedBytes, predicted: p.reserved },
      device: r.deviceUsedBytes !== undefined ? { measured: r.deviceUsedBytes, predicted: p.device } : null,
    };
  });
  const pipelines = run.pipelines.map((p) => comparePipeline(p, device, K));
  const counted = cases.filter((c) => !c.excluded);
  const summary = {
    cases: {
      seconds: errStats(counted, (c) => c.seconds),
      activation: errStats(counted, (c) => c.activation),
      allocated: errStats(counted, (c) => c.allocated),
      reserved: errStats(counted, (c) => c.reserved),
      device: errStats(counted, (c) => c.device),
    },
    pipelines: {
      allocated: errStats(pipelines, (p) => p.allocated),
      reserved: errStats(pipelines, (p) => p.reserved),
      device: errStats(pipelines, (p) => p.device),
    },
  };
  const env = run.environment;
  const lines = [
    `${device.name} · PyTorch ${env.torch} ${env.backend} · ${env.date.slice(0, 10)} · measured, predicted / measured`,
  ];
  if (cases.length) {
    lines.push(
      `${'component'.padEnd(44)} ${'time'.padStart(16)}  ${'activations'.padStart(20)}  ${'allocated'.padStart(20)}  ${'reserved'.padStart(20)}  ${'device'.padStart(20)}`,
      ...cases.map(
        (c) =>
          `${c.label.padEnd(44)} ${`${(c.seconds.measured * 1000).toFixed(1)} ms ${ratio(c.seconds).toFixed(2)}×`.padStart(16)}  ${mem(c.activation)}  ${mem(c.allocated)}  ${mem(c.reserved)}  ${mem(c.device)}${c.excluded ? `  (not counted: ${c.excluded})` : ''}`,
      ),
      `components, median / p90 error: ${summaryLine(summary.cases)}`,
    );
  }
  if (pipelines.length) {
    lines.push(
      `${'pipeline'.padEnd(44)} ${'denoising alloc.'.padStart(20)}  ${'decode alloc.'.padStart(20)}  ${'allocated'.padStart(20)}  ${'reserved'.padStart(20)}  ${'device'.padStart(20)}`,
      ...pipelines.map(
        (p) =>
          `${p.label.padEnd(44)} ${mem(p.denoisingAllocated)}  ${mem(p.decodeAllocated)}  ${mem(p.allocated)}  ${mem(p.reserved)}  ${mem(p.device)}`,
      ),
      `pipelines, median / p90 error: ${summaryLine(summary.pipelines)}`,
    );
  }
  return { path, device, run, cases, pipelines, summary, text: lines.join('\n') };
}

/** Every kept run compared with the current model (what `genready validate` and docs/accuracy.md show). */
export function ownGpuReport(dir = OWN_GPU_DIR, K: ModelConstants = MODEL_CONSTANTS): OwnRunComparison[] {
  return loadOwnRuns(dir).map(({ path, run }) => compareOwnRun(run, path, K));
}

/** The summary of one run as JSON: where it came from and the error figures. */
export function ownRunJson(c: OwnRunComparison) {
  const env = c.run.environment;
  return {
    file: c.path.slice(c.path.indexOf('data/')),
    device: c.device.name,
    date: env.date,
    torch: env.torch,
    components: c.cases.length,
    pipelines: c.pipelines.length,
    summary: c.summary,
  };
}
