/**
 * Measures the CPU constants of the time model (`cpu.*` in src/cost/constants.ts) from onnxruntime's
 * own per-node profile of SD 1.5's three graphs (text encoder on both prompts, UNet step with CFG,
 * VAE decode; random weights, fp32, 256²), rather than from phase totals, where a slow kind of op
 * and a fast one can cancel:
 *
 * - GEMM efficiency and weight bytes per core-cycle: every convolution and linear layer's time is
 *   fitted as FLOPs / (peak × efficiency) + weight bytes / (core-GHz × bytes per cycle), least
 *   squares on relative error over all of them. Its FLOPs and weights come from the node's shapes.
 * - Stream bytes per core-cycle: the bytes the cost model counts for the norms and elementwise ops
 *   (src/cost/breakdown.ts) over the time onnxruntime spends outside GEMMs and attention.
 * - Attention's batched products and softmax are printed as measured (the model costs them as
 *   their GEMMs plus their score traffic at the streaming rate).
 *
 * Prints the environment (device, clock, threads, load) with the results; stores nothing.
 *
 *   npx tsx bench/cpu-profile.ts               # all cores (≈ 2 minutes on 2 idle cores)
 *   npx tsx bench/cpu-profile.ts --threads 1   # one intra-op thread, against one core
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ensureModel } from '../src/bench/cache.ts';
import { feedsFor } from '../src/bench/runner.ts';
import { onThreads } from '../src/catalog/cpu.ts';
import type { Device } from '../src/catalog/devices.types.ts';
import { resolveModel } from '../src/catalog/models.ts';
import { breakdown, contextTokens } from '../src/cost/breakdown.ts';
import { MODEL_CONSTANTS } from '../src/cost/constants.ts';
import { cpuCoreGHz, cpuEfficiency } from '../src/cost/time.ts';
import { makeWorkload } from '../src/cost/workload.ts';
import type { GraphArch } from '../src/graph/index.ts';
import { machineFromProbe } from '../src/planner/machine.ts';
import { probeMachine } from '../src/probe/probe.ts';

const SIZE = 256;
const ITERATIONS = 3;
const threadsArg = process.argv.indexOf('--threads');
const machine = machineFromProbe(await probeMachine());
const cores = machine.probe.cpu.cores;
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : cores;
if (!Number.isInteger(threads) || threads < 1) {
  console.error(`--threads takes a whole number ≥ 1, got ${process.argv[threadsArg + 1]}`);
  process.exit(2);
}
const device: Device = onThreads(machine.host, threads, cores);
const coreHz = cpuCoreGHz(device) * 1e9;
const peak = device.fp32Tflops * 1e12;

interface Shape {
  type: string;
  dims: number[];
}
interface NodeRun {
  op: string;
  inputs: Shape[];
  outputs: Shape[];
  seconds: number;
}

const shapes = (list: Record<string, number[]>[] | undefined): Shape[] =>
  (list ?? []).map((s) => {
    const [type, dims] = Object.entries(s)[0]!;
    return { type, dims };
  });
const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Each node's fastest run over the last ITERATIONS runs of a profile. */
function readProfile(file: string): NodeRun[] {
  type Event = { cat?: string; name: string; ts: number; dur: number; args?: Record<string, unknown> };
  const events = JSON.parse(readFileSync(file, 'utf8')) as Event[];
  const runs = events.filter((e) => e.name === 'model_run');
  const since = runs[runs.length - ITERATIONS]!.ts;
  const byNode = new Map<string, NodeRun>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < since) continue;
    const seconds = e.dur / 1e6;
    const seen = byNode.get(e.name);
    if (seen) seen.seconds = Math.min(seen.seconds, seconds);
    else
      byNode.set(e.name, {
        op: String(e.args!.op_name),
        inputs: shapes(e.args!.input_type_shape as Record<string, number[]>[]),
        outputs: shapes(e.args!.output_type_shape as Record<string, number[]>[]),
        seconds,
      });
  }
  return [...byNode.values()];
}

type Kind = { kind: 'gemm'; flops: number; weightBytes: number } | { kind: 'attention' } | { kind: 'stream' };

/** A node as the model counts it: a GEMM with weights, part of attention, or a streaming op. */
function classify(n: NodeRun): Kind {
  const out = n.outputs[0]?.dims ?? [];
  if (n.op === 'Conv') {
    const w = n.inputs[1]!.dims;
    return { kind: 'gemm', flops: 2 * elements(out) * elements(w.slice(1)), weightBytes: 4 * elements(w) };
  }
  if (n.op === 'Softmax') return { kind: 'attention' };
  if (n.op === 'MatMul' || n.op === 'FusedMatMul' || n.op === 'Gemm') {
    const b = n.inputs[1]?.dims;
    // Both operands activations (q·kᵀ, scores·v): attention's batched products.
    if (b && b.length >= 3) return { kind: 'attention' };
    // A weight onnxruntime prepacked is not listed: its shape is the input's last dim × the output's.
    const a = n.inputs[0]!.dims;
    const k = a[a.length - 1]!;
    const cols = out[out.length - 1]!;
    return { kind: 'gemm', flops: 2 * (elements(a) / k) * k * cols, weightBytes: 4 * k * cols };
  }
  return { kind: 'stream' };
}

/**
 * Least squares for t ≈ a·x + b·y on relative error, each node weighted by its time: the many tiny
 * nodes (a time-embedding GEMM of two rows) are dispatch-bound, and the time is in the big ones.
 */
function fitTwo(rows: { x: number; y: number; t: number }[]): [number, number] {
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let sx = 0;
  let sy = 0;
  for (const { x, y, t } of rows) {
    // Σ t·(a·x/t + b·y/t − 1)²: the normal equations of rows scaled by 1/√t.
    const [u, v] = [x / Math.sqrt(t), y / Math.sqrt(t)];
    sxx += u * u;
    sxy += u * v;
    syy += v * v;
    sx += x;
    sy += y;
  }
  const det = sxx * syy - sxy * sxy;
  return [(sx * syy - sy * sxy) / det, (sy * sxx - sx * sxy) / det];
}

const sd15 = resolveModel('sd15');
const workload = makeWorkload({
  model: sd15,
  width: SIZE,
  height: SIZE,
  precision: 'fp32',
  componentPrecision: { vae: 'fp32', 'text-encoder': 'fp32' },
  attention: 'naive',
});
const parts = breakdown(workload);
const latent = SIZE / 8;
const graphs: { label: string; role: 'text-encoder' | 'denoiser' | 'vae'; arch: GraphArch; batch: number }[] = [
  {
    label: 'text encoder',
    role: 'text-encoder',
    arch: sd15.textEncoders[0]!.arch as GraphArch,
    batch: workload.passes,
  },
  { label: 'UNet step', role: 'denoiser', arch: sd15.denoiser.arch as GraphArch, batch: workload.passes },
  { label: 'VAE decode', role: 'vae', arch: sd15.vae.arch as GraphArch, batch: 1 },
];

const loadBefore = loadavg()[0]!.toFixed(2);
const dir = mkdtempSync(join(tmpdir(), 'genready-cpu-profile-'));
const allGemms: { x: number; y: number; t: number }[] = [];
const measured: {
  label: string;
  gemms: { x: number; y: number; t: number }[];
  attention: number;
  stream: number;
  streamBytes: number;
}[] = [];
try {
  for (const g of graphs) {
    const model = await ensureModel(g.arch, { dtype: 'float32', seed: 0 });
    const prefix = join(dir, g.role);
    const session = await ort.InferenceSession.create(model.path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      enableProfiling: true,
      profileFilePrefix: prefix,
    });
    const feeds = feedsFor(
      g.arch,
      { batch: g.batch, latentHeight: latent, latentWidth: latent, textTokens: contextTokens(workload) },
      'float32',
    );
    for (let i = 0; i < ITERATIONS + 1; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith(`${g.role}_`) && f.endsWith('.json'))!;
    const nodes = readProfile(join(dir, file));

    const gemms: { x: number; y: number; t: number }[] = [];
    let attention = 0;
    let stream = 0;
    for (const n of nodes) {
      const c = classify(n);
      if (c.kind === 'gemm') gemms.push({ x: c.flops, y: c.weightBytes, t: n.seconds });
      else if (c.kind === 'attention') attention += n.seconds;
      else stream += n.seconds;
    }
    allGemms.push(...gemms);
    const component = parts.find((p) => p.role === g.role)!;
    let streamBytes = 0;
    for (const { op, count } of component.opGroups)
      if (op.kind === 'norm' || op.kind === 'elementwise')
        streamBytes += count * op.ioElems * component.forwardBatch * 4;
    measured.push({ label: g.label, gemms, attention, stream, streamBytes });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const [a, b] = fitTwo(allGemms);
const K = MODEL_CONSTANTS.cpu;
console.log(
  `${device.name} (${threads} of ${cores} cores, ${device.computeId}, ${machine.probe.cpu.clockGHz?.value ?? '?'} GHz, ${device.fp32Tflops} TFLOP/s fp32 peak, ${(coreHz / 1e9).toFixed(2)} core-GHz) · onnxruntime ${ort.env.versions.common} · load ${loadBefore} → ${loadavg()[0]!.toFixed(2)}`,
);
// One fit over all three graphs: within one graph the layers' FLOPs and weights move together (every
// text-encoder GEMM has the same 154 rows), so only together do they tell the two terms apart.
const ms = (s: number) => `${(s * 1e3).toFixed(0)} ms`;
for (const m of measured) {
  const gemmSeconds = m.gemms.reduce((s, r) => s + r.t, 0);
  const fitted = m.gemms.reduce((s, r) => s + a * r.x + b * r.y, 0);
  console.log(
    `${m.label.padEnd(13)} GEMMs ${ms(gemmSeconds)} (fit ${(fitted / gemmSeconds).toFixed(2)}) · attention ${ms(m.attention)} · streaming ${ms(m.stream)}: ${(m.streamBytes / m.stream / coreHz).toFixed(2)} B/cycle of the model's ${(m.streamBytes / 1e6).toFixed(0)} MB`,
  );
}
console.log(
  `GEMMs: efficiency ${(1 / (a * peak)).toFixed(2)} (constant ${cpuEfficiency(device, MODEL_CONSTANTS)}), weights ${(1 / (b * coreHz)).toFixed(2)} B/cycle (constant ${K.weightBytesPerCycle}); streaming constant ${K.streamBytesPerCycle} B/cycle`,
);
