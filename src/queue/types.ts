/**
 * The queue's domain: a run (one recipe into one shared output folder) is cut into chunks of
 * images; each chunk is one BullMQ job whose id is the run id and the chunk's first index, so
 * submitting the same run again adds nothing. Jobs carry everything a worker needs (specs, model
 * identity, output folder), so a worker never reads the recipe file.
 */
import type { ModelExtras } from '../runner/backends/index.ts';
import type { ManifestEntry } from '../runner/manifest.ts';
import type { LoraRecord } from '../runner/parameters.ts';
import type { ImageSpec } from '../runner/recipe.ts';

/** BullMQ key prefix: every key the queue owns starts with it. */
export const PREFIX = 'genready';

/** Backend classes: bytes are reproducible within one, not across. `any` is the queue of --mixed runs. */
export const BACKEND_CLASSES = ['cpu', 'cuda', 'dml', 'coreml'] as const;
export type BackendClass = (typeof BACKEND_CLASSES)[number];
export type QueueName = `images-${BackendClass | 'any'}`;

export function queueNameFor(backend: BackendClass, mixed: boolean): QueueName {
  return mixed ? 'images-any' : `images-${backend}`;
}

/** Redis keys outside BullMQ's own. */
export const KEYS = {
  /** Hash: run id → RunStatus JSON (written by the coordinator on every tick). */
  runs: `${PREFIX}:runs`,
  /** Sorted set: worker id → last heartbeat (ms since the epoch). */
  workers: `${PREFIX}:workers`,
  /** String with a TTL: WorkerStatus JSON. */
  worker: (id: string) => `${PREFIX}:worker:${id}`,
} as const;

/** A worker counts as active while its last heartbeat is younger than this. */
export const WORKER_ACTIVE_MS = 15_000;
export const HEARTBEAT_MS = 2_000;

export interface ModelRef {
  /** The model folder as the coordinator sees it (workers look there, or under --models by its name). */
  dir: string;
  name: string;
  hash: string;
  /** The LoRAs merged into it, as the records name them (a worker's files must have these hashes). */
  loras?: LoraRecord[];
}

export interface ChunkJob {
  v: 1;
  runId: string;
  first: number;
  specs: ImageSpec[];
  outputDir: string;
  model: ModelRef;
  /** What the recipe adds to a checkpoint (LoRA files as the coordinator sees them, a tokenizer folder). */
  extras?: ModelExtras;
  /** sha256 of the recipe's tokenizer folder as the coordinator read it: a worker whose folder differs would encode other ids. */
  tokenizerHash?: string;
  recipeBatch: number | 'auto';
  backend: BackendClass;
  mixed: boolean;
}

export interface ChunkResult {
  made: number;
  /** Images already stored with the same bytes (made again by a redelivery or a race). */
  same: number;
  skipped: number;
  conflicts: number[];
}

/** Who made an image, beyond the runner's device and runtime fields. */
export interface WorkerRef {
  id: string;
  host: string;
  pid: number;
  provider: string;
  /** The probed GPU's name (null: none found). */
  gpu: string | null;
  /** The catalog device `batch: "auto"` was planned for, and where the image's batch came from. */
  plannedFor: string;
  batchReason: string;
}

/** The manifest line of a queued image: the runner's entry plus the worker that made it. */
export type QueuedEntry = ManifestEntry & { worker: WorkerRef };

export interface RunStatus {
  runId: string;
  recipe: string;
  outputDir: string;
  queue: QueueName;
  total: number;
  done: number;
  failed: number;
  imagesPerHour: number;
  startedAt: string;
  updatedAt: string;
  finished: boolean;
}

export interface WorkerStatus {
  id: string;
  host: string;
  pid: number;
  backend: BackendClass;
  provider: string;
  queues: QueueName[];
  device: ManifestEntry['device'];
  /** The probed GPU's name (null: none found). */
  gpu: string | null;
  /** The catalog device this worker plans for, how it was chosen, and the tier it reaches. */
  plannedFor: string;
  plannedNote: string;
  tier: { level: number; name: string };
  onnxruntime: string;
  startedAt: string;
  lastBeat: string;
  images: number;
  imagesPerHour: number;
  job: string | null;
}
