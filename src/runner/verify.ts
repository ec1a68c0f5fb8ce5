/**
 * `genready verify IMAGE`: make one image again from the record in its own PNG (the "genready"
 * text chunk: every pixel-deciding parameter and the model folder's hash) and compare. Images do
 * not depend on their batch company (see pipeline.ts), so the image is remade alone.
 *
 * Two questions, kept apart in the answer:
 * - Is this the file the run made? When the image sits in its run folder, its bytes are checked
 *   against the manifest's sha256 for its index (and the manifest must list this file under that
 *   index: an image copied over another one does not pass). A mismatch is tampering, whatever the
 *   pixels say.
 * - Does the model still make it? Remade pixels equal: a match. Small differences (a few 1/255
 *   steps) are what another backend, provider or onnxruntime version gives; larger ones are not
 *   rounding.
 *
 * The record is checked (sizes, steps, sampler) and the memory the size needs is checked against
 * this machine's RAM before anything is generated: a crafted record cannot make verify allocate.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { withFileErrors } from './_files.ts';
import { backendFor } from './backends/index.ts';
import { RunnerError } from './errors.ts';
import { type ManifestEntry, readManifest } from './manifest.ts';
import { checkMemory, checkSize, generateBatch, TextEncoderCache } from './pipeline.ts';
import { decodePng, readPngText } from './png.ts';
import { type ImageRecord, pngFor, RUN_FILE, type RunFile } from './production.ts';
import { SEED_MAX } from './recipe.ts';
import { SAMPLER_IDS } from './schedulers/index.ts';

/**
 * The largest per-value difference that backend rounding explains. Two onnxruntime versions or
 * providers on the same float32 model differ by float rounding in the last bits, which a 0–255
 * quantisation turns into at most a step or two; 8 leaves room for fp16 providers.
 */
export const ROUNDING_MAX = 8;

/** A PNG larger than the largest image a recipe allows (8192² RGB, incompressible) is not ours. */
const MAX_PNG_BYTES = 8192 * 8192 * 3 + 2 ** 20;

export interface VerifyResult {
  image: string;
  match: boolean;
  bytesEqual: boolean;
  pixelsEqual: boolean;
  /** RGB values that differ, of width × height × 3 (−1: not compared). */
  differingValues: number;
  maxDifference: number;
  modelHash: { recorded: string; now: string };
  /**
   * The run's manifest on this file: `match` (sha256 as recorded), `changed` (bytes differ from the
   * record: tampered), `other-file` (the manifest lists another file for this index: a copy),
   * `none` (no manifest, or no record of this index).
   */
  manifest: 'match' | 'changed' | 'other-file' | 'none';
  /** The file is not what the run made (manifest mismatch), or its pixels differ by more than rounding. */
  tampered: boolean;
  seconds: number;
  message: string;
}

const dim = z
  .number()
  .int()
  .min(8)
  .max(8192)
  .refine((v) => v % 8 === 0, 'a multiple of 8');
const recordSchema = z.object({
  v: z.literal(1),
  spec: z.object({
    index: z.number().int().min(0),
    file: z.string(),
    prompt: z.string(),
    negativePrompt: z.string(),
    seed: z.number().int().min(0).max(SEED_MAX),
    steps: z.number().int().min(1).max(1000),
    guidance: z.number().min(0).max(100),
    sampler: z.enum(SAMPLER_IDS as unknown as [string, ...string[]]),
    width: dim,
    height: dim,
    redoOf: z.number().int().min(0).optional(),
  }),
  model: z.object({ name: z.string(), hash: z.string() }),
});

function readRecord(path: string, bytes: Buffer): ImageRecord {
  let texts: Record<string, string>;
  try {
    texts = readPngText(bytes);
  } catch {
    throw new RunnerError('bad-image', `${path} is not a PNG file`);
  }
  const raw = texts.genready;
  if (!raw)
    throw new RunnerError(
      'bad-image',
      `${path} carries no genready record (was it made by genready run, or re-saved by another program?)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new RunnerError('bad-image', `${path}: the genready record is damaged (${(err as Error).message})`);
  }
  const r = recordSchema.safeParse(parsed);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new RunnerError(
      'bad-image',
      `${path}: the genready record is damaged or not ours (${i.path.join('.') || 'record'}: ${i.message.slice(0, 200)})`,
    );
  }
  // The record as written (not zod's copy: key order decides the remade PNG's bytes).
  return parsed as ImageRecord;
}

function decodeWhole(path: string, bytes: Buffer) {
  try {
    return decodePng(bytes);
  } catch (err) {
    throw new RunnerError(
      'bad-image',
      `${path} is damaged: its pixels cannot be decoded (${(err as Error).message.split('\n')[0]!.slice(0, 120)}); truncated or edited?`,
    );
  }
}

/** The run's manifest verdict on this file (the run folder is the image's folder). */
function manifestVerdict(
  path: string,
  bytes: Buffer,
  index: number,
): { verdict: VerifyResult['manifest']; entry?: ManifestEntry } {
  const dir = dirname(path);
  let entries: Map<number, ManifestEntry>;
  try {
    entries = readManifest(dir);
  } catch {
    return { verdict: 'none' };
  }
  const entry = entries.get(index);
  if (!entry) return { verdict: 'none' };
  if (entry.file !== basename(path)) return { verdict: 'other-file', entry };
  const sha = createHash('sha256').update(bytes).digest('hex');
  return { verdict: sha === entry.sha256 && bytes.length === entry.bytes ? 'match' : 'changed', entry };
}

export async function verifyImage(
  imagePath: string,
  opts: { modelDir?: string; provider?: string; ramBytes?: number } = {},
): Promise<VerifyResult> {
  const path = resolve(imagePath);
  if (!existsSync(path)) throw new RunnerError('no-image', `${imagePath} does not exist`);
  const size = withFileErrors('read', imagePath, () => statSync(path));
  if (size.isDirectory()) throw new RunnerError('no-image', `${imagePath} is a folder; give a PNG file`);
  if (size.size > MAX_PNG_BYTES)
    throw new RunnerError(
      'bad-image',
      `${imagePath} is ${size.size.toLocaleString('en-US')} bytes: larger than any image genready makes`,
    );
  const bytes = withFileErrors('read', imagePath, () => readFileSync(path));
  const record = readRecord(imagePath, bytes);
  // Decoded before any model work: a damaged file is reported at once.
  const old = decodeWhole(imagePath, bytes);
  const { verdict, entry } = manifestVerdict(path, bytes, record.spec.index);
  if (verdict === 'other-file') {
    return {
      image: imagePath,
      match: false,
      bytesEqual: false,
      pixelsEqual: false,
      differingValues: -1,
      maxDifference: -1,
      modelHash: { recorded: record.model.hash, now: record.model.hash },
      manifest: verdict,
      tampered: true,
      seconds: 0,
      message: `${imagePath}: not this run's image — its record is image ${record.spec.index}, which the run's manifest lists as ${entry!.file} (a copy of another image?)`,
    };
  }
  // The PNG names the model by content (hash), not by path; the run folder remembers where it was.
  const runFile = join(dirname(path), RUN_FILE);
  let run: RunFile | null = null;
  try {
    run = existsSync(runFile) ? (JSON.parse(readFileSync(runFile, 'utf8')) as RunFile) : null;
  } catch {
    run = null;
  }
  const modelDir = opts.modelDir ? resolve(opts.modelDir) : run?.model?.dir;
  if (!modelDir)
    throw new RunnerError(
      'no-model',
      `${imagePath}: its run folder has no ${RUN_FILE} saying where the model is; pass --model DIR`,
    );
  if (!opts.modelDir && !existsSync(modelDir))
    throw new RunnerError(
      'no-model',
      `${imagePath}: the model folder of its run, ${modelDir}, is gone; pass --model DIR`,
    );
  // The run folder's file hashes spare re-hashing gigabytes when nothing changed.
  const cache = run && run.model.dir === modelDir ? run.model.files : [];
  const providers = !opts.provider || opts.provider === 'cpu' ? ['cpu'] : [opts.provider, 'cpu'];
  // LoRAs: the record names them (name, weight); the run folder's file list has where they are.
  const loras = (record.model.loras ?? []).map((l) => {
    const f = run?.model.files.find(
      (x) => isAbsolute(x.path) && basename(x.path).replace(/\.safetensors$/i, '') === l.name,
    );
    if (!f)
      throw new RunnerError(
        'no-model',
        `${imagePath}: made with the LoRA ${l.name}, which its run folder's ${RUN_FILE} does not locate`,
      );
    return { file: f.path, weight: l.weight, name: l.name };
  });
  const model = await backendFor(modelDir, { loras }).load(modelDir, { providers });
  try {
    const hash = (await model.identify(cache)).hash;
    const base = {
      image: imagePath,
      modelHash: { recorded: record.model.hash, now: hash },
      manifest: verdict,
    };
    if (hash !== record.model.hash) {
      return {
        ...base,
        match: false,
        bytesEqual: false,
        pixelsEqual: false,
        differingValues: -1,
        maxDifference: -1,
        tampered: verdict === 'changed',
        seconds: 0,
        message: `${imagePath}: not verified: the model folder ${modelDir} is not the one the image was made with (hash ${hash}, recorded ${record.model.hash})`,
      };
    }
    const { width, height } = record.spec;
    checkSize(model.geometry, width, height);
    checkMemory(model, width, height, opts.ramBytes ?? totalmem());
    const t0 = performance.now();
    const [g] = await generateBatch(model, [record.spec], new TextEncoderCache(model));
    const seconds = (performance.now() - t0) / 1000;
    // Same record → same text chunks → comparable bytes.
    const again = pngFor(record.spec, g!.rgb, record.model);
    const bytesEqual = again.equals(bytes);
    let differing = 0;
    let maxDiff = 0;
    if (old.width !== width || old.height !== height) differing = -1;
    else {
      for (let p = 0; p < old.width * old.height; p++) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(old.data[p * 4 + c]! - g!.rgb[p * 3 + c]!);
          if (d) differing++;
          if (d > maxDiff) maxDiff = d;
        }
      }
    }
    const pixelsEqual = differing === 0;
    const changed = verdict === 'changed';
    const tampered = changed || differing < 0 || maxDiff > ROUNDING_MAX;
    const manifestNote = changed
      ? `; the file's sha256 differs from the run's manifest record (${entry!.sha256.slice(0, 12)}…): changed after it was made`
      : '';
    const message = bytesEqual
      ? changed
        ? `${imagePath}: remade identical to this file, but the run's manifest recorded other bytes (${entry!.sha256.slice(0, 12)}…): the file was replaced`
        : `${imagePath}: match — made again in ${seconds.toFixed(2)} s, identical bytes (seed ${record.spec.seed}, model ${hash})`
      : pixelsEqual
        ? `${imagePath}: pixels match but the file differs (metadata changed after generation?)${manifestNote}`
        : differing < 0
          ? `${imagePath}: differs — the file is ${old.width}×${old.height}, the record says ${width}×${height}${manifestNote}`
          : `${imagePath}: differs — ${differing} of ${old.width * old.height * 3} RGB values, by up to ${maxDiff}/255 ${
              maxDiff > ROUNDING_MAX
                ? `(more than the ≤ ${ROUNDING_MAX}/255 rounding another backend gives: edited after generation?)`
                : '(another backend, provider or onnxruntime version gives other rounding)'
            }${manifestNote}`;
    return {
      ...base,
      match: (bytesEqual || pixelsEqual) && !changed,
      bytesEqual,
      pixelsEqual,
      differingValues: differing,
      maxDifference: maxDiff,
      tampered,
      seconds,
      message,
    };
  } finally {
    await model.close();
  }
}
