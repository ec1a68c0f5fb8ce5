/**
 * Child process that runs one phase: it opens the model, measures it and reports its own peak
 * resident memory. One process per phase makes "peak memory" the phase's own (weights, arena,
 * activations, runtime), returns all of it to the OS afterwards, and keeps an out-of-memory kill
 * from taking the CLI down with it.
 */

import type { GraphArch } from '../graph/index.ts';
import type { ProviderId } from '../ort/providers.ts';
import { type FeedShape, feedsFor, measure, openSession } from './runner.ts';

export interface WorkerJob {
  modelPath: string;
  arch: GraphArch;
  dtype: 'float32' | 'float16';
  shape: FeedShape;
  provider: ProviderId;
  warmup: number;
  iterations: number;
  threads?: number;
  spinning?: boolean;
}

export type WorkerMessage =
  | { kind: 'loaded'; seconds: number }
  | { kind: 'iteration'; index: number; total: number; seconds: number; warmup: boolean }
  | {
      kind: 'done';
      samples: number[];
      warmup: number[];
      minSeconds: number;
      medianSeconds: number;
      peakRssBytes: number;
      loadSeconds: number;
    }
  | { kind: 'error'; message: string };

const send = (m: WorkerMessage) => new Promise<void>((res) => process.send!(m, () => res()));

process.once('message', async (job: WorkerJob) => {
  try {
    const t0 = performance.now();
    const session = await openSession(job.modelPath, {
      provider: job.provider,
      ...(job.threads ? { threads: job.threads } : {}),
      ...(job.spinning !== undefined ? { spinning: job.spinning } : {}),
    });
    const loadSeconds = (performance.now() - t0) / 1000;
    await send({ kind: 'loaded', seconds: loadSeconds });
    const feeds = feedsFor(job.arch, job.shape, job.dtype);
    const r = await measure(() => session.run(feeds), {
      warmup: job.warmup,
      iterations: job.iterations,
      onIteration: (e) => void send({ kind: 'iteration', ...e }),
    });
    // maxRSS is in kibibytes on Linux and macOS (bytes/1024 on all platforms Node supports).
    await send({ kind: 'done', ...r, peakRssBytes: process.resourceUsage().maxRSS * 1024, loadSeconds });
    await session.release();
  } catch (err) {
    await send({ kind: 'error', message: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
  }
  process.disconnect();
});
