/**
 * The PyTorch emitter: a self-contained script (plain torch, scaled-dot-product attention, random
 * weights) that builds the same denoisers and VAE decoders as the ONNX graph builder, from the same
 * architecture descriptions, and measures them on a CUDA, ROCm or MPS GPU. Each case carries the
 * parameter count genready expects; the script refuses to measure a model that does not match it.
 */
import { readFileSync } from 'node:fs';
import { contextTokens } from '../cost/breakdown.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { DEFAULT_SEED, GENREADY_VERSION, ITERATIONS, forwardBatch, planBench, type BenchCase } from './bench.ts';
import { vaeScale } from './graph/autoencoder.ts';
import { BenchError } from './errors.ts';
import { buildGraph } from './graph/index.ts';

const TEMPLATE = new URL('./_torch-template.py', import.meta.url);

/** Architecture kinds the Python template builds (every denoiser and VAE kind the graph builder has). */
const TORCH_KINDS: readonly string[] = ['unet', 'mmdit', 'flux', 'cross-dit', 'autoencoder-kl'];

/** What a GPU owner most likely wants to compare: SD 1.5 at 512² and SDXL at 1024². */
export const DEFAULT_TORCH_CASES: { model: string; size: [number, number] }[] = [
  { model: 'sd15', size: [512, 512] },
  { model: 'sdxl', size: [1024, 1024] },
];

export interface TorchCase {
  model: string;
  phase: BenchCase['phase'];
  width: number;
  height: number;
  batch: number;
  forwardBatch: number;
  latentHeight: number;
  latentWidth: number;
  textTokens: number;
  parameters: number;
  arch: BenchCase['arch'];
}

export function torchCases(opts: { models?: string[]; sizes?: [number, number][] } = {}): TorchCase[] {
  const wanted = opts.models ? opts.models.flatMap((model) => (opts.sizes ?? [undefined]).map((size) => ({ model, size }))) : DEFAULT_TORCH_CASES.flatMap((c) => (opts.sizes ?? [c.size]).map((size) => ({ model: c.model, size })));
  return wanted.flatMap(({ model, size }) =>
    planBench({ model, ...(size ? { sizes: [size] } : {}) }).cases.map((c) => {
      if (!TORCH_KINDS.includes(c.arch.kind)) {
        throw new BenchError('unsupported-model', `${c.model.name}: the PyTorch script builds ${TORCH_KINDS.join(', ')} models only; its ${c.arch.kind} ${c.phase === 'denoising' ? 'denoiser' : 'decoder'} runs with onnxruntime (genready bench)`);
      }
      const down = vaeScale(c.model.vae.arch);
      return {
        model: c.model.id,
        phase: c.phase,
        width: c.workload.width,
        height: c.workload.height,
        batch: c.workload.batch,
        forwardBatch: forwardBatch(c),
        latentHeight: c.workload.height / down,
        latentWidth: c.workload.width / down,
        textTokens: contextTokens(c.workload),
        parameters: buildGraph(c.arch, 'float16').parameters,
        arch: c.arch,
      };
    }),
  );
}

export function renderTorchScript(cases: readonly TorchCase[], opts: { warmup?: number; iterations?: number; seed?: number } = {}): string {
  const fill: Record<string, string> = {
    __CASES__: JSON.stringify(cases, null, 1),
    __WARMUP__: String(opts.warmup ?? ITERATIONS.full.warmup + 2),
    __ITERATIONS__: String(opts.iterations ?? 10),
    __SEED__: String(opts.seed ?? DEFAULT_SEED),
    __GENREADY_VERSION__: GENREADY_VERSION,
  };
  return readFileSync(TEMPLATE, 'utf8').replace(/__(CASES|WARMUP|ITERATIONS|SEED|GENREADY_VERSION)__/g, (k) => fill[k]!);
}

/** Write the script; returns how many cases it measures and for which models. */
export function emitTorchScript(path: string, opts: { models?: string[]; sizes?: [number, number][] } = {}): { cases: number; models: string[] } {
  const cases = torchCases(opts);
  writeFileAtomic(path, renderTorchScript(cases));
  return { cases: cases.length, models: [...new Set(cases.map((c) => c.model))] };
}
