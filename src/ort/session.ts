/**
 * Opening onnxruntime sessions, one way for bench and runner: execution providers in order (the
 * CPU provider last as the fallback the caller asks for), full graph optimisation, intra-op threads
 * (default: onnxruntime's own choice), and its native log kept to errors.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';

export interface SessionOptions {
  /** Execution providers, best first ('cuda', 'dml', 'coreml', 'cpu'). */
  providers: readonly string[];
  /** Intra-op threads; absent: onnxruntime's default. Does not change the pixels on the CPU provider. */
  threads?: number;
  /** Spin-wait in the intra-op pool (onnxruntime's default: on); off on a busy machine. */
  spinning?: boolean;
  /** onnxruntime's own log level (0 verbose … 4 fatal); default: its default. */
  logSeverity?: 0 | 1 | 2 | 3 | 4;
}

export function createSession(path: string, o: SessionOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, {
    executionProviders: [...o.providers],
    graphOptimizationLevel: 'all',
    ...(o.threads ? { intraOpNumThreads: o.threads } : {}),
    // Spin-waiting intra-op threads fight other processes for the cores of a busy machine.
    ...(o.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    ...(o.logSeverity !== undefined ? { logSeverityLevel: o.logSeverity } : {}),
  });
}

export type { InferenceSession } from 'onnxruntime-node';

/**
 * The onnxruntime version results were made with: the Node binding's (manifests) or the native
 * library's (`common`, bench reports).
 */
export function ortVersion(part: 'node' | 'common' = 'node'): string {
  return (part === 'node' ? (ort.env.versions.node ?? ort.env.versions.common) : ort.env.versions.common) ?? 'unknown';
}

/** The thread count a session uses when none is given, as the runner records it (one per logical core). */
export function defaultThreads(): number {
  return cpus().length;
}
