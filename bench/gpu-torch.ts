/**
 * The GPU sweep: genready's PyTorch script over the catalog's real architectures (random weights,
 * eager PyTorch, as diffusers runs them) at several sizes, batches, precisions and both attention
 * kernels, on one GPU. Writing the script and reading its results are the two halves:
 *
 *   npx tsx bench/gpu-torch.ts --emit sweep.py [--sweep components|pipelines|holdout]   # here; then on the GPU machine:
 *   python3 sweep.py > results.json
 *   npx tsx bench/gpu-torch.ts results.json              # here: predicted / measured per case
 *
 * The comparison prints, per case, the step or decode time and three memory figures against the
 * cost model's: activations (peak allocated − the weights the script measured), the allocator's
 * reservation, and what the device held. A run kept in the repo (data/eval/own-gpu/) is what
 * `genready validate` reports as genready's own GPU measurements.
 */
import { readFileSync } from 'node:fs';
import { parseTorchResults } from '../src/bench/import.ts';
import {
  renderTorchScript,
  type TorchCaseSpec,
  type TorchPipelineSpec,
  torchCasesFor,
  torchPipelinesFor,
} from '../src/bench/torch.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { compareOwnRun } from '../src/validate/own-gpu.ts';

/**
 * What one short lease of a datacenter GPU should answer: time and activation memory against batch
 * (SD 1.5, SDXL), the attention kernel's memory (math vs fused), SDXL's VAE in fp32 (as its
 * pipelines run it) vs fp16, and the transformer denoisers (SD3.5, FLUX, PixArt) at 512² and 1024².
 */
const COMPONENTS: TorchCaseSpec[] = [
  ...[1, 4, 8, 16].map((batch) => ({
    model: 'sd15',
    size: [512, 512] as [number, number],
    batch,
    phases: ['denoising' as const],
  })),
  ...[8, 16].map((batch) => ({
    model: 'sd15',
    size: [512, 512] as [number, number],
    batch,
    phases: ['denoising' as const],
    attention: 'math' as const,
  })),
  { model: 'sd15', size: [768, 768], phases: ['denoising'] },
  { model: 'sd21', size: [768, 768], phases: ['denoising'] },
  ...[1, 4].map((batch) => ({
    model: 'sd15',
    size: [512, 512] as [number, number],
    batch,
    phases: ['vae-decode' as const],
  })),
  { model: 'sd15', size: [1024, 1024], phases: ['vae-decode'] },
  ...[1, 4, 8].map((batch) => ({
    model: 'sdxl',
    size: [1024, 1024] as [number, number],
    batch,
    phases: ['denoising' as const],
  })),
  { model: 'sdxl', size: [1024, 1024], batch: 4, phases: ['denoising'], attention: 'math' },
  { model: 'sdxl', size: [768, 768], phases: ['denoising'] },
  { model: 'sdxl', size: [1024, 1024], phases: ['vae-decode'], precision: 'fp32' },
  { model: 'sdxl', size: [1024, 1024], batch: 4, phases: ['vae-decode'], precision: 'fp32' },
  { model: 'sdxl', size: [1024, 1024], phases: ['vae-decode'] },
  { model: 'sd35-medium', size: [1024, 1024] },
  { model: 'sd35-large', size: [1024, 1024], phases: ['denoising'] },
  { model: 'flux1-dev', size: [512, 512], phases: ['denoising'] },
  { model: 'flux1-dev', size: [1024, 1024] },
  { model: 'flux1-dev', size: [1024, 1024], batch: 4, phases: ['denoising'] },
  { model: 'pixart-sigma', size: [1024, 1024], phases: ['denoising'] },
];

type Size = [number, number];
const sd15 = (batch: number, extra: Partial<TorchPipelineSpec> = {}): TorchPipelineSpec => ({
  model: 'sd15',
  size: [512, 512],
  batch,
  ...extra,
});

/**
 * Whole pipelines as the published memory rows ran them (every component on the device, the batch
 * decoded at once), the naive attention of diffusers' classic processor, launch-bound small sizes,
 * fp32 denoising (TF32 off for matmuls, PyTorch's default) and the VAE's reservation at batch 16.
 */
const PIPELINES: TorchPipelineSpec[] = [
  ...[1, 4, 8, 16].map((b) => sd15(b)),
  sd15(1, { attention: 'naive' }),
  sd15(8, { attention: 'naive' }),
  ...[1, 4].map((batch) => ({ model: 'sdxl', size: [1024, 1024] as Size, batch })),
  { model: 'sdxl', size: [1024, 1024], batch: 4, vaePrecision: 'fp16' },
  { model: 'sd35-large', size: [1024, 1024] },
  { model: 'flux1-dev', size: [1024, 1024] },
  { model: 'flux1-dev', size: [1024, 1024], batch: 4 },
];
const PIPELINE_CASES: TorchCaseSpec[] = [
  ...[8, 16].map((batch) => ({
    model: 'sd15',
    size: [512, 512] as Size,
    batch,
    phases: ['denoising' as const],
    attention: 'naive' as const,
  })),
  { model: 'sdxl', size: [1024, 1024], batch: 4, phases: ['denoising'], attention: 'naive' },
  { model: 'sd15', size: [256, 256], phases: ['denoising'] },
  { model: 'sdxl', size: [512, 512], phases: ['denoising'] },
  { model: 'sd15', size: [512, 512], phases: ['denoising'], precision: 'fp32' },
  { model: 'sd15', size: [512, 512], phases: ['vae-decode'], precision: 'fp32' },
  { model: 'sd15', size: [512, 512], batch: 16, phases: ['vae-decode'] },
];

/**
 * Configurations neither sweep above has (other sizes, batches, models, a non-square image), run on
 * another GPU after the model was set from those two: an out-of-sample check.
 */
const HOLDOUT_PIPELINES: TorchPipelineSpec[] = [
  { model: 'sd15', size: [768, 768], batch: 4 },
  { model: 'sd21', size: [768, 768], batch: 4 },
  { model: 'sd15', size: [512, 512], batch: 32 },
  { model: 'sdxl', size: [1024, 1024], batch: 8 },
  { model: 'sdxl', size: [832, 1216], batch: 2 },
  { model: 'sdxl', size: [1024, 1024], batch: 2, attention: 'naive' },
  { model: 'sd35-medium', size: [1024, 1024], batch: 4 },
  { model: 'pixart-sigma', size: [1024, 1024], batch: 4 },
  { model: 'flux1-schnell', size: [1024, 1024], batch: 2 },
];
const HOLDOUT_CASES: TorchCaseSpec[] = [
  { model: 'sdxl', size: [1024, 1024], batch: 16, phases: ['denoising'] },
  { model: 'sd35-large', size: [1024, 1024], batch: 4, phases: ['denoising'] },
  { model: 'flux1-dev', size: [1536, 1536], phases: ['denoising'] },
  { model: 'sd15', size: [2048, 2048], phases: ['vae-decode'] },
  { model: 'sd15', size: [512, 512], batch: 4, phases: ['denoising'] },
  { model: 'sdxl', size: [1024, 1024], phases: ['denoising', 'vae-decode'] },
];

export const SWEEPS = {
  components: { cases: COMPONENTS, pipelines: [] as TorchPipelineSpec[] },
  pipelines: { cases: PIPELINE_CASES, pipelines: PIPELINES },
  holdout: { cases: HOLDOUT_CASES, pipelines: HOLDOUT_PIPELINES },
};

const args = process.argv.slice(2);
if (args[0] === '--emit' && args[1]) {
  const name = args[2] === '--sweep' ? args[3] : 'components';
  const sweep = SWEEPS[name as keyof typeof SWEEPS];
  if (!sweep) throw new Error(`no sweep ${name}: ${Object.keys(SWEEPS).join(', ')}`);
  const cases = torchCasesFor(sweep.cases);
  const pipelines = torchPipelinesFor(sweep.pipelines);
  writeFileAtomic(args[1], renderTorchScript(cases, { warmup: 2, iterations: 6, pipelines }));
  console.log(`wrote ${args[1]}: ${cases.length} cases, ${pipelines.length} pipelines`);
} else if (args[0] && !args[0].startsWith('-')) {
  const run = parseTorchResults(readFileSync(args[0], 'utf8'), args[0]);
  console.log(compareOwnRun(run, args[0]).text);
} else {
  console.error(
    'usage: npx tsx bench/gpu-torch.ts --emit FILE.py [--sweep components|pipelines|holdout] | RESULTS.json',
  );
  process.exit(2);
}
