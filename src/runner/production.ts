/**
 * A production run: the recipe's images, in index order, in batches, each stored atomically and
 * recorded; whatever the run already holds is skipped. Started again after a kill at any moment, it
 * makes exactly the images that are missing.
 *
 * The loop talks only to the two ports (src/runner/ports.ts): a Backend runs the model (default:
 * onnxruntime on the recipe's model folder), a RunStore keeps the images and records (default: the
 * recipe's output folder, src/runner/stores/fs.ts: PNGs, `manifest.jsonl`, `run.json`, and while a
 * run is active `.genready.lock`).
 */
import { cpus, totalmem } from 'node:os';
import { backendFor } from './backends/index.ts';
import { fileHashes } from './checkpoint-cache.ts';
import { RunnerError } from './errors.ts';
import { MANIFEST, type ManifestEntry } from './manifest.ts';
import { formatParameters, type LoraRecord } from './parameters.ts';
import { checkMemory, checkSize, generateBatch, TextEncoderCache } from './pipeline.ts';
import { type ExecutionPlan, planRecipe } from './plan.ts';
import { encodePng } from './png.ts';
import type { Backend, LoadedModel, RunInfo, RunSession, RunStore, WorkItem } from './ports.ts';
import { expandImages, type ImageSpec, type Recipe, recipeFingerprint } from './recipe.ts';
import { redoPlan } from './review.ts';
import { FsRunStore, RUN_FILE } from './stores/fs.ts';

export const VERSION = 'genready 0.1.0';
export { RUN_FILE };
/** The run folder's identity file (kept under its old name for the readers of run.json). */
export type RunFile = RunInfo;

export interface RunEvents {
  /** A line while the model loads (a checkpoint's one-time conversion). */
  onNote?(line: string): void;
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
  /** How the model runs (default: backendFor(the recipe's model): onnxruntime on an export folder). */
  backend?: Backend;
  /** Where the run is kept (default: the recipe's output folder). */
  store?: RunStore;
  /** This machine's RAM in bytes (default: os.totalmem()); a size that cannot fit is refused. */
  ramBytes?: number;
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
  model: ModelRef;
}

/** The model as an image's records name it: display name, content hash, and the LoRAs merged into it. */
export interface ModelRef {
  name: string;
  hash: string;
  loras?: LoraRecord[];
}

/** The recipe's LoRAs as the records show them (kohya's addnet hash, first 12 digits, as A1111's "Lora hashes"). */
export function loraRecords(loras: Recipe['loras'] = []): LoraRecord[] {
  return loras.map((l) => {
    const h = fileHashes(l.file);
    return { name: l.name, weight: l.weight, hash: (h.addnetHash ?? h.sha256).slice(0, 12) };
  });
}

export function deviceInfo(): ManifestEntry['device'] {
  const c = cpus();
  return { cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length, arch: process.arch, platform: process.platform };
}

/** PNG bytes for a generated image: pixels + "parameters" (A1111) + "genready" (JSON ImageRecord). */
export function pngFor(spec: ImageSpec & { redoOf?: number }, rgb: Uint8Array, model: ModelRef): Buffer {
  const loras = model.loras?.length ? model.loras : undefined;
  const parameters = formatParameters({
    ...spec,
    modelHash: model.hash,
    modelName: model.name,
    version: VERSION,
    ...(loras ? { loras } : {}),
  });
  const record: ImageRecord = {
    v: 1,
    spec,
    model: { name: model.name, hash: model.hash, ...(loras ? { loras } : {}) },
  };
  return encodePng(rgb, spec.width, spec.height, { parameters, genready: JSON.stringify(record) });
}

export async function runProduction(recipe: Recipe, opts: RunOptions = {}): Promise<RunSummary> {
  const now = opts.now ?? (() => new Date());
  // File names are checked (distinct, plain) before anything is loaded or written.
  const images = expandImages(recipe);
  const plan = planRecipe(recipe, { batch: opts.batch, provider: opts.provider });
  const backend =
    opts.backend ??
    backendFor(recipe.modelDir, {
      ...(recipe.loras ? { loras: recipe.loras } : {}),
      ...(recipe.tokenizer !== undefined ? { tokenizer: recipe.tokenizer } : {}),
    });
  const store = opts.store ?? new FsRunStore(recipe.outputDir);

  // Everything that can be wrong with the model is found before the run is touched.
  const model = await backend.load(recipe.modelDir, {
    providers: plan.providers,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.events?.onNote ? { onNote: (line: string) => opts.events?.onNote?.(line) } : {}),
  });
  try {
    checkSize(model.geometry, recipe.width, recipe.height);
    checkMemory(model, recipe.width, recipe.height, opts.ramBytes ?? totalmem());
    const session = await store.open();
    try {
      return await runOpen(recipe, images, model, session, plan, opts, now);
    } finally {
      await session.close();
    }
  } finally {
    await model.close();
  }
}

/** Check the run's identity against the recipe and the model, and record it (or refuse to mix two productions). */
async function checkRun(
  recipe: Recipe,
  model: LoadedModel,
  session: RunSession,
  now: () => Date,
): Promise<RunInfo['model']> {
  const where = store(recipe);
  const fingerprint = recipeFingerprint(recipe);
  const previous = await session.readRun();
  if (previous && previous.fingerprint !== fingerprint) {
    throw new RunnerError(
      'recipe-changed',
      `${where} holds a run of a different recipe (started from ${previous.recipe}); the images would not belong together: use a new output folder`,
    );
  }
  const id = await model.identify(previous?.model.files ?? []);
  if (previous && previous.model.hash !== id.hash) {
    const changed = id.files
      .filter((f) => previous.model.files.find((o) => o.path === f.path)?.sha256 !== f.sha256)
      .map((f) => f.path);
    throw new RunnerError(
      'model-changed',
      `the model files changed since this run started (${changed.join(', ') || 'files added or removed'}); new images would not match the old: use a new output folder`,
    );
  }
  const ref = { dir: recipe.modelDir, name: model.name, hash: id.hash, files: id.files };
  // Rewritten when the model moved (verify looks for it there) or a file's time changed (hash cache).
  if (
    !previous ||
    previous.model.dir !== ref.dir ||
    JSON.stringify(previous.model.files) !== JSON.stringify(id.files)
  ) {
    await session.writeRun({
      v: 1,
      fingerprint,
      recipe: recipe.source,
      model: ref,
      createdAt: previous?.createdAt ?? now().toISOString(),
    });
  }
  return ref;
}

const store = (recipe: Recipe) => recipe.outputDir;

async function runOpen(
  recipe: Recipe,
  images: ImageSpec[],
  model: LoadedModel,
  session: RunSession,
  plan: ExecutionPlan,
  opts: RunOptions,
  now: () => Date,
): Promise<RunSummary> {
  const ref = await checkRun(recipe, model, session, now);
  const loras = loraRecords(recipe.loras);
  const modelRef = { dir: ref.dir, name: ref.name, hash: ref.hash, ...(loras.length ? { loras } : {}) };

  let todo: WorkItem[];
  let total: number;
  if (opts.redoRejected) {
    todo = redoPlan(await session.readManifest(), await session.readReview(), images.length, recipe.filename);
    total = todo.length;
  } else {
    const done = await session.done();
    todo = images.filter((im) => !done.has(im.index));
    total = images.length;
  }
  const already = total - todo.length;
  opts.events?.onPlan?.({ total, done: already, todo: todo.length, plan, model: `${model.name} (${ref.hash})` });

  const files = Object.fromEntries(ref.files.map((f) => [f.path, f.sha256]));
  const device = deviceInfo();
  const text = new TextEncoderCache(model);
  const t0 = performance.now();
  let made = 0;
  for (;;) {
    const batch = await session.claim(todo, plan.batch);
    if (batch.length === 0) break;
    const b0 = performance.now();
    const out = await generateBatch(model, batch, text, { onStep: (s, n) => opts.events?.onStep?.(s, n) });
    const seconds = (performance.now() - b0) / 1000 / batch.length;
    for (const g of out) {
      const spec = g.spec as WorkItem;
      const png = pngFor(spec, g.rgb, modelRef);
      const entry = await session.commit(spec, png, {
        v: 1,
        index: spec.index,
        file: spec.file,
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
        runtime: model.runtime,
        device,
        batch: plan.batch,
        seconds: Math.round(seconds * 1000) / 1000,
        ...(g.truncatedTokens.prompt || g.truncatedTokens.negative ? { truncatedTokens: g.truncatedTokens } : {}),
        createdAt: now().toISOString(),
      });
      made++;
      opts.events?.onImage?.(entry, { done: already + made, total });
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    outputDir: recipe.outputDir,
    total,
    made,
    skipped: already,
    seconds,
    imagesPerHour: made > 0 && seconds > 0 ? (made / seconds) * 3600 : 0,
    plan,
  };
}

export { MANIFEST };
