/**
 * `genready bench`: plan the cases (model × size × phase), build or reuse their graphs, run each
 * phase in its own process, and compare with the cost model on the same device. Side effects enter
 * through `BenchDeps` (machine, provider, phase runner, memory size) so the flow is testable.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuDevice, onThreads } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { resolveModel } from '../catalog/models.ts';
import type { ModelEntry } from '../catalog/models.types.ts';
import { contextTokens } from '../cost/breakdown.ts';
import { estimate } from '../cost/estimate.ts';
import { makeWorkload, type Workload } from '../cost/workload.ts';
import { Graph, writeGraph } from '../graph/_onnx.ts';
import { vaeScale } from '../graph/autoencoder.ts';
import { buildGraph, GRAPH_KINDS, type GraphArch, isGraphArch } from '../graph/index.ts';
import { detectProvider, type Provider, type ProviderId, providerById, providerWorks } from '../ort/providers.ts';
import { ortVersion } from '../ort/session.ts';
import type { Machine } from '../planner/machine.ts';
import { clockLabel } from '../probe/clock.ts';
import type { WorkerJob, WorkerMessage } from './_worker.ts';
import { cacheRoot, ensureModel } from './cache.ts';
import { predictSeconds } from './calibration.ts';
import { BenchError } from './errors.ts';
import type { FeedShape } from './runner.ts';
import { BENCH_PHASES, type BenchPhase, type BenchReport, type BenchResult, type Environment } from './types.ts';

export const GENREADY_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

/** Fixed iteration counts (never "until stable"): comparable runs, a known duration. */
export const ITERATIONS = { quick: { warmup: 1, iterations: 3 }, full: { warmup: 1, iterations: 5 } } as const;
export const QUICK_SIZE: [number, number] = [256, 256];
export const DEFAULT_SEED = 0;

export interface BenchCase {
  model: ModelEntry;
  phase: BenchPhase;
  workload: Workload;
  arch: GraphArch;
}

export interface BenchPlan {
  cases: BenchCase[];
  warmup: number;
  iterations: number;
  seed: number;
}

export interface PlanInput {
  model?: string;
  sizes?: [number, number][];
  quick?: boolean;
  batch?: number;
  warmup?: number;
  iterations?: number;
  seed?: number;
  phases?: readonly BenchPhase[];
}

/**
 * The text-encoding phase is measured where one graph is the whole phase: a model with a single
 * CLIP text encoder (SD 1.x, SD 2.x). SDXL's two encoders, and T5, are not benched yet.
 */
export function benchesTextEncoding(m: ModelEntry): boolean {
  return m.textEncoders.length === 1 && m.textEncoders[0]!.arch.kind === 'clip-text';
}

function archFor(m: ModelEntry, phase: BenchPhase): GraphArch {
  if (phase === 'text-encoding' && !benchesTextEncoding(m))
    throw new BenchError(
      'unsupported-model',
      `${m.name}: bench measures text encoding only for a single CLIP text encoder (SD 1.x, SD 2.x)`,
    );
  const component = phase === 'denoising' ? m.denoiser : phase === 'vae-decode' ? m.vae : m.textEncoders[0]!;
  const arch: { kind: string } = component.arch;
  // Every denoiser and VAE kind of the catalog has a builder; this guards a kind added to the catalog later.
  // A model too big for this machine's RAM (FLUX in fp32) is refused by checkFits, before anything is built.
  if (!isGraphArch(arch))
    throw new BenchError(
      'unsupported-model',
      `${m.name}: bench has no ONNX graph for its ${arch.kind} ${phase === 'denoising' ? 'denoiser' : 'decoder'} yet; it runs ${GRAPH_KINDS.join(', ')} architectures`,
    );
  return arch;
}

export function planBench(input: PlanInput): BenchPlan {
  const model = resolveModel(input.model ?? 'sd15');
  const counts = input.quick ? ITERATIONS.quick : ITERATIONS.full;
  const warmup = input.warmup ?? counts.warmup;
  const iterations = input.iterations ?? counts.iterations;
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new BenchError('bad-iterations', `--warmup must be a whole number ≥ 0, got ${warmup}`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new BenchError('bad-iterations', `--iterations must be a whole number ≥ 1, got ${iterations}`);
  const sizes = input.sizes ?? [input.quick ? QUICK_SIZE : [model.defaults.width, model.defaults.height]];
  const phases =
    input.phases ?? (benchesTextEncoding(model) ? BENCH_PHASES : BENCH_PHASES.filter((p) => p !== 'text-encoding'));
  const cases: BenchCase[] = [];
  for (const [width, height] of sizes) {
    // makeWorkload validates the size (multiple of the model's latent grid, within limits).
    const workload = makeWorkload({
      model,
      width,
      height,
      ...(input.batch !== undefined ? { batch: input.batch } : {}),
      precision: 'fp32',
    });
    for (const phase of phases) cases.push({ model, phase, workload, arch: archFor(model, phase) });
  }
  return { cases, warmup, iterations, seed: input.seed ?? DEFAULT_SEED };
}

/**
 * Samples per forward: the denoiser runs uncond + cond together with CFG (as diffusers batches
 * them); the text encoder encodes the prompt and, with CFG, the negative prompt, once per call.
 */
export const forwardBatch = (c: BenchCase) =>
  c.phase === 'denoising'
    ? c.workload.batch * c.workload.passes
    : c.phase === 'text-encoding'
      ? c.workload.passes
      : c.workload.batch;

/** What one forward of a case is fed: the forward batch, the latent grid, the text tokens. */
export function feedShape(c: BenchCase): FeedShape {
  const down = vaeScale(c.model.vae.arch);
  return {
    batch: forwardBatch(c),
    latentHeight: c.workload.height / down,
    latentWidth: c.workload.width / down,
    textTokens: contextTokens(c.workload),
  };
}

/**
 * RAM a phase needs on the CPU: its weights, the cost model's activation peak for the phase, and
 * onnxruntime's own footprint. Measured: SD 1.5 UNet fp32 (3.47 GB of weights) peaked at 3.9 GB
 * resident at 256² and 6.0 GB at 512² (batch 2), which this bound covers.
 */
export function phaseMemoryBytes(c: BenchCase, dtypeBytes: number): number {
  const weights = buildGraph(c.arch, 'float32').parameters * dtypeBytes;
  // The graphs compute attention as MatMul → Softmax → MatMul: the scores are materialised (naive).
  const w = makeWorkload({
    model: c.model,
    width: c.workload.width,
    height: c.workload.height,
    batch: c.workload.batch,
    precision: 'fp32',
    componentPrecision: { vae: 'fp32' },
    attention: 'naive',
  });
  const e = estimate(w, memoryCheckCpu, { strategy: 'cpu' });
  const act = e.chosen.memory.phases.find((p) => p.phase === c.phase)?.activationBytes ?? 0;
  return weights + act + 0.5e9;
}

/** Memory does not depend on the CPU's speed: any CPU device gives the CPU strategy's activation peak. */
const memoryCheckCpu: Device = cpuDevice({ model: 'memory check', cores: 1, simd: {} });

export type BenchEvent =
  | {
      kind: 'case';
      index: number;
      total: number;
      model: string;
      phase: BenchPhase;
      width: number;
      height: number;
      forwardBatch: number;
    }
  | { kind: 'build'; parameters: number; bytes: number; reason?: string }
  | { kind: 'cache'; status: 'reused' | 'built' | 'rebuilt'; reason?: string }
  | { kind: 'loaded'; seconds: number }
  | { kind: 'iteration'; index: number; total: number; seconds: number; warmup: boolean }
  | { kind: 'result'; result: BenchResult };

export type PhaseOutcome = Extract<WorkerMessage, { kind: 'done' }>;
export type PhaseRunner = (job: WorkerJob, onMessage: (m: WorkerMessage) => void) => Promise<PhaseOutcome>;

/** Run one phase in a child process (its own peak memory, an OOM kill contained). */
export const forkPhase: PhaseRunner = (job, onMessage) =>
  new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./_worker.ts', import.meta.url)), [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let outcome: PhaseOutcome | null = null;
    let failure: string | null = null;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('message', (m: WorkerMessage) => {
      if (m.kind === 'done') outcome = m;
      else if (m.kind === 'error') failure = m.message;
      else onMessage(m);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (outcome) return resolve(outcome);
      if (failure) return reject(new BenchError('run-failed', `onnxruntime failed: ${failure}`));
      if (signal === 'SIGKILL')
        return reject(
          new BenchError('out-of-memory', 'the benchmark process was killed (out of memory?); try a smaller --size'),
        );
      const last = stderr.trim().split('\n').pop() ?? '';
      reject(
        new BenchError(
          'run-failed',
          `the benchmark process exited with ${signal ?? `code ${code}`}${last ? `: ${last}` : ''}`,
        ),
      );
    });
    child.send(job);
  });

export interface BenchDeps {
  machine: Machine;
  provider: Provider;
  cacheRoot?: string;
  runPhase?: PhaseRunner;
  /** RAM to check the plan against (default: this machine's). */
  totalMemoryBytes?: number;
  onEvent?: (e: BenchEvent) => void;
  clock?: () => Date;
  /** The model cache (default: build or verify under the cache directory). */
  ensure?: typeof ensureModel;
  /** onnxruntime threads and spinning (src/ort/threads.ts: chosen from the load); default: onnxruntime's. */
  threads?: { threads: number; spinning: boolean };
}

/** The device a provider computes on, as the cost model knows it. */
export function computeDevice(m: Machine, p: Provider): Device {
  return p.id === 'cpu' || m.device.backend === 'cpu' ? m.host : m.device;
}

export function environmentOf(m: Machine, p: Provider, date: Date): Environment {
  const d = computeDevice(m, p);
  return {
    device: d.name,
    deviceId: d.id,
    runtime: 'onnxruntime',
    provider: p.id,
    cpu: m.probe.cpu.model,
    cores: m.probe.cpu.cores,
    ...(m.probe.cpu.clockGHz ? { cpuClock: clockLabel(m.probe.cpu.clockGHz) } : {}),
    ramBytes: m.probe.ramBytes.value,
    os: `${m.probe.os.platform} ${m.probe.os.release} ${m.probe.os.arch}`,
    versions: {
      node: process.versions.node,
      onnxruntime: ortVersion('common'),
      genready: GENREADY_VERSION,
    },
    date: date.toISOString(),
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}

/** Refuse, before building anything, a case that cannot fit this machine's RAM. */
export function checkFits(plan: BenchPlan, p: Provider, totalBytes: number): void {
  if (p.id !== 'cpu') return; // device memory is the GPU's; onnxruntime reports its own allocation failures
  for (const c of plan.cases) {
    const need = phaseMemoryBytes(c, 4);
    if (need > 0.9 * totalBytes) {
      const what =
        c.phase === 'denoising' ? c.model.denoiser.name : c.phase === 'vae-decode' ? c.model.vae.name : 'text encoder';
      throw new BenchError(
        'does-not-fit',
        `${c.model.name} does not fit this machine for a CPU benchmark: its ${what} needs about ${(need / 1e9).toFixed(1)} GB of RAM in fp32 at ${c.workload.width}x${c.workload.height}, this machine has ${(totalBytes / 1e9).toFixed(1)} GB`,
      );
    }
  }
}

export async function runBench(plan: BenchPlan, deps: BenchDeps): Promise<BenchReport> {
  const { machine, provider } = deps;
  checkFits(plan, provider, deps.totalMemoryBytes ?? totalmem());
  const cores = machine.probe.cpu.cores;
  // A CPU run on fewer threads than cores is predicted for the cores it computed on.
  const threads =
    provider.id === 'cpu' && deps.threads && deps.threads.threads < cores ? deps.threads.threads : undefined;
  const device = onThreads(computeDevice(machine, provider), threads, cores);
  const environment = {
    ...environmentOf(machine, provider, (deps.clock ?? (() => new Date()))()),
    ...(threads !== undefined ? { threads } : {}),
  };
  const runPhase = deps.runPhase ?? forkPhase;
  const emit = deps.onEvent ?? (() => {});
  const precision = provider.dtype === 'float32' ? 'fp32' : 'fp16';
  const strategy = provider.id === 'cpu' ? 'cpu' : 'gpu';
  const results: BenchResult[] = [];
  for (const [index, c] of plan.cases.entries()) {
    const fb = forwardBatch(c);
    const { width, height } = c.workload;
    emit({
      kind: 'case',
      index,
      total: plan.cases.length,
      model: c.model.id,
      phase: c.phase,
      width,
      height,
      forwardBatch: fb,
    });
    const cached = await (deps.ensure ?? ensureModel)(c.arch, {
      dtype: provider.dtype,
      seed: plan.seed,
      ...(deps.cacheRoot ? { root: deps.cacheRoot } : {}),
      onBuild: (b) => emit({ kind: 'build', ...b }),
    });
    emit({ kind: 'cache', status: cached.status, ...(cached.reason ? { reason: cached.reason } : {}) });
    const job: WorkerJob = {
      modelPath: cached.path,
      arch: c.arch,
      dtype: provider.dtype,
      shape: feedShape(c),
      provider: provider.id,
      warmup: plan.warmup,
      iterations: plan.iterations,
      ...(deps.threads ? { threads: deps.threads.threads, spinning: deps.threads.spinning } : {}),
    };
    const out = await runPhase(job, (m) => {
      if (m.kind === 'loaded' || m.kind === 'iteration') emit(m);
    });
    const predictedSeconds = predictSeconds(
      { model: c.model.id, phase: c.phase, width, height, batch: c.workload.batch, precision, strategy },
      device,
    );
    const result: BenchResult = {
      model: c.model.id,
      phase: c.phase,
      width,
      height,
      batch: c.workload.batch,
      measuredSeconds: out.minSeconds,
      predictedSeconds,
      peakMemoryBytes: out.peakRssBytes,
      medianSeconds: out.medianSeconds,
      samples: out.samples,
      warmupSamples: out.warmup,
      forwardBatch: fb,
      precision,
      parameters: cached.parameters,
      loadSeconds: out.loadSeconds,
    };
    results.push(result);
    emit({ kind: 'result', result });
  }
  return { environment, results };
}

/** A one-node model to test whether a provider can open a session here. */
function probeModel(root: string): string {
  const path = join(root, 'provider-probe.onnx');
  const g = new Graph('float32');
  const x = g.input('x', 'float32', [1]);
  g.op('Identity', [x], {}, 'y');
  g.output('y', 'float32', [1]);
  writeGraph(g, path, { seed: 0 });
  return path;
}

/** The provider asked for (checked to work here), or the best one present. */
export async function chooseProvider(
  asked: ProviderId | undefined,
  machine: Machine,
  root = cacheRoot(),
): Promise<Provider> {
  const probe = probeModel(root);
  if (asked === undefined)
    return detectProvider(probe, machine.device.backend === 'cpu' ? null : machine.device.backend);
  if (!(await providerWorks(asked, probe))) {
    throw new BenchError(
      'provider-missing',
      `the ${providerById(asked).label} execution provider does not work here (library or device missing); see the README's bench section`,
    );
  }
  return providerById(asked);
}
