/**
 * "Which model is this file?": a .safetensors file or a diffusers folder in, a plain value out
 * (kind, catalog model, family, parameters per component, dtypes, bytes, EMA, VAE, prediction type,
 * what is missing or unexpected, the nearest layout for what is unknown). Headers only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FAMILIES, type LayoutArch } from '../../data/checkpoint/layouts.ts';
import { CheckpointError } from './errors.ts';
import {
  type DTypeCount,
  type FoundComponent,
  type Identification,
  identify,
  type LoraInfo,
  modelOfComponent,
  type Nearest,
} from './identify.ts';
import { readSafetensorsHeader, refusePickle } from './safetensors.ts';
import { type CheckpointKind, type DType, FLOAT_DTYPES, type SafetensorsHeader, type TensorInfo } from './types.ts';

/** A component as inspect reports it, with where its tensors are (for loading). */
export interface InspectedComponent extends FoundComponent {
  model: string | null;
  /** The weight files holding it. */
  files: string[];
  /** Prefix of its tensor names inside those files (`prefix` is the display form: folder/ for diffusers). */
  tensorPrefix: string;
}

export interface Inspection {
  path: string;
  format: 'safetensors' | 'diffusers-folder';
  files: { path: string; bytes: number; tensors: number }[];
  /** null: the layout is not one genready knows (see `nearest`). */
  kind: CheckpointKind | null;
  /** Catalog id of the family; null where the layout cannot tell (a VAE that SD 1.x and SDXL share). */
  model: string | null;
  family: string | null;
  /** Other catalog models with exactly this layout. */
  alsoMatches: string[];
  /** Floating-point parameters in the file(s). */
  parameters: number;
  /** Bytes on disk (headers included). */
  bytes: number;
  dtypes: Partial<Record<DType, DTypeCount>>;
  components: InspectedComponent[];
  ema: { tensors: number; parameters: number } | null;
  /** For a checkpoint: whether a VAE is in the file. */
  vae: 'included' | 'absent' | null;
  prediction: { type: 'v' | 'epsilon' | 'flow' | null; source: string } | null;
  lora: LoraInfo | null;
  /** Components the family's pipeline has and the file does not, and numbered blocks missing. */
  missing: string[];
  /** Tensors no layout claims (first 20) and their count. */
  unexpected: { count: number; examples: string[] };
  nearest: Nearest[];
  metadata: Record<string, string>;
  notes: string[];
}

/** Metadata keys worth showing (modelspec, kohya training tags); the rest is counted. */
const SHOWN_METADATA =
  /^(modelspec\.(architecture|title|prediction_type|implementation|resolution)|ss_base_model_version|ss_v2|ss_network_module|ss_network_dim|ss_network_alpha|format)$/;

export function inspectCheckpoint(path: string): Inspection {
  refusePickle(path);
  if (!existsSync(path)) throw new CheckpointError('not-found', `${path}: no such file or folder`);
  if (statSync(path).isDirectory()) return inspectFolder(path);
  if (!/\.safetensors$/i.test(path))
    throw new CheckpointError(
      'not-safetensors',
      `${path}: not a .safetensors file or a diffusers folder (genready inspects those; ONNX folders are checked by \`genready run\`)`,
    );
  const h = readSafetensorsHeader(path);
  return fromIdentification(path, 'safetensors', [h], identify(h.tensors, h.metadata), h.metadata, null);
}

function fromIdentification(
  path: string,
  format: Inspection['format'],
  headers: SafetensorsHeader[],
  id: Identification,
  metadata: Record<string, string>,
  schedulerPrediction: string | null,
  extraComponents: InspectedComponent[] = [],
): Inspection {
  const all = headers.flatMap((h) => h.tensors);
  const dtypes = sumDtypes(all);
  const components: InspectedComponent[] = [
    ...id.components.map((c) => ({
      ...c,
      model: modelOfComponent(c.arch),
      files: headers.map((h) => h.file),
      tensorPrefix: c.prefix,
    })),
    ...extraComponents,
  ];
  const roles = new Set(components.map((c) => c.role));
  const lead = components.find((c) => c.role === 'denoiser') ?? components.find((c) => c.role === 'controlnet');
  const familyArch: LayoutArch | null = lead?.arch ?? id.familyArch;
  const family = familyArch ? (FAMILIES[familyArch] ?? null) : null;
  let kind: CheckpointKind | null = null;
  if (id.lora) kind = 'lora';
  else if (roles.has('controlnet')) kind = 'controlnet';
  else if (roles.has('denoiser')) kind = roles.size > 1 ? 'checkpoint' : 'denoiser';
  else if (roles.has('vae') && roles.size === 1) kind = 'vae';
  else if (roles.has('text-encoder') && roles.size === 1) kind = 'text-encoder';
  else if (roles.size > 1) kind = 'checkpoint';
  // A lone VAE or text encoder names a model only when exactly one catalog pipeline holds it.
  const model = family?.model ?? (components.length === 1 && !id.lora ? modelOfComponent(components[0]!.arch) : null);
  const missing: string[] = [];
  const notes: string[] = [];
  if (kind === 'checkpoint' && family?.pipeline) {
    const have = new Set(components.map((c) => c.arch));
    for (const a of family.pipeline['text-encoder'])
      if (!have.has(a)) missing.push(`text encoder ${a} (the ${family.name} pipeline has one)`);
    if (!have.has(family.pipeline.vae)) missing.push(`VAE ${family.pipeline.vae}`);
  }
  for (const c of components) {
    for (const b of c.missingBlocks) missing.push(`${c.prefix}${b}`);
    if (c.extraBlocks.length) notes.push(`${c.name}: blocks beyond the layout: ${c.extraBlocks.join(', ')}`);
  }
  if (id.lora && !id.lora.familyName) notes.push('LoRA of an unknown family: no tensor or metadata names it');
  const shown = Object.fromEntries(Object.entries(metadata).filter(([k]) => SHOWN_METADATA.test(k)));
  return {
    path,
    format,
    files: headers.map((h) => ({
      path: relative(path, h.file) || h.file,
      bytes: h.fileBytes,
      tensors: h.tensors.length,
    })),
    kind,
    model: id.lora ? (family?.model ?? null) : model,
    family: family?.name ?? id.lora?.familyName ?? null,
    alsoMatches: [...(family?.alsoMatches ?? [])],
    parameters: all.filter((t) => FLOAT_DTYPES.has(t.dtype)).reduce((s, t) => s + t.elements, 0),
    bytes: headers.reduce((s, h) => s + h.fileBytes, 0),
    dtypes,
    components,
    ema: id.ema,
    vae: kind === 'checkpoint' ? (roles.has('vae') ? 'included' : 'absent') : null,
    prediction: kind === 'lora' ? null : prediction(metadata, schedulerPrediction, familyArch),
    lora: id.lora,
    missing,
    unexpected: { count: id.unexpected.length, examples: id.unexpected.slice(0, 20) },
    nearest: id.nearest,
    metadata: shown,
    notes,
  };
}

function sumDtypes(ts: readonly TensorInfo[]): Partial<Record<DType, DTypeCount>> {
  const out: Partial<Record<DType, DTypeCount>> = {};
  for (const t of ts) {
    const d = (out[t.dtype] ??= { tensors: 0, elements: 0, bytes: 0 });
    d.tensors++;
    d.elements += t.elements;
    d.bytes += t.end - t.begin;
  }
  return out;
}

/**
 * The prediction type, only where the file or folder says so: modelspec.prediction_type, kohya's
 * ss_v_parameterization, a `v_pred` marker tensor, or the diffusers scheduler config. The
 * transformer families are trained for flow matching by construction (their papers), so that is
 * said from the layout.
 */
function prediction(
  metadata: Record<string, string>,
  scheduler: string | null,
  arch: LayoutArch | null,
): Inspection['prediction'] {
  const spec = metadata['modelspec.prediction_type'];
  if (spec)
    return {
      type: /^v/.test(spec) ? 'v' : /eps/.test(spec) ? 'epsilon' : null,
      source: `metadata modelspec.prediction_type = ${spec}`,
    };
  if (metadata.ss_v_parameterization === 'True' || metadata.ss_v_parameterization === 'true')
    return { type: 'v', source: 'metadata ss_v_parameterization' };
  if (scheduler)
    return {
      type: scheduler === 'v_prediction' ? 'v' : scheduler === 'epsilon' ? 'epsilon' : null,
      source: `scheduler/scheduler_config.json prediction_type = ${scheduler}`,
    };
  if (arch && /mmdit|flux/.test(arch)) return { type: 'flow', source: 'rectified-flow family (by construction)' };
  if (!arch) return null;
  return { type: null, source: FAMILIES[arch]?.predictionNote ?? 'not stated in the file' };
}

/** Weight files of one diffusers component folder: shards from the index, else the single file. */
function weightFiles(dir: string): string[] {
  const names = readdirSync(dir);
  const index =
    names.find((n) => /\.safetensors\.index\.json$/.test(n) && !/\.fp16\./.test(n)) ??
    names.find((n) => /\.safetensors\.index(\.fp16)?\.json$/.test(n));
  if (index) {
    let map: unknown;
    try {
      map = JSON.parse(readFileSync(join(dir, index), 'utf8')).weight_map;
    } catch (err) {
      throw new CheckpointError('bad-index', `${join(dir, index)}: not JSON (${(err as Error).message})`, {
        cause: err,
      });
    }
    if (!map || typeof map !== 'object') throw new CheckpointError('bad-index', `${join(dir, index)}: no weight_map`);
    const shards = [...new Set(Object.values(map as Record<string, unknown>).map(String))];
    for (const s of shards)
      if (s.includes('/') || s.includes('\\') || s.startsWith('.'))
        throw new CheckpointError('bad-index', `${join(dir, index)}: shard "${s}" is outside the folder`);
    return shards.map((s) => join(dir, s));
  }
  const st = names.filter((n) => n.endsWith('.safetensors'));
  const plain = st.find((n) => n === 'diffusion_pytorch_model.safetensors' || n === 'model.safetensors');
  if (plain) return [join(dir, plain)];
  // Only variants (model.fp16.safetensors): take one, preferring fp16 as diffusers' variant="fp16".
  const variant = st.find((n) => /\.fp16\.safetensors$/.test(n)) ?? st[0];
  if (variant) return [join(dir, variant)];
  const pickle = names.find((n) => /\.(bin|ckpt|pt|pth)$/.test(n));
  if (pickle) refusePickle(join(dir, pickle));
  return [];
}

const COMPONENT_DIRS = /^(unet|transformer|vae|text_encoder(_\d)?|controlnet|prior|decoder)$/;

function inspectFolder(path: string): Inspection {
  const sets: { dir: string; files: string[] }[] = [];
  const own = weightFiles(path);
  if (own.length) sets.push({ dir: path, files: own });
  for (const n of readdirSync(path).sort()) {
    const d = join(path, n);
    if (!COMPONENT_DIRS.test(n) || !statSync(d).isDirectory()) continue;
    const files = weightFiles(d);
    if (files.length) sets.push({ dir: d, files });
  }
  if (sets.length === 0)
    throw new CheckpointError(
      'empty-folder',
      `${path}: no .safetensors weights here or in unet/, transformer/, vae/, text_encoder*/ (a diffusers folder has them there)`,
    );
  const headers: SafetensorsHeader[] = [];
  const components: InspectedComponent[] = [];
  const unexpected: string[] = [];
  const nearest: Nearest[] = [];
  let lora: LoraInfo | null = null;
  let familyArch: LayoutArch | null = null;
  let metadata: Record<string, string> = {};
  for (const s of sets) {
    const hs = s.files.map((f) => readSafetensorsHeader(f));
    headers.push(...hs);
    const id = identify(
      hs.flatMap((h) => h.tensors),
      Object.assign({}, ...hs.map((h) => h.metadata)),
    );
    const rel = relative(path, s.dir);
    const tag = (x: string) => (rel ? `${rel}/${x}` : x);
    components.push(
      ...id.components.map((c) => ({
        ...c,
        prefix: tag(c.prefix),
        model: modelOfComponent(c.arch),
        files: hs.map((h) => h.file),
        tensorPrefix: c.prefix,
      })),
    );
    unexpected.push(...id.unexpected.map(tag));
    nearest.push(...id.nearest.map((x) => ({ ...x, prefix: tag(x.prefix) })));
    lora ??= id.lora;
    familyArch ??= id.familyArch;
    metadata = { ...metadata, ...Object.assign({}, ...hs.map((h) => h.metadata)) };
  }
  const merged: Identification = {
    components: [],
    family: familyArch ? (FAMILIES[familyArch] ?? null) : null,
    familyArch,
    lora,
    ema: null,
    extras: 0,
    unexpected,
    nearest,
  };
  return fromIdentification(path, 'diffusers-folder', headers, merged, metadata, schedulerPrediction(path), components);
}

function schedulerPrediction(path: string): string | null {
  const p = join(path, 'scheduler', 'scheduler_config.json');
  if (!existsSync(p)) return null;
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')).prediction_type;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}
