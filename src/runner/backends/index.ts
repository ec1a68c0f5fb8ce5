/**
 * Which Backend runs a model source, as data: an ordered table of (test, backend), first match wins,
 * onnxruntime on an export folder as the open last entry. The loop, `run` and `verify` take it from
 * `backendFor`; what the recipe adds to the model (LoRAs, a tokenizer folder) comes with the source.
 */
import { RunnerError } from '../errors.ts';
import type { Backend } from '../ports.ts';
import { type CheckpointOptions, checkpointBackend, isCheckpointSource } from './checkpoint.ts';
import { ortBackend } from './ort.ts';

/** What a recipe adds to its model: LoRAs merged at load, a tokenizer folder. */
export type ModelExtras = Pick<CheckpointOptions, 'loras' | 'tokenizer'>;

export interface BackendRow {
  /** Whether this backend loads the source (a path: an export folder, a checkpoint file, …). */
  accepts(source: string): boolean;
  backend: Backend;
  /** The backend for a source with extras; a row without it refuses them (see backendFor). */
  withExtras?(extras: ModelExtras): Backend;
}

export const BACKENDS: BackendRow[] = [
  // A .safetensors file (or a pickle, refused with its reason) or a diffusers folder.
  { accepts: isCheckpointSource, backend: checkpointBackend(), withExtras: (x) => checkpointBackend(x) },
  { accepts: () => true, backend: ortBackend },
];

export function backendFor(source: string, extras: ModelExtras = {}): Backend {
  const row = BACKENDS.find((r) => r.accepts(source)) ?? BACKENDS[BACKENDS.length - 1]!;
  const wanted = (extras.loras?.length ?? 0) > 0 || extras.tokenizer !== undefined;
  if (!wanted) return row.backend;
  if (!row.withExtras)
    return {
      name: row.backend.name,
      load: () =>
        Promise.reject(
          new RunnerError(
            'bad-recipe',
            `${source}: loras and tokenizer apply to a .safetensors checkpoint or a diffusers folder, not to an ONNX export folder`,
          ),
        ),
    };
  return row.withExtras(extras);
}
