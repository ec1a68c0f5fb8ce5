/** Messages between a worker and its inference child (IPC with structured clone: PNG bytes travel as Uint8Array). */
import type { ModelExtras } from '../runner/backends/index.ts';
import type { ManifestEntry } from '../runner/manifest.ts';
import type { ImageSpec } from '../runner/recipe.ts';
import type { ModelRef } from './types.ts';

export interface InferRequest {
  id: number;
  modelDir: string;
  model: Omit<ModelRef, 'dir'>;
  /** LoRAs (at the worker's paths) and tokenizer, as backendFor takes them. */
  extras?: ModelExtras;
  providers: string[];
  threads?: number;
  batch: number;
  specs: ImageSpec[];
}

export type InferImage =
  | {
      index: number;
      ok: true;
      png: Uint8Array;
      seconds: number;
      truncatedTokens?: { prompt: number; negative: number };
    }
  | { index: number; ok: false; error: string };

export type InferReply =
  | { id: number; ok: true; images: InferImage[]; runtime: ManifestEntry['runtime'] }
  | { id: number; ok: false; error: string };

/**
 * Test seam, off unless set: a module the child imports before serving (tests add a backend row
 * for their tiny checkpoint architecture to BACKENDS there).
 */
export const CHILD_IMPORT_ENV = 'GENREADY_QUEUE_CHILD_IMPORT';

/**
 * Test seam, off unless set: image indices (comma-separated) whose generation throws, to prove that
 * a poison image fails after its attempts while the rest of the run completes.
 */
export const FAIL_INDEX_ENV = 'GENREADY_QUEUE_FAIL_INDEX';
