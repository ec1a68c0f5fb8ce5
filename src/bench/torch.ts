/**
 * The PyTorch emitter: a self-contained script (plain torch, scaled-dot-product attention, random
 * weights) that builds the same denoisers and VAE decoders as the ONNX graph builder, from the same
 * architecture descriptions, and measures them on a CUDA, ROCm or MPS GPU (or the CPU in fp32, on
 * torch 1.13 too). Each case carries the parameter count genready expects; the script refuses to
 * measure a model that does not match it.
 *
 * Its check mode is the independent cross-check of the checkpoint loader: the script reads a
 * .safetensors file itself and binds its tensors to modules named as the graph's weights, through
 * the name maps (src/checkpoint/names.ts) embedded as JSON, so that PyTorch and the ONNX graphs run
 * the same tensors; comparing their outputs tests the graphs, the name maps and the layouts at once.
 */
import { readFileSync } from 'node:fs';
import type { TensorKind } from '../../data/checkpoint/names.ts';
import type { AutoencoderArch, ClipTextArch, CrossDiTArch, MMDiTArch, UNetArch } from '../catalog/models.types.ts';
import type { NameEntry, Naming } from '../checkpoint/names.ts';
import { breakdown, contextTokens } from '../cost/breakdown.ts';
import { makeWorkload } from '../cost/workload.ts';
import { vaeScale } from '../graph/autoencoder.ts';
import { buildGraph, type GraphArch } from '../graph/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { type BenchCase, DEFAULT_SEED, forwardBatch, GENREADY_VERSION, ITERATIONS, planBench } from './bench.ts';
import { BenchError } from './errors.ts';

const TEMPLATE = new URL('./_torch-template.py', import.meta.url);

/** Architecture kinds the Python template builds (every denoiser and VAE kind the graph builder has). */
const TORCH_KINDS: readonly string[] = ['unet', 'mmdit', 'flux', 'cross-dit', 'autoencoder-kl'];

/** What a GPU owner most likely wants to compare: SD 1.5 at 512² and SDXL at 1024². */
export const DEFAULT_TORCH_CASES: { model: string; size: [number, number] }[] = [
  { model: 'sd15', size: [512, 512] },
  { model: 'sdxl', size: [1024, 1024] },
];

/**
 * Attention as the script runs it: torch's fused SDPA (flash / memory-efficient; genready's `flash`),
 * scores and softmax materialised in the input dtype as diffusers' classic processor does (genready's
 * `naive`), or SDPA's math kernel (which since PyTorch 2.5 computes half inputs in fp32).
 */
export type TorchAttention = 'sdpa' | 'math' | 'naive';
export type TorchPrecision = 'fp16' | 'fp32';

/** One measurement to make: a model at a size and batch, in a precision and attention kernel (SDPA, fp16 unless said). */
export interface TorchCaseSpec {
  model: string;
  size?: [number, number];
  batch?: number;
  phases?: readonly BenchCase['phase'][];
  precision?: TorchPrecision;
  attention?: TorchAttention;
}

export interface TorchCase {
  model: string;
  phase: BenchCase['phase'];
  precision: TorchPrecision;
  attention: TorchAttention;
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

export function torchCases(opts: { models?: string[]; sizes?: [number, number][]; batch?: number } = {}): TorchCase[] {
  const pairs = opts.models
    ? opts.models.flatMap((model) => (opts.sizes ?? [undefined]).map((size) => ({ model, size })))
    : DEFAULT_TORCH_CASES.flatMap((c) => (opts.sizes ?? [c.size]).map((size) => ({ model: c.model, size })));
  return torchCasesFor(
    pairs.map(({ model, size }) => ({
      model,
      ...(size ? { size } : {}),
      ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
    })),
  );
}

const TORCH_PHASES: readonly BenchCase['phase'][] = ['denoising', 'vae-decode'];

export function torchCasesFor(specs: readonly TorchCaseSpec[]): TorchCase[] {
  return specs.flatMap((spec) =>
    planBench({
      model: spec.model,
      ...(spec.size ? { sizes: [spec.size] } : {}),
      ...(spec.batch !== undefined ? { batch: spec.batch } : {}),
      // The script measures the denoiser and the decoder; text encoding is onnxruntime's (genready bench).
      phases: spec.phases ?? TORCH_PHASES,
    }).cases.map((c) => {
      if (!TORCH_KINDS.includes(c.arch.kind)) {
        throw new BenchError(
          'unsupported-model',
          `${c.model.name}: the PyTorch script builds ${TORCH_KINDS.join(', ')} models only; its ${c.arch.kind} ${c.phase === 'denoising' ? 'denoiser' : 'decoder'} runs with onnxruntime (genready bench)`,
        );
      }
      const down = vaeScale(c.model.vae.arch);
      return {
        model: c.model.id,
        phase: c.phase,
        precision: spec.precision ?? 'fp16',
        attention: spec.attention ?? 'sdpa',
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

/**
 * A whole pipeline call with every component on the device, as diffusers runs it: the text encoders'
 * weights resident, `steps` denoiser steps on the CFG batch, then one VAE decode of the whole batch.
 * Measures the pipeline's allocated / reserved peaks and what the device holds.
 */
export interface TorchPipelineCase {
  model: string;
  width: number;
  height: number;
  batch: number;
  steps: number;
  attention: TorchAttention;
  /** Held as one block of their size: their activations are small next to the denoiser's. */
  textEncoderBytes: number;
  denoiser: TorchCase;
  vae: TorchCase;
}

export interface TorchPipelineSpec {
  model: string;
  size?: [number, number];
  batch?: number;
  steps?: number;
  attention?: TorchAttention;
  /** The VAE's precision; default what the model's pipelines run (fp32 where its config forces the upcast). */
  vaePrecision?: TorchPrecision;
}

export function torchPipelinesFor(specs: readonly TorchPipelineSpec[]): TorchPipelineCase[] {
  return specs.map((spec) => {
    const attention = spec.attention ?? 'sdpa';
    const w = makeWorkload({
      model: spec.model,
      ...(spec.size ? { width: spec.size[0], height: spec.size[1] } : {}),
      ...(spec.batch !== undefined ? { batch: spec.batch } : {}),
      precision: 'fp16',
      ...(spec.vaePrecision ? { componentPrecision: { vae: spec.vaePrecision } } : {}),
    });
    const vaePrecision = w.precision.vae;
    if (vaePrecision !== 'fp16' && vaePrecision !== 'fp32')
      throw new BenchError(
        'unsupported-model',
        `${w.model.name}: the PyTorch script runs its VAE in fp16 or fp32, not ${vaePrecision}`,
      );
    const base = { model: spec.model, size: [w.width, w.height] as [number, number], batch: w.batch, attention };
    const [denoiser] = torchCasesFor([{ ...base, phases: ['denoising'] }]);
    const [vae] = torchCasesFor([{ ...base, phases: ['vae-decode'], precision: vaePrecision }]);
    const textEncoderBytes = breakdown(w)
      .filter((c) => c.phase === 'text-encoding')
      .reduce((sum, c) => sum + c.weightBytes, 0);
    return {
      model: w.model.id,
      width: w.width,
      height: w.height,
      batch: w.batch,
      steps: spec.steps ?? 4,
      attention,
      textEncoderBytes,
      denoiser: denoiser!,
      vae: vae!,
    };
  });
}

/** One component the check mode binds and runs: IO named as the ONNX graph's. */
export interface TorchCheckComponent {
  /** Prefix of its tensors in the inputs and outputs files (`unet.sample`, `text.last_hidden_state`). */
  key: string;
  role: 'denoiser' | 'vae' | 'text-encoder';
  arch: UNetArch | MMDiTArch | CrossDiTArch | AutoencoderArch | ClipTextArch;
  inputs: string[];
  outputs: string[];
  /** [graph weight name, checkpoint tensor name, layout kind, rows of a fused tensor, halves swapped]. */
  entries: [string, string, TensorKind, [number, number] | null, boolean][];
}

const CHECK_ROLES: Record<TorchCheckComponent['arch']['kind'], TorchCheckComponent['role']> = {
  unet: 'denoiser',
  mmdit: 'denoiser',
  'cross-dit': 'denoiser',
  'autoencoder-kl': 'vae',
  'clip-text': 'text-encoder',
};

/**
 * A component for the check mode from a name map in one naming, the checkpoint's names under
 * `prefix` (`model.diffusion_model.`, `first_stage_model.`, `cond_stage_model.transformer.`).
 */
export function torchCheckComponent(
  key: string,
  arch: GraphArch,
  map: readonly NameEntry[],
  naming: Naming,
  prefix = '',
): TorchCheckComponent {
  if (arch.kind === 'flux')
    throw new BenchError(
      'unsupported-model',
      'the PyTorch check mode runs UNets, SD3 MMDiTs, PixArt DiTs, VAE decoders and CLIP text encoders, not flux models',
    );
  const g = buildGraph(arch, 'float32');
  return {
    key,
    role: CHECK_ROLES[arch.kind],
    arch,
    inputs: g.inputs.map((i) => i.name),
    outputs: g.outputs.map((o) => o.name),
    entries: map.map((e) => {
      const own = e[naming];
      if (own === null)
        throw new BenchError('unsupported-model', `${naming} names split ${e.graph}; the check mode cannot bind it`);
      return [e.graph, prefix + own, e.kind[naming], e.rows?.[naming] ?? null, e.swapHalves?.[naming] ?? false];
    }),
  };
}

export function renderTorchScript(
  cases: readonly TorchCase[],
  opts: {
    warmup?: number;
    iterations?: number;
    seed?: number;
    pipelines?: readonly TorchPipelineCase[];
    check?: readonly TorchCheckComponent[];
  } = {},
): string {
  const { warmup = ITERATIONS.full.warmup + 2, iterations = 10 } = opts;
  if (!Number.isInteger(warmup) || warmup < 0)
    throw new BenchError('bad-iterations', `--warmup must be a whole number ≥ 0, got ${warmup}`);
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new BenchError('bad-iterations', `--iterations must be a whole number ≥ 1, got ${iterations}`);
  const fill: Record<string, string> = {
    __CASES__: JSON.stringify(cases, null, 1),
    __PIPELINES__: JSON.stringify(opts.pipelines ?? [], null, 1),
    __CHECK__: JSON.stringify(opts.check ?? []),
    __WARMUP__: String(warmup),
    __ITERATIONS__: String(iterations),
    __SEED__: String(opts.seed ?? DEFAULT_SEED),
    __GENREADY_VERSION__: GENREADY_VERSION,
  };
  return readFileSync(TEMPLATE, 'utf8').replace(
    /__(CASES|PIPELINES|CHECK|WARMUP|ITERATIONS|SEED|GENREADY_VERSION)__/g,
    (k) => fill[k]!,
  );
}

/** Write the script; returns how many cases it measures and for which models. */
export function emitTorchScript(
  path: string,
  opts: { models?: string[]; sizes?: [number, number][]; batch?: number } = {},
  render: { warmup?: number; iterations?: number } = {},
): { cases: number; models: string[] } {
  const cases = torchCases(opts);
  writeFileAtomic(path, renderTorchScript(cases, render));
  return { cases: cases.length, models: [...new Set(cases.map((c) => c.model))] };
}
