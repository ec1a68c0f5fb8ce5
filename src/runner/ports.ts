/**
 * The production runner's two ports. The loop (production.ts, pipeline.ts) talks only to these:
 *
 *   Backend  — turns text and latents into predictions and pixels (onnxruntime on an export folder:
 *              backends/ort.ts; a .safetensors checkpoint or diffusers folder, converted once into
 *              the cache: backends/checkpoint.ts; a deterministic fake for tests: backends/fake.ts).
 *              It owns everything about the model's files, formats and runtime.
 *   RunStore — where a run's images and records live and who may write them (a folder: stores/fs.ts,
 *              which the queue's workers on other machines also write through `openShared`). It owns
 *              locking, atomic writes, the manifest and the run's identity file.
 *
 * What stays in the loop, and so is the same for every backend and store: the sampler maths, the
 * seeded noise (an image's pixels depend only on its spec and the model), classifier-free guidance,
 * float → 8-bit conversion, PNG encoding with its record, and the manifest entry's content.
 *
 * Contracts every implementation keeps (test/runner/store-conformance.ts checks the RunStore ones):
 * - Same inputs, same bytes: a backend is deterministic for a given model, provider and thread count.
 * - An image is "done" only when its bytes are in place AND a record holds their sha256 and the bytes
 *   hash to it; anything else (missing, truncated, bit-flipped) is made again.
 * - One record per index: making an image again never leaves two records for one index.
 * - One writer per run: a second `open` of the same run fails with RunnerError 'run-locked' while the
 *   first lives; a writer that died (kill -9, OOM) never blocks the next one.
 * - Crash safety: killed at any moment, the store holds only whole images and whole records, and a
 *   new session makes exactly what is missing, byte-identical to an uninterrupted run.
 * - Many makers, one recorder (stores that offer `openShared`, which the queue needs): any number of
 *   processes on any number of machines store images and their records without the run's lock;
 *   `putImage` never replaces bytes (same bytes: 'same'; other bytes: 'conflict', the first stay),
 *   one record per index is kept (the first), and the lock holder folds them into its manifest.
 */
import type { ManifestEntry } from './manifest.ts';
import type { ImageSpec } from './recipe.ts';
import type { ReviewFile } from './review.ts';
import type { SchedulerConfig } from './schedulers/types.ts';

// ───────────────────────────────────────── Backend ─────────────────────────────────────────

/** What made the images, as the manifest records it (`ManifestEntry.runtime`). */
export type RuntimeRecord = ManifestEntry['runtime'];

/** One file of a model and its content hash; the cache that spares re-hashing gigabytes on resume. */
export interface ModelFileHash {
  /** Path relative to the model source (a folder's file, or the checkpoint file's own name). */
  path: string;
  bytes: number;
  sha256: string;
  /** Modification time (ms) when hashed: an unchanged size + time reuses the hash. */
  mtimeMs: number;
}

/** The model's identity by content: same hash, same weights, same images. */
export interface ModelIdentity {
  /** Short content hash (what A1111's "Model hash:" and the PNG record show). */
  hash: string;
  files: ModelFileHash[];
}

/** Image geometry the loop needs to lay out latents and to refuse a size before any work. */
export interface LatentGeometry {
  /** Latent channels (4 for SD 1.x/2.x/XL). */
  channels: number;
  /** Image pixels per latent pixel (8 for every SD VAE). */
  vaeScale: number;
  /** The latent side must be a multiple of this (the denoiser's down-sampling), else 1. */
  latentMultiple: number;
  /** A model exported for one latent size only: [height, width]; null when any size works. */
  fixedLatent: [number, number] | null;
}

/**
 * A text's conditioning as the backend's denoiser wants it. Opaque to the loop except for the
 * truncation count (recorded in the manifest); the loop concatenates nothing itself, it hands the
 * embeddings of each row back to `denoise`.
 */
export interface TextEmbedding {
  /** Token embeddings, [tokens × width] row-major. */
  readonly tokens: Float32Array;
  /** A pooled projection when the model uses one (SDXL's text_embeds), else null. */
  readonly pooled: Float32Array | null;
  /** Prompt tokens cut to fit the encoder's context. */
  readonly truncated: number;
}

/** One denoiser call over `rows` latents (a batch, doubled for classifier-free guidance). */
export interface DenoiseCall {
  /** [rows, channels, h, w] row-major, already scaled by the sampler's `scaleModelInput`. */
  sample: Float32Array;
  rows: number;
  /** Images in the call: rows = images, or 2 × images when guiding (unconditional rows first). */
  images: number;
  /** Latent height and width. */
  h: number;
  w: number;
  /** The sampler's timestep value for this step (the same for every row). */
  timestep: number;
  /** One embedding per row, in row order (unconditional rows first when guiding). */
  text: readonly TextEmbedding[];
  /** Image size in pixels (micro-conditioning of SDXL-style models). */
  width: number;
  height: number;
}

/** A model loaded and ready: the four operations of text-to-image, plus what the records need. */
export interface LoadedModel {
  /** Display name (the folder's or checkpoint's name; A1111's "Model:"). */
  readonly name: string;
  /** Noise schedule for the samplers (diffusers' scheduler_config keys, parsed). */
  readonly scheduler: SchedulerConfig;
  readonly geometry: LatentGeometry;
  /** Execution providers actually in use, best first. */
  readonly providers: readonly string[];
  /** Engine, its version, providers, threads, Node version: the manifest's `runtime`. */
  readonly runtime: RuntimeRecord;
  /** Content hash of the model; `cache` holds the previous run's file hashes to skip unchanged files. */
  identify(cache?: readonly ModelFileHash[]): Promise<ModelIdentity>;
  /**
   * Encode one text, alone (batch 1), so an embedding never depends on which other prompts share a
   * batch. `negative`: the unconditional text (a backend may treat an empty one specially, as SDXL
   * zeroes it).
   */
  encodeText(text: string, negative: boolean): Promise<TextEmbedding>;
  /** One denoiser call: the model's prediction for each row, same layout as `call.sample`. */
  denoise(call: DenoiseCall): Promise<Float32Array>;
  /**
   * Decode one image's final latent ([channels, h, w], as the sampler left it: the backend applies
   * its own latent scaling) to [3, height, width] floats in [-1, 1] (the loop clamps and rounds).
   */
  decode(latent: Float32Array, h: number, w: number): Promise<Float32Array>;
  /**
   * Optional: a lower bound of the host memory (bytes) making one image of this size needs (weights
   * plus the largest tensor the model must hold at once). The loop refuses a size whose bound exceeds
   * this machine's RAM before allocating anything; a backend that cannot tell leaves it out.
   */
  minimumBytes?(width: number, height: number): number;
  /** Free sessions, memory, device buffers. Idempotent. */
  close(): Promise<void>;
}

export interface LoadOptions {
  /** Execution providers to try, best first ('cpu' is always a valid last one). */
  providers: readonly string[];
  /** Intra-op threads; must not change the pixels. */
  threads?: number;
  /** A line for the person waiting, when loading takes long (a checkpoint converted once into the cache). */
  onNote?(line: string): void;
}

/** A way to run models. Each implementation is one file naming itself. */
export interface Backend {
  /** 'onnxruntime', 'fake', 'checkpoint', …: shown in messages and the plan line. */
  readonly name: string;
  /**
   * Check the model source (a folder in the ONNX export layout, a checkpoint file, …) and load it.
   * Every problem is one RunnerError naming the file, found before any image is started.
   */
  load(source: string, opts: LoadOptions): Promise<LoadedModel>;
  /**
   * What `load` would refuse, found from headers alone without building anything (a checkpoint of
   * an unsupported family, a LoRA for another one): a queued run's coordinator asks before it
   * offers a chunk, so that every worker does not fail on it. A backend without it is checked at load.
   */
  check?(source: string): void;
}

// ───────────────────────────────────────── RunStore ─────────────────────────────────────────

/** The run's identity, written once when the run starts and checked on every resume. */
export interface RunInfo {
  v: 1;
  /** recipeFingerprint(recipe): the same recipe (pixel-deciding fields) resumes, another is refused. */
  fingerprint: string;
  /** The recipe file the run was started from (for messages). */
  recipe: string;
  /** Where the model is (verify looks for it there), its name, content hash and file hashes. */
  model: { dir: string; name: string; hash: string; files: ModelFileHash[] };
  createdAt: string;
}

/** A spec the loop makes: an index of the recipe, or a redo (new index) of a rejected one. */
export type WorkItem = ImageSpec & { redoOf?: number };

/**
 * An open, exclusively held run. Obtained from `RunStore.open`; everything written goes through it.
 * Methods are async so that a network-backed store fits without touching the loop.
 */
export interface RunSession {
  /** The run's identity file, or null for a new run. A damaged one is a RunnerError 'bad-run'. */
  readRun(): Promise<RunInfo | null>;
  /** Write (atomically replace) the run's identity. */
  writeRun(info: RunInfo): Promise<void>;
  /** Every record, by index (the last record of an index wins; a torn last record is ignored). */
  readManifest(): Promise<Map<number, ManifestEntry>>;
  /**
   * The records whose image is in place with exactly the recorded bytes (sha256 checked, not only
   * the size): the images that need no work.
   */
  done(check?: DoneCheck): Promise<Map<number, ManifestEntry>>;
  /**
   * Take up to `max` items of `candidates` (in order) to make now; an empty answer means nothing is
   * left for this worker. A local store hands them out in order; a shared store (a queue) hands out
   * only items no other worker holds and may return items in its own order. A claim lapses if its
   * worker dies; `commit` ends it.
   */
  claim(candidates: readonly WorkItem[], max: number): Promise<WorkItem[]>;
  /**
   * Store one finished image: bytes first (atomically: never a partial file under the final name),
   * then its record (`entry` completed with sha256 and bytes). One record per index: if a record of
   * this index exists already (the image was deleted or damaged and made again), it is replaced, not
   * duplicated (the same bytes made again keep the first record). Returns the entry as recorded.
   */
  commit(item: WorkItem, png: Uint8Array, entry: Omit<ManifestEntry, 'sha256' | 'bytes'>): Promise<ManifestEntry>;
  /**
   * Record an image that is already in place, stored by a shared maker (`SharedRun.putImage`): the
   * store checks that its bytes are there with the recorded size and writes the record with
   * `commit`'s rule (one record per index: an existing record of the index is replaced, an
   * identical one kept). Returns the entry as recorded, or null when the image is not in place.
   * Optional: only stores with `openShared` need it.
   */
  adopt?(entry: ManifestEntry): Promise<ManifestEntry | null>;
  /** The review marks (for --redo-rejected). */
  readReview(): Promise<ReviewFile>;
  /** Release the lock / claims. Idempotent; also called after a failure. */
  close(): Promise<void>;
}

/**
 * How `done` checks an image: 'sha256' (default) reads every byte; 'size' only compares the size,
 * for a recorder that polls a large run often (a torn image cannot have the recorded size: images
 * are stored whole or not at all; a bit flipped in place is found by `genready verify`).
 */
export type DoneCheck = 'sha256' | 'size';

/** What `SharedRun.putImage` did. `sha256` is the offered bytes' hash; `stored` the kept bytes' on a conflict. */
export type PutImageOutcome =
  | { kind: 'written'; sha256: string }
  | { kind: 'same'; sha256: string }
  | { kind: 'conflict'; sha256: string; stored: string };

/** A maker offered bytes different from an image already stored for the same index (kept, never replaced). */
export interface ConflictReport {
  index: number;
  file: string;
  /** sha256 of the bytes kept. */
  stored: string;
  /** sha256 of the bytes refused. */
  offered: string;
  /** Who offered them (a queue worker's id). */
  worker: string;
  at: string;
}

/**
 * A run as its many makers see it: no lock is taken, every call is safe from any number of
 * processes and machines at once, and nothing already stored is ever replaced. The holder of the
 * run's session (`open`) reads the records and folds them into the manifest with `adopt`.
 */
export interface SharedRun {
  /** Human-readable location, for messages. */
  readonly location: string;
  /**
   * Store an image's bytes under `file` unless an image is there already. Atomic (never a partial
   * file under the name; two makers at once: exactly one 'written'), and never over other bytes.
   */
  putImage(file: string, png: Uint8Array): Promise<PutImageOutcome>;
  /**
   * Store an image's record, after its bytes (`putImage`). The first record of an index is kept:
   * returns false when one was there already. The entry may carry more fields (the queue adds the
   * worker); they are kept.
   */
  putRecord(entry: ManifestEntry): Promise<boolean>;
  /**
   * The records whose image is in place with the recorded size, by index. `only`: just these
   * indices (a worker's chunk); `except`: all but these (a recorder's already folded ones), so
   * polling a large run stays cheap.
   */
  listRecords(which?: { only?: readonly number[]; except?: ReadonlySet<number> }): Promise<Map<number, ManifestEntry>>;
  /** Keep a conflict on file for the recorder to report (one per index and maker). */
  reportConflict(report: ConflictReport): Promise<void>;
  listConflicts(): Promise<ConflictReport[]>;
}

/**
 * A place runs live. `open` takes the run for this process: it fails with RunnerError 'run-locked'
 * (naming the lock and its owner: host, pid, start time) while another live writer holds it, and
 * takes over from a dead one (an OS-released lock, or an owner whose process is gone or reused).
 */
export interface RunStore {
  /** 'files', 'queue', …: shown in messages. */
  readonly kind: string;
  /** Human-readable location (the run folder, a queue name) for messages. */
  readonly location: string;
  open(): Promise<RunSession>;
  /**
   * Optional capability: the run for many makers at once, without the lock (see `SharedRun`). A
   * store that several machines can reach offers it; the queue requires it.
   */
  openShared?(): SharedRun;
}
