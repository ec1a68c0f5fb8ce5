/**
 * A production run: the recipe's images, in index order, in batches, each written atomically and
 * recorded in the manifest; whatever the run folder already holds is skipped. Started again after
 * a kill at any moment, it makes exactly the images that are missing.
 *
 * The run folder (the recipe's output) holds the PNGs, `manifest.jsonl`, `run.json` (what the run
 * was started with: recipe fingerprint, model hash and file hashes) and, while a run is active,
 * `.genready.lock` with its process id.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeFileAtomic } from '../io/atomic.ts';
import { RunnerError } from './errors.ts';
import { MANIFEST, type ManifestEntry, ManifestWriter, readManifest } from './manifest.ts';
import { type HashCacheEntry, hashModelFolder, type OpenModel, openModelFolder } from './model-folder.ts';
import { formatParameters } from './parameters.ts';
import { checkSize, generateBatch, TextEncoderCache } from './pipeline.ts';
import { type ExecutionPlan, planExecution } from './plan.ts';
import { encodePng } from './png.ts';
import { expandImages, type ImageSpec, type Recipe, recipeFingerprint } from './recipe.ts';
import { type RedoSpec, readReview, redoPlan } from './review.ts';

export const VERSION = 'genready 0.1.0';
export const RUN_FILE = 'run.json';
const LOCK = '.genready.lock';

export interface RunFile {
  v: 1;
  fingerprint: string;
  recipe: string;
  model: { dir: string; name: string; hash: string; files: HashCacheEntry[] };
  createdAt: string;
}

export interface RunEvents {
  onPlan?(p: { total: number; done: number; todo: number; plan: ExecutionPlan; model: string }): void;
  onStep?(step: number, steps: number): void;
  onImage?(e: ManifestEntry, progress: { done: number; total: number }): void;
}

export interface RunOptions {
  batch?: number;
  provider?: string;
  /** onnxruntime intra-op threads (default one per core); does not change the pixels. */
  threads?: number;
  redoRejected?: boolean;
  events?: RunEvents;
  now?: () => Date;
}

export interface RunSummary {
  outputDir: string;
  total: number;
  made: number;
  skipped: number;
  seconds: number;
  imagesPerHour: number;
  plan: ExecutionPlan;
}

/**
 * The text chunk that makes a PNG self-describing for `genready verify`. No times, no device, no
 * paths: the bytes stay a function of the recipe and the model's content (and its folder name,
 * which A1111's "Model:" shows).
 */
export interface ImageRecord {
  v: 1;
  spec: ImageSpec & { redoOf?: number };
  model: { name: string; hash: string };
}

export function deviceInfo(): ManifestEntry['device'] {
  const c = cpus();
  return { cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, arch: process.arch, platform: process.platform };
}

export function runtimeInfo(providers: string[], threads?: number): ManifestEntry['runtime'] {
  return {
    engine: 'onnxruntime-node',
    version: ort.env.versions.node ?? ort.env.versions.common,
    providers,
    threads: threads ?? cpus().length,
    node: process.version,
  };
}

/** PNG bytes for a generated image: pixels + "parameters" (A1111) + "genready" (JSON ImageRecord). */
export function pngFor(
  spec: ImageSpec & { redoOf?: number },
  rgb: Uint8Array,
  model: { name: string; hash: string },
): Buffer {
  const parameters = formatParameters({ ...spec, modelHash: model.hash, modelName: model.name, version: VERSION });
  const record: ImageRecord = { v: 1, spec, model: { name: model.name, hash: model.hash } };
  return encodePng(rgb, spec.width, spec.height, { parameters, genready: JSON.stringify(record) });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One writer per run folder; a lock left by a killed run is taken over. */
function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
        throw new RunnerError(
          'run-locked',
          `another genready run (pid ${pid}) is writing to ${dir}; wait for it or stop it`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new RunnerError('run-locked', `cannot lock ${dir}`);
}

function readRunFile(dir: string): RunFile | null {
  const p = join(dir, RUN_FILE);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunFile;
  } catch {
    throw new RunnerError(
      'bad-run',
      `${p} is damaged; move the folder aside or delete ${RUN_FILE} to start the run anew`,
    );
  }
}

/** Entries whose PNG is on disk with the recorded size: the images that are done. */
function doneEntries(dir: string): Map<number, ManifestEntry> {
  const all = readManifest(dir);
  for (const [i, e] of all) {
    const p = join(dir, e.file);
    if (!existsSync(p) || statSync(p).size !== e.bytes) all.delete(i);
  }
  return all;
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Batches share steps, sampler, guidance and size; a recipe's images always do, so only order matters. */
function batchesOf(specs: readonly (ImageSpec & { redoOf?: number })[], size: number) {
  return chunks(specs, size);
}

export async function runProduction(recipe: Recipe, opts: RunOptions = {}): Promise<RunSummary> {
  const now = opts.now ?? (() => new Date());
  const dir = recipe.outputDir;
  // File names are checked (distinct, plain) before anything is loaded or written.
  const images = expandImages(recipe);
  const plan = planExecution({
    modelDir: recipe.modelDir,
    recipeBatch: recipe.batch,
    width: recipe.width,
    height: recipe.height,
    steps: recipe.steps,
    guidance: recipe.guidance,
    ...(opts.batch !== undefined ? { batchOverride: opts.batch } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
  });

  // Everything that can be wrong with the model is found before the folder is touched.
  const model: OpenModel = await openModelFolder(recipe.modelDir, plan.providers, opts.threads);
  try {
    checkSize(model, recipe.width, recipe.height);
    mkdirSync(dir, { recursive: true });
    const unlock = acquireLock(dir);
    try {
      return await runLocked(recipe, images, model, plan, opts, now);
    } finally {
      unlock();
    }
  } finally {
    await model.close();
  }
}

/** Temp files of atomic writes (src/io/atomic.ts names them `.NAME.PID.TIME.tmp`) that a killed run left behind. */
function removeStaleTemps(dir: string): void {
  for (const f of readdirSync(dir)) if (/^\..+\.\d+\.\d+\.tmp$/.test(f)) rmSync(join(dir, f), { force: true });
}

async function runLocked(
  recipe: Recipe,
  images: ImageSpec[],
  model: OpenModel,
  plan: ExecutionPlan,
  opts: RunOptions,
  now: () => Date,
): Promise<RunSummary> {
  const dir = recipe.outputDir;
  // We hold the folder's lock, so no other writer owns a temp file here.
  removeStaleTemps(dir);
  const fingerprint = recipeFingerprint(recipe);
  const previous = readRunFile(dir);
  if (previous && previous.fingerprint !== fingerprint) {
    throw new RunnerError(
      'recipe-changed',
      `${dir} holds a run of a different recipe (started from ${previous.recipe}); the images would not belong together: use a new output folder`,
    );
  }
  const hashed = await hashModelFolder(recipe.modelDir, previous?.model.files ?? []);
  if (previous && previous.model.hash !== hashed.hash) {
    const changed = hashed.files
      .filter((f) => previous.model.files.find((o) => o.path === f.path)?.sha256 !== f.sha256)
      .map((f) => f.path);
    throw new RunnerError(
      'model-changed',
      `the model files changed since this run started (${changed.join(', ') || 'files added or removed'}); new images would not match the old: use a new output folder`,
    );
  }
  const modelRef = { dir: recipe.modelDir, name: model.name, hash: hashed.hash };
  // Rewritten when the model moved (verify looks for it there) or a file's time changed (hash cache).
  if (
    !previous ||
    previous.model.dir !== modelRef.dir ||
    JSON.stringify(previous.model.files) !== JSON.stringify(hashed.files)
  ) {
    const run: RunFile = {
      v: 1,
      fingerprint,
      recipe: recipe.source,
      model: { ...modelRef, files: hashed.files },
      createdAt: previous?.createdAt ?? now().toISOString(),
    };
    writeFileAtomic(join(dir, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
  }

  const done = doneEntries(dir);
  let todo: (ImageSpec & { redoOf?: number })[];
  let total: number;
  if (opts.redoRejected) {
    const redo: RedoSpec[] = redoPlan(readManifest(dir), readReview(dir), images.length, recipe.filename);
    todo = redo;
    total = redo.length;
  } else {
    todo = images.filter((im) => !done.has(im.index));
    total = images.length;
  }
  const already = total - todo.length;
  opts.events?.onPlan?.({ total, done: already, todo: todo.length, plan, model: `${model.name} (${hashed.hash})` });

  const files = Object.fromEntries(hashed.files.map((f) => [f.path, f.sha256]));
  const device = deviceInfo();
  const runtime = runtimeInfo(plan.providers, opts.threads);
  const text = new TextEncoderCache(model);
  const writer = new ManifestWriter(dir);
  const t0 = performance.now();
  let made = 0;
  try {
    for (const batch of batchesOf(todo, plan.batch)) {
      const b0 = performance.now();
      const out = await generateBatch(model, batch, text, { onStep: (s, n) => opts.events?.onStep?.(s, n) });
      const seconds = (performance.now() - b0) / 1000 / batch.length;
      for (const g of out) {
        const spec = g.spec as ImageSpec & { redoOf?: number };
        const png = pngFor(spec, g.rgb, modelRef);
        writeFileAtomic(join(dir, spec.file), png);
        const entry: ManifestEntry = {
          v: 1,
          index: spec.index,
          file: spec.file,
          sha256: createHash('sha256').update(png).digest('hex'),
          bytes: png.length,
          prompt: spec.prompt,
          negativePrompt: spec.negativePrompt,
          seed: spec.seed,
          steps: spec.steps,
          guidance: spec.guidance,
          sampler: spec.sampler,
          width: spec.width,
          height: spec.height,
          ...(spec.redoOf !== undefined ? { redoOf: spec.redoOf } : {}),
          model: { ...modelRef, files },
          runtime,
          device,
          batch: plan.batch,
          seconds: Math.round(seconds * 1000) / 1000,
          ...(g.truncatedTokens.prompt || g.truncatedTokens.negative ? { truncatedTokens: g.truncatedTokens } : {}),
          createdAt: now().toISOString(),
        };
        writer.append(entry);
        made++;
        opts.events?.onImage?.(entry, { done: already + made, total });
      }
    }
  } finally {
    writer.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    outputDir: dir,
    total,
    made,
    skipped: already,
    seconds,
    imagesPerHour: made > 0 && seconds > 0 ? (made / seconds) * 3600 : 0,
    plan,
  };
}

export { MANIFEST };
