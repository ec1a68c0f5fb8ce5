/**
 * The checkpoint Backend: a `.safetensors` single file (as AUTOMATIC1111, Forge and ComfyUI load
 * them) or a diffusers folder, run on the project's own graphs. The file is inspected (header only),
 * its family's pipeline taken from src/runner/checkpoint-pipelines.ts, and the text encoder(s),
 * UNet and VAE decoder written as ONNX graphs with the checkpoint's weights (and the recipe's LoRAs
 * merged in) into an ONNX export folder in the cache (src/runner/checkpoint-cache.ts), once: float32
 * for the CPU provider, float16 for a GPU provider. The run itself is the onnxruntime backend's, on
 * that folder. The model's hash is A1111's "Model hash" of the file (sha256, first 10 digits).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Component } from '../../catalog/models.types.ts';
import { CheckpointError } from '../../checkpoint/errors.ts';
import { type Inspection, inspectCheckpoint } from '../../checkpoint/inspect.ts';
import { nameMapFor } from '../../checkpoint/load.ts';
import { type LoraTarget, mergeLora } from '../../checkpoint/lora.ts';
import type { NameEntry } from '../../checkpoint/names.ts';
import { readSafetensorsHeader } from '../../checkpoint/safetensors.ts';
import { type GraphWeight, loadGraphWeights } from '../../checkpoint/tensors.ts';
import type { SafetensorsHeader } from '../../checkpoint/types.ts';
import { buildGraph, type GraphArch, writeBuiltGraph } from '../../graph/index.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { defaultThreads } from '../../ort/session.ts';
import { cacheKeyOf, checkpointCacheRoot, ensureEntry, fileHashes, folderHashes } from '../checkpoint-cache.ts';
import { type CheckpointPipeline, checkpointPipelines, SUPPORTED_FAMILIES } from '../checkpoint-pipelines.ts';
import { RunnerError } from '../errors.ts';
import { openModelFolder } from '../model-folder.ts';
import type { Backend, LoadOptions, ModelFileHash, ModelIdentity } from '../ports.ts';
import { hasTokenizerFiles, writeClipTokenizer } from '../tokenizer.ts';
import { OrtModel } from './ort.ts';

/** One LoRA of a recipe: its file, its strength, and the name A1111 shows (the file's name without extension). */
export interface LoraSpec {
  file: string;
  weight: number;
  name: string;
}

export interface CheckpointOptions {
  loras?: readonly LoraSpec[];
  /** A tokenizer folder (vocab.json + merges.txt) for the first text encoder, instead of the model's own or CLIP's shipped one. */
  tokenizer?: string;
  /** The pipeline to build instead of the identified family's (tests build tiny architectures). */
  pipeline?: CheckpointPipeline;
  /** Cache folder (default: checkpointCacheRoot()). */
  cacheRoot?: string;
  /** Called once a model is ready: whether it was converted now or taken from the cache. */
  onReady?(info: { dir: string; built: boolean; seconds: number }): void;
}

const PICKLE = /\.(ckpt|pt|pth|bin)$/i;

/** A weights file, or a diffusers folder (unet/ with .safetensors weights and no ONNX export). */
export function isCheckpointSource(source: string): boolean {
  if (/\.safetensors$/i.test(source) || PICKLE.test(source)) return true;
  try {
    if (!statSync(source).isDirectory()) return false;
    const unet = join(source, 'unet');
    return (
      existsSync(unet) &&
      !existsSync(join(unet, 'model.onnx')) &&
      readdirSync(unet).some((f) => f.endsWith('.safetensors'))
    );
  } catch {
    return false;
  }
}

/** Where a part's tensors are: the files, the prefix inside them, and their naming. */
interface PartSource {
  headers: SafetensorsHeader[];
  prefix: string;
  naming: 'ldm' | 'diffusers' | 'hf' | 'openclip';
  where: string;
}

/** The .safetensors weights of a diffusers sub-folder: full precision preferred over a `.fp16.` variant. */
function folderWeights(dir: string, sub: string): SafetensorsHeader[] {
  const d = join(dir, sub);
  const files = existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.safetensors')) : [];
  const plain = files.filter((f) => !/\.(fp16|bf16)\.safetensors$/.test(f));
  const use = (plain.length ? plain : files).sort();
  if (use.length === 0)
    throw new RunnerError('bad-model', `diffusers folder ${dir}: ${sub}/ holds no .safetensors weights`);
  return use.map((f) => readSafetensorsHeader(join(d, f)));
}

interface Sources {
  unet: PartSource;
  vae: PartSource;
  text: PartSource[];
}

function singleFileSources(file: string, header: SafetensorsHeader, p: CheckpointPipeline): Sources {
  const has = (prefix: string) => header.tensors.some((t) => t.name.startsWith(prefix));
  const part = (prefix: string, naming: PartSource['naming'], what: string): PartSource => {
    if (!has(prefix))
      throw new RunnerError(
        'bad-model',
        `${file}: no ${what} in the file (no tensors under ${prefix}); genready runs checkpoints with their text encoders and VAE baked in`,
      );
    return { headers: [header], prefix, naming, where: `${file} (${prefix})` };
  };
  return {
    unet: part('model.diffusion_model.', 'ldm', 'UNet'),
    vae: part('first_stage_model.', 'ldm', 'VAE'),
    text: p.text.map((t, i) => part(t.ldm.prefix, t.ldm.naming, `text encoder ${i + 1}`)),
  };
}

function folderSources(dir: string, p: CheckpointPipeline): Sources {
  const part = (sub: string, naming: PartSource['naming']): PartSource => ({
    headers: folderWeights(dir, sub),
    prefix: '',
    naming,
    where: `${dir}/${sub}`,
  });
  return {
    unet: part('unet', 'diffusers'),
    vae: part('vae', 'diffusers'),
    text: p.text.map((t) => part(t.folder, 'hf')),
  };
}

/** The graph weights of one part (float32), through the name map of its architecture and naming. */
function partWeights(s: PartSource, arch: Component['arch']): { map: NameEntry[]; weights: GraphWeight[] } {
  const { map, naming } = nameMapFor({ naming: s.naming, tensorPrefix: s.prefix }, arch, s.headers);
  return { map, weights: loadGraphWeights(s.headers, s.prefix, map, naming) };
}

/** kohya's prefixes for each part: the UNet, then text encoder 1 (SD 1.x/2.x write `lora_te_`, SDXL `lora_te1_`), then 2. */
const LORA_PREFIXES = [['lora_unet_'], ['lora_te_', 'lora_te1_'], ['lora_te2_']] as const;

interface ResolvedLora extends LoraSpec {
  header: SafetensorsHeader;
  sha256: string;
  /** kohya's addnet hash (A1111's "Lora hashes" show its first 12 digits). */
  addnet: string;
  modules: number;
}

/**
 * Refuses, from the headers alone, a file that is not a LoRA or a LoRA trained for another family
 * than `model` (a catalog id): what a local run says when it loads, and what the queue's coordinator
 * says before it hands out a chunk.
 */
function checkLora(file: string, model: string): void {
  let ins: Inspection;
  try {
    ins = inspectCheckpoint(file);
  } catch (err) {
    if (err instanceof CheckpointError) throw new RunnerError('bad-lora', `LoRA ${err.message}`, { cause: err });
    throw err;
  }
  if (ins.kind !== 'lora')
    throw new RunnerError(
      'bad-lora',
      `${file}: not a LoRA (${ins.kind ?? 'unknown layout'}${ins.family ? `, ${ins.family}` : ''})`,
    );
  // The family the LoRA was trained for, where its tensors or metadata say it.
  const family = ins.model ?? (ins.lora?.familyName ? ins.lora.familyName : null);
  if (family !== null && ins.model !== model)
    throw new RunnerError(
      'bad-lora',
      `${file}: a LoRA for ${ins.lora?.familyName ?? ins.model}, the model is ${model}; it cannot be merged`,
    );
}

/** The recipe's tokenizer folder must hold a BPE vocabulary. */
function checkTokenizer(dir: string): void {
  if (!hasTokenizerFiles(dir))
    throw new RunnerError('bad-model', `tokenizer folder ${dir} has no vocab.json + merges.txt (or tokenizer.json)`);
}

function resolveLoras(loras: readonly LoraSpec[], p: CheckpointPipeline, cacheRoot: string): ResolvedLora[] {
  return loras.map((l) => {
    checkLora(l.file, p.model);
    const h = fileHashes(l.file, cacheRoot);
    const header = readSafetensorsHeader(l.file);
    return {
      ...l,
      header,
      sha256: h.sha256,
      addnet: h.addnetHash ?? h.sha256,
      modules: header.tensors.filter((t) => t.name.endsWith('.lora_down.weight')).length,
    };
  });
}

/** Merge every LoRA's modules for this part (kohya prefixes `prefixes`) into its weights; returns modules merged per LoRA. */
function mergePart(
  loras: readonly ResolvedLora[],
  prefixes: readonly string[],
  map: NameEntry[],
  weights: GraphWeight[],
): number[] {
  return loras.map((l) => {
    if (l.weight === 0) return 0;
    const targets: LoraTarget[] = prefixes.map((prefix) => ({ prefix, map, weights }));
    try {
      return mergeLora(l.header, targets, l.weight).modules;
    } catch (err) {
      if (err instanceof CheckpointError) throw new RunnerError('bad-lora', err.message, { cause: err });
      throw err;
    }
  });
}

/**
 * Per-layer outputs `hidden_states.N` (N layers done, before the final LayerNorm) for the last two
 * layers, as transformers' ONNX export names them: the ONNX pipeline feeds the second-to-last to
 * SDXL's UNet. A layer's output is the last value computed in its scope (`layer{i}.`).
 */
function addHiddenOutputs(g: ReturnType<typeof buildGraph>, layers: number, width: number, tokens: number): void {
  for (const done of [layers - 1, layers]) {
    const scope = `layer${done - 1}.`;
    const last = [...g.nodes].reverse().find((n) => n.output[0]?.startsWith(scope));
    if (!last) throw new Error(`text encoder graph: no node in ${scope}`);
    const name = `hidden_states.${done}`;
    g.op('Identity', [last.output[0]!], {}, name);
    g.output(name, g.dtype, ['batch', tokens, width]);
  }
}

async function writePart(
  arch: GraphArch,
  path: string,
  weights: GraphWeight[],
  dtype: 'float32' | 'float16',
  extend?: (g: ReturnType<typeof buildGraph>) => void,
): Promise<void> {
  const g = buildGraph(arch, dtype);
  extend?.(g);
  const bound = new Map(weights.map((w) => [w.name, { dims: w.dims, data: w.data }]));
  // The external-data file (weights over 2 GiB) is written before the model, into this folder.
  mkdirSync(dirname(path), { recursive: true });
  writeBuiltGraph(g, path, { bound });
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

function copyTokenizer(from: string, to: string): void {
  for (const f of ['vocab.json', 'merges.txt', 'tokenizer.json', 'special_tokens_map.json', 'tokenizer_config.json'])
    if (existsSync(join(from, f))) {
      mkdirSync(to, { recursive: true });
      copyFileSync(join(from, f), join(to, f));
    }
}

/** sha256 of a tokenizer folder's files (part of the cache key when one is used; workers check it). */
export function tokenizerHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['vocab.json', 'merges.txt', 'tokenizer.json', 'special_tokens_map.json', 'tokenizer_config.json'])
    if (existsSync(join(dir, f))) h.update(`${f}\n`).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** A model built from a checkpoint: the ONNX pipeline on the cached folder, named and hashed as the checkpoint. */
class CheckpointModel extends OrtModel {
  constructor(
    open: ConstructorParameters<typeof OrtModel>[0],
    threads: number,
    private readonly display: string,
    private readonly identity: ModelIdentity,
  ) {
    super(open, threads);
  }
  override get name() {
    return this.display;
  }
  override identify(): Promise<ModelIdentity> {
    return Promise.resolve(this.identity);
  }
}

/**
 * A checkpoint's identity by content, without building anything (what its loaded model's identify()
 * returns): A1111's hash of a single file, or every file of a diffusers folder; the LoRAs' files
 * follow (they do not change the hash, the records name them with their own hashes).
 */
export function checkpointIdentity(
  source: string,
  loras: readonly { file: string }[] = [],
  root: string = checkpointCacheRoot(),
): ModelIdentity {
  let identity: ModelIdentity;
  if (statSync(source).isDirectory()) identity = folderHashes(source, root);
  else {
    const h = fileHashes(source, root);
    const st = statSync(source);
    identity = {
      hash: h.modelHash,
      files: [{ path: basename(source), bytes: h.bytes, sha256: h.sha256, mtimeMs: st.mtimeMs }],
    };
  }
  for (const l of loras) {
    const st = statSync(l.file);
    const sha256 = fileHashes(l.file, root).sha256;
    identity.files.push({ path: l.file, bytes: st.size, sha256, mtimeMs: st.mtimeMs } as ModelFileHash);
  }
  return identity;
}

/** A1111's "Model:": a folder's name, a file's without its extension. */
export const checkpointName = (source: string) => basename(source).replace(/\.safetensors$/i, '');

/** Float32 on the CPU provider; float16 when the first provider is a GPU one. */
const dtypeFor = (providers: readonly string[]) => ((providers[0] ?? 'cpu') === 'cpu' ? 'float32' : 'float16');

/** The pipeline a checkpoint runs on, from its headers: its family's, or the one the options give; else one line why not. */
function pipelineOf(source: string, o: CheckpointOptions): { p: CheckpointPipeline; ins: Inspection } {
  let ins: Inspection;
  try {
    ins = inspectCheckpoint(source);
  } catch (err) {
    if (err instanceof CheckpointError) throw new RunnerError('bad-model', err.message, { cause: err });
    throw err;
  }
  const p = o.pipeline ?? (ins.model ? checkpointPipelines()[ins.model] : undefined);
  if (!p) {
    const what = ins.family ?? (ins.kind ? `a ${ins.kind} file` : 'a layout genready does not know');
    throw new RunnerError(
      'unsupported-model',
      `${source}: ${what}${ins.model ? ` (${ins.model})` : ''} cannot be run yet; genready runs ${SUPPORTED_FAMILIES} checkpoints`,
    );
  }
  if (!o.pipeline && ins.kind !== 'checkpoint')
    throw new RunnerError(
      'unsupported-model',
      `${source}: a ${ins.kind} file, not a whole pipeline; genready runs checkpoints with the UNet, text encoder(s) and VAE in one file or folder`,
    );
  return { p, ins };
}

export async function loadCheckpoint(source: string, opts: LoadOptions, o: CheckpointOptions = {}): Promise<OrtModel> {
  const t0 = performance.now();
  const root = o.cacheRoot ?? checkpointCacheRoot();
  let isFolder = false;
  try {
    isFolder = statSync(source).isDirectory();
  } catch {
    // inspectCheckpoint names a missing file.
  }
  const { p, ins } = pipelineOf(source, o);
  const sources = isFolder ? folderSources(source, p) : singleFileSources(source, readSafetensorsHeader(source), p);

  const loras = resolveLoras(o.loras ?? [], p, root);
  const identity = checkpointIdentity(source, loras, root);

  // Tokenizers: the recipe's folder, else the diffusers folder's own, else CLIP's shipped vocabulary.
  const tokenizerDirs = p.text.map((t, i) => {
    if (i === 0 && o.tokenizer) {
      checkTokenizer(o.tokenizer);
      return o.tokenizer;
    }
    const own = join(source, t.folder.replace('text_encoder', 'tokenizer'));
    return isFolder && hasTokenizerFiles(own) ? own : null;
  });

  const prediction =
    ins.prediction?.type === 'v' ? 'v_prediction' : ins.prediction?.type === 'epsilon' ? 'epsilon' : null;
  const ownScheduler = isFolder ? join(source, 'scheduler', 'scheduler_config.json') : null;
  const scheduler =
    ownScheduler && existsSync(ownScheduler)
      ? (JSON.parse(readFileSync(ownScheduler, 'utf8')) as Record<string, unknown>)
      : { ...p.scheduler, ...(prediction ? { prediction_type: prediction } : {}) };
  const vaeConfigPath = isFolder ? join(source, 'vae', 'config.json') : null;
  const vaeConfig =
    vaeConfigPath && existsSync(vaeConfigPath)
      ? (JSON.parse(readFileSync(vaeConfigPath, 'utf8')) as { scaling_factor?: unknown })
      : {};
  const scalingFactor = typeof vaeConfig.scaling_factor === 'number' ? vaeConfig.scaling_factor : p.scalingFactor;
  const dtype = dtypeFor(opts.providers);
  const keyParts = {
    model: identity.files.filter((f) => !loras.some((l) => l.file === f.path)).map((f) => [f.path, f.sha256]),
    loras: loras.map((l) => [l.sha256, l.weight]),
    tokenizers: tokenizerDirs.map((d) => (d ? tokenizerHash(d) : 'clip-shipped')),
    pipeline: { ...p, scheduler, scalingFactor },
    dtype,
  };
  const key = cacheKeyOf(keyParts);
  const sdxl = p.text.length > 1;

  const { dir, built } = await ensureEntry(
    root,
    key,
    { checkpoint: source, hash: identity.hash, loras: loras.map((l) => `${l.name}:${l.weight}`), dtype },
    async (out) => {
      opts.onNote?.(
        `converting ${basename(source)}${loras.length ? ` with ${loras.length} LoRA${loras.length > 1 ? 's' : ''}` : ''} to ${dtype} ONNX graphs, once (later runs start from the cache: ${root})`,
      );
      const merged = loras.map(() => 0);
      const addMerged = (n: number[]) => {
        for (const [i, k] of n.entries()) merged[i]! += k;
      };
      // One part at a time: only its float32 weights are held.
      for (const [i, t] of p.text.entries()) {
        const { map, weights } = partWeights(sources.text[i]!, t.arch);
        addMerged(mergePart(loras, LORA_PREFIXES[i + 1] ?? [], map, weights));
        await writePart(t.arch, join(out, t.folder, 'model.onnx'), weights, dtype, (g) => {
          if (t.hidden === 'penultimate') addHiddenOutputs(g, t.arch.layers, t.arch.width, t.arch.maxTokens);
        });
        const tokDir = join(out, t.folder.replace('text_encoder', 'tokenizer'));
        const from = tokenizerDirs[i];
        if (from) copyTokenizer(from, tokDir);
        else writeClipTokenizer(tokDir, t.pad, writeFileAtomic);
        writeFileAtomic(
          join(out, t.folder, 'config.json'),
          json({ hidden_size: t.arch.width, num_hidden_layers: t.arch.layers, vocab_size: t.arch.vocab }),
        );
      }
      {
        const { map, weights } = partWeights(sources.unet, p.unet);
        addMerged(mergePart(loras, LORA_PREFIXES[0], map, weights));
        await writePart(p.unet, join(out, 'unet', 'model.onnx'), weights, dtype);
      }
      loras.forEach((l, i) => {
        if (l.weight !== 0 && merged[i]! < l.modules)
          throw new RunnerError(
            'bad-lora',
            `${l.file}: ${l.modules - merged[i]!} of its ${l.modules} modules adapt no part of this ${p.model} model (a LoRA for another family?)`,
          );
      });
      {
        const { weights } = partWeights(sources.vae, p.vae);
        // Always float32: SD VAEs overflow float16 at their last up-blocks (diffusers upcasts them:
        // SDXL's vae/config.json force_upcast), and the decoder runs once per image.
        await writePart(p.vae, join(out, 'vae_decoder', 'model.onnx'), weights, 'float32');
      }
      writeFileAtomic(
        join(out, 'unet', 'config.json'),
        json({
          in_channels: p.unet.inChannels,
          out_channels: p.unet.outChannels,
          block_out_channels: p.unet.blockOut,
          cross_attention_dim: p.unet.crossAttentionDim,
          ...(sdxl ? { addition_embed_type: 'text_time' } : {}),
        }),
      );
      writeFileAtomic(
        join(out, 'vae_decoder', 'config.json'),
        json({
          block_out_channels: p.vae.blockOut,
          latent_channels: p.vae.latentChannels,
          scaling_factor: scalingFactor,
        }),
      );
      writeFileAtomic(join(out, 'scheduler', 'scheduler_config.json'), json(scheduler));
      writeFileAtomic(
        join(out, 'model_index.json'),
        json({
          _class_name: sdxl ? 'ORTStableDiffusionXLPipeline' : 'OnnxStableDiffusionPipeline',
          _genready: `built from ${basename(source)} (${identity.hash}) by genready run`,
          ...(sdxl ? { force_zeros_for_empty_prompt: true } : {}),
        }),
      );
    },
  );
  const open = await openModelFolder(dir, [...opts.providers], opts.threads);
  const name = checkpointName(source);
  o.onReady?.({ dir, built, seconds: (performance.now() - t0) / 1000 });
  return new CheckpointModel(open, opts.threads ?? defaultThreads(), name, identity);
}

export function checkpointBackend(o: CheckpointOptions = {}): Backend {
  return {
    name: 'checkpoint',
    load: (source, opts) => loadCheckpoint(source, opts, o),
    check: (source) => {
      const { p } = pipelineOf(source, o);
      for (const l of o.loras ?? []) checkLora(l.file, p.model);
      if (o.tokenizer !== undefined) checkTokenizer(o.tokenizer);
    },
  };
}
