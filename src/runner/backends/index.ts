/**
 * Which Backend runs a model source, as data: an ordered table of (test, backend), first match wins,
 * onnxruntime on an export folder as the open last entry. A new backend (a checkpoint loader for
 * `.safetensors` files) adds one row here; the loop, `run` and `verify` take it from `backendFor`.
 */
import type { Backend } from '../ports.ts';
import { ortBackend } from './ort.ts';

export interface BackendRow {
  /** Whether this backend loads the source (a path: an export folder, a checkpoint file, …). */
  accepts(source: string): boolean;
  backend: Backend;
}

export const BACKENDS: BackendRow[] = [{ accepts: () => true, backend: ortBackend }];

export function backendFor(source: string): Backend {
  return (BACKENDS.find((r) => r.accepts(source)) ?? BACKENDS[BACKENDS.length - 1]!).backend;
}
