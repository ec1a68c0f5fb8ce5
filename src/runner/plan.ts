/**
 * How to run a recipe on this machine: execution provider and batch size. The onnxruntime-node
 * package ships the CPU provider; a user with the CUDA build asks for it (`--provider cuda`).
 *
 * Batch "auto": when the model folder's UNet matches a catalog model structurally (channels per
 * level, cross-attention width, no SDXL conditioning), the planner's throughput search
 * (src/planner/throughput.ts) picks the batch with the most images per hour that fits this CPU;
 * otherwise 1. An explicit number in the recipe or `--batch` always wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { cpuDevice } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import { listModels } from '../catalog/models.ts';
import type { ModelEntry } from '../catalog/models.types.ts';
import { inspectCheckpoint } from '../checkpoint/inspect.ts';
import { bestThroughput } from '../planner/throughput.ts';
import { thisCoreClock } from '../probe/clock.ts';
import { parseCpuFlags } from '../probe/system.ts';
import { RunnerError } from './errors.ts';
import type { Recipe } from './recipe.ts';

export const PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface ExecutionPlan {
  providers: string[];
  batch: number;
  /** One line: where the batch came from. */
  reason: string;
  catalogModel: string | null;
}

/** The catalog model whose UNet has this folder's structure, if any. */
export function matchCatalogModel(modelDir: string): ModelEntry | null {
  // A single-file checkpoint names its family through its tensors (header only).
  if (/\.safetensors$/i.test(modelDir)) {
    try {
      const id = inspectCheckpoint(modelDir).model;
      return listModels().find((m) => m.id === id) ?? null;
    } catch {
      // A file that cannot be inspected is refused by the backend, naming the problem.
      return null;
    }
  }
  const p = join(modelDir, 'unet', 'config.json');
  if (!existsSync(p)) return null;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const blocks = cfg.block_out_channels;
  if (!Array.isArray(blocks)) return null;
  const cross = cfg.cross_attention_dim;
  const sdxl = cfg.addition_embed_type === 'text_time';
  return (
    listModels().find((m) => {
      const a = m.denoiser.arch;
      return (
        a.kind === 'unet' &&
        a.blockOut.join(',') === blocks.join(',') &&
        a.crossAttentionDim === cross &&
        (a.additionEmbedInput !== null) === sdxl
      );
    }) ?? null
  );
}

function thisCpu() {
  const list = cpus();
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const clockGHz = thisCoreClock()?.value ?? null;
  return cpuDevice({
    model: list[0]?.model.trim() || 'unknown CPU',
    cores: Math.max(1, list.length),
    ...(clockGHz !== null ? { clockGHz } : {}),
    simd: parseCpuFlags(flags, process.arch),
    ramGiB: Math.max(1, Math.round(totalmem() / 2 ** 30)),
  });
}

/** The plan for a recipe as `run` (and `run --plan`) makes it: its model, size, steps and guidance, with the run's overrides. */
export function planRecipe(
  recipe: Pick<Recipe, 'modelDir' | 'batch' | 'width' | 'height' | 'steps' | 'guidance'>,
  o: { batch?: number | undefined; provider?: string | undefined } = {},
): ExecutionPlan {
  return planExecution({
    modelDir: recipe.modelDir,
    recipeBatch: recipe.batch,
    width: recipe.width,
    height: recipe.height,
    steps: recipe.steps,
    guidance: recipe.guidance,
    ...(o.batch !== undefined ? { batchOverride: o.batch } : {}),
    ...(o.provider ? { provider: o.provider } : {}),
  });
}

export function planExecution(input: {
  modelDir: string;
  recipeBatch: number | 'auto';
  width: number;
  height: number;
  steps: number;
  guidance: number;
  batchOverride?: number;
  provider?: string;
  /**
   * The device "auto" plans for: a queue worker's probed GPU (src/queue/machine.ts). Default: this
   * CPU for the cpu provider; another provider without a device gets batch 1.
   */
  device?: Device;
}): ExecutionPlan {
  const provider = input.provider ?? 'cpu';
  if (!(PROVIDERS as readonly string[]).includes(provider))
    throw new RunnerError('bad-provider', `--provider must be one of ${PROVIDERS.join(', ')}, got "${provider}"`);
  // The CPU provider is always listed last as the fallback for ops another provider lacks.
  const providers = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
  const catalog = matchCatalogModel(input.modelDir);
  const name = catalog ? catalog.id : null;
  if (input.batchOverride !== undefined)
    return {
      providers,
      batch: input.batchOverride,
      reason: `batch ${input.batchOverride} from --batch`,
      catalogModel: name,
    };
  if (input.recipeBatch !== 'auto')
    return {
      providers,
      batch: input.recipeBatch,
      reason: `batch ${input.recipeBatch} from the recipe`,
      catalogModel: name,
    };
  if (!catalog)
    return {
      providers,
      batch: 1,
      reason: 'batch 1: "auto" needs a model the catalog knows (unet/config.json matched no catalog UNet)',
      catalogModel: null,
    };
  if (provider !== 'cpu' && !input.device)
    return {
      providers,
      batch: 1,
      reason: `batch 1: "auto" plans for the CPU provider only (no device model for ${provider} here)`,
      catalogModel: name,
    };
  const device = input.device ?? thisCpu();
  const t = bestThroughput(device, {
    model: catalog,
    width: input.width,
    height: input.height,
    steps: input.steps,
    precision: 'fp32',
    componentPrecision: { 'text-encoder': 'fp32', vae: 'fp32' },
    cfg: input.guidance > 1,
  });
  return {
    providers,
    batch: t.batch,
    reason: `batch ${t.batch}: planner's best for ${catalog.id} on ${device.name} (≈${Math.round(t.imagesPerHour)} images/hour estimated)`,
    catalogModel: name,
  };
}
