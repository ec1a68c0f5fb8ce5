/**
 * `genready run RECIPE --queue URL`: the coordinator. It cuts the recipe into chunks, offers them
 * on the queue of its backend class, and folds the images workers store into `manifest.jsonl`
 * (it is the only writer of the manifest and of run.json, and holds the run folder's lock).
 *
 * The store is the truth and the queue only a cache: on start and on a timer every chunk with an
 * image missing from the store is offered again (same job id, so a chunk already queued or running
 * is not doubled). A Redis restarted empty or flushed, or a lost job, costs time, never images.
 * Ctrl-C (the abort signal) stops it cleanly; running it again resumes; the workers go on meanwhile.
 */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import { isCheckpointSource, tokenizerHash } from '../runner/backends/checkpoint.ts';
import { backendFor } from '../runner/backends/index.ts';
import { RunnerError } from '../runner/errors.ts';
import { readLayout } from '../runner/model-folder.ts';
import type { ConflictReport, RunInfo } from '../runner/ports.ts';
import { loraRecords, VERSION } from '../runner/production.ts';
import { expandImages, type Recipe, recipeFingerprint } from '../runner/recipe.ts';
import { FsRunStore } from '../runner/stores/fs.ts';
import { sourceIdentity } from './_identity.ts';
import { checkRedis, queueConnection } from './connect.ts';
import {
  type ChunkJob,
  KEYS,
  PREFIX,
  type QueueName,
  queueNameFor,
  type RunStatus,
  WORKER_ACTIVE_MS,
} from './types.ts';
import type { QueueAddress } from './url.ts';
import { backendClassOf } from './worker.ts';

export interface CoordinatorOptions {
  address: QueueAddress;
  /** Backend class of the run (default cpu): only workers of this class take its chunks. */
  provider?: string;
  /** Let workers of every backend class take the chunks (bytes then differ between classes). */
  mixed?: boolean;
  /** Images per job (default 8). */
  chunk?: number;
  /** Tries per chunk before its images count as failed (default 3). */
  attempts?: number;
  /** How often the store is read and progress reported (default 1 s). */
  tickMs?: number;
  /** How often missing chunks are offered again (default 10 s). */
  requeueMs?: number;
  signal?: AbortSignal;
  events?: CoordinatorEvents;
}

export interface CoordinatorProgress {
  done: number;
  total: number;
  failed: number;
  imagesPerHour: number;
  etaSeconds: number;
  workers: number | null;
  redis: 'up' | 'down';
}

export interface CoordinatorEvents {
  onPlan?(p: { runId: string; total: number; done: number; chunks: number; queue: QueueName; model: string }): void;
  onProgress?(p: CoordinatorProgress): void;
}

export interface QueueRunSummary {
  runId: string;
  outputDir: string;
  queue: QueueName;
  total: number;
  done: number;
  /** Images recorded into the manifest by this session. */
  made: number;
  failed: { index: number; error: string }[];
  conflicts: ConflictReport[];
  /** Jobs offered to the queue (first offer and re-offers). */
  offered: number;
  seconds: number;
  imagesPerHour: number;
  stopped: boolean;
}

export const DEFAULT_CHUNK = 8;
export const DEFAULT_ATTEMPTS = 3;
const REDIS_STEP_MS = 3000;

/** Run id: the same recipe, model and genready version into the same folder is the same run. */
export function runIdOf(fingerprint: string, modelHash: string, outputDir: string): string {
  return createHash('sha256')
    .update(JSON.stringify([fingerprint, modelHash, VERSION, outputDir]))
    .digest('hex')
    .slice(0, 16);
}

export const jobIdOf = (runId: string, first: number) => `${runId}-${first}`;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** Per-image errors from a failed chunk's reason ("image 5: …; image 7: …"), else the reason for all. */
function failedImages(reason: string, missing: number[]): { index: number; error: string }[] {
  const per = new Map<number, string>();
  for (const part of reason.split('; ')) {
    const m = /^image (\d+): (.*)$/.exec(part);
    if (m) per.set(Number(m[1]), m[2]!);
  }
  return missing.map((index) => ({ index, error: per.get(index) ?? reason }));
}

export async function runCoordinator(recipe: Recipe, opts: CoordinatorOptions): Promise<QueueRunSummary> {
  const backend = backendClassOf(opts.provider ?? 'cpu');
  const queueName = queueNameFor(backend, opts.mixed === true);
  const chunkSize = opts.chunk ?? DEFAULT_CHUNK;
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const tickMs = opts.tickMs ?? 1000;
  const requeueMs = opts.requeueMs ?? 10_000;
  const images = expandImages(recipe);
  const dir = recipe.outputDir;
  // The model must be whole before anything is queued (workers would all fail on it).
  const loras = recipe.loras ?? [];
  const extras = { loras, ...(recipe.tokenizer !== undefined ? { tokenizer: recipe.tokenizer } : {}) };
  if (!isCheckpointSource(recipe.modelDir)) readLayout(recipe.modelDir);
  await checkRedis(opts.address);
  // The run folder through the runner's store: its lock (same file, same rules: a local run and a
  // coordinator exclude each other), run.json and the manifest; the workers' images and records
  // through the same store's lock-free side.
  const runStore = new FsRunStore(dir);
  const session = await runStore.open();
  const store = runStore.openShared();
  // BullMQ does not close a connection it was given: both are disconnected below.
  const queueRedis = queueConnection(opts.address);
  const queue = new Queue<ChunkJob>(queueName, { connection: queueRedis, prefix: PREFIX });
  queue.on('error', () => {});
  const redis = queueConnection(opts.address);
  try {
    const fingerprint = recipeFingerprint(recipe);
    const previous = await session.readRun();
    if (previous && previous.fingerprint !== fingerprint)
      throw new RunnerError(
        'recipe-changed',
        `${dir} holds a run of a different recipe (started from ${previous.recipe}); use a new output folder`,
      );
    // What reading the model can fail with, as one line naming it.
    const modelError = (err: unknown): never => {
      if (err instanceof RunnerError) throw err;
      throw new RunnerError('bad-model', `${recipe.modelDir}: ${(err as Error).message.split('\n')[0]}`);
    };
    const hashed = await sourceIdentity(recipe.modelDir, extras, previous?.model.files ?? []).catch(modelError);
    // What would fail on every worker (a LoRA for another family) is refused here, before a chunk is offered.
    try {
      backendFor(recipe.modelDir, extras).check?.(recipe.modelDir);
    } catch (err) {
      modelError(err);
    }
    if (previous && previous.model.hash !== hashed.hash)
      throw new RunnerError(
        'model-changed',
        `the model files changed since this run started (hash ${previous.model.hash} → ${hashed.hash}); use a new output folder`,
      );
    const records = loraRecords(loras);
    const tokenizer = recipe.tokenizer !== undefined ? tokenizerHash(recipe.tokenizer) : undefined;
    const model = {
      dir: recipe.modelDir,
      name: hashed.name,
      hash: hashed.hash,
      ...(records.length ? { loras: records } : {}),
    };
    if (!previous || JSON.stringify(previous.model.files) !== JSON.stringify(hashed.files)) {
      const run: RunInfo = {
        v: 1,
        fingerprint,
        recipe: recipe.source,
        model: { ...model, files: hashed.files },
        createdAt: previous?.createdAt ?? new Date().toISOString(),
      };
      await session.writeRun(run);
    }
    const runId = runIdOf(fingerprint, hashed.hash, dir);

    // What the manifest already holds with its PNG in place (size: this is polled, not verified).
    const inManifest = new Set((await session.done('size')).keys());
    const chunks: ChunkJob[] = [];
    for (let i = 0; i < images.length; i += chunkSize) {
      const specs = images.slice(i, i + chunkSize);
      chunks.push({
        v: 1,
        runId,
        first: specs[0]!.index,
        specs,
        outputDir: dir,
        model,
        ...(loras.length || recipe.tokenizer !== undefined ? { extras } : {}),
        ...(tokenizer !== undefined ? { tokenizerHash: tokenizer } : {}),
        recipeBatch: recipe.batch,
        backend,
        mixed: opts.mixed === true,
      });
    }
    const startedAt = new Date();
    const t0 = performance.now();
    let made = 0;
    let offered = 0;
    let failed: { index: number; error: string }[] = [];
    let workers: number | null = null;
    let redisUp = true;
    let lastRequeue = -Infinity;
    let redisStep: Promise<void> | null = null;
    opts.events?.onPlan?.({
      runId,
      total: images.length,
      done: inManifest.size,
      chunks: chunks.length,
      queue: queueName,
      model: `${model.name} (${model.hash})`,
    });

    /** Records workers stored → manifest lines (store only: goes on while Redis is down). */
    const fold = async () => {
      for (const [i, rec] of await store.listRecords({ except: inManifest })) {
        if (i >= images.length) continue;
        if (!(await session.adopt(rec))) continue;
        inManifest.add(i);
        made++;
      }
    };

    const rate = () => {
      const s = (performance.now() - t0) / 1000;
      return made > 0 && s > 0 ? (made / s) * 3600 : 0;
    };

    /** Offer every chunk with a missing image that the queue does not hold; collect failed chunks. */
    const requeue = async () => {
      const adds: { name: string; data: ChunkJob; opts: Record<string, unknown> }[] = [];
      const nowFailed: { index: number; error: string }[] = [];
      for (const c of chunks) {
        const missing = c.specs.map((s) => s.index).filter((i) => !inManifest.has(i));
        if (missing.length === 0) continue;
        const id = jobIdOf(runId, c.first);
        const job = await queue.getJob(id);
        if (job) {
          const state = await job.getState();
          if (state === 'failed') {
            nowFailed.push(...failedImages(job.failedReason ?? 'failed', missing));
            continue;
          }
          if (state !== 'completed') continue;
          // Completed yet images missing (deleted since?): the store wins, the chunk is made again.
          await job.remove();
        }
        adds.push({
          name: 'chunk',
          data: c,
          opts: {
            jobId: id,
            attempts,
            backoff: { type: 'fixed', delay: 1000 },
            removeOnComplete: true,
            removeOnFail: false,
          },
        });
      }
      if (adds.length) await queue.addBulk(adds);
      offered += adds.length;
      failed = nowFailed;
    };

    const status = (finished: boolean): RunStatus => ({
      runId,
      recipe: recipe.source,
      outputDir: dir,
      queue: queueName,
      total: images.length,
      done: inManifest.size,
      failed: failed.length,
      imagesPerHour: Math.round(rate()),
      startedAt: startedAt.toISOString(),
      updatedAt: new Date().toISOString(),
      finished,
    });

    /** Everything that needs Redis, bounded in time; while it is unreachable the store is still folded. */
    const redisTick = async (force: boolean) => {
      try {
        if (force || performance.now() - lastRequeue >= requeueMs || !redisUp) {
          await requeue();
          lastRequeue = performance.now();
        }
        await redis.hset(KEYS.runs, runId, JSON.stringify(status(false)));
        workers = await redis.zcount(KEYS.workers, Date.now() - WORKER_ACTIVE_MS, '+inf');
        redisUp = true;
      } catch {
        redisUp = false;
      }
    };

    let stopped = false;
    let first = true;
    try {
      for (;;) {
        await fold();
        if (!redisStep) {
          const step = withTimeout(redisTick(first), REDIS_STEP_MS).catch(() => {
            redisUp = false;
          });
          redisStep = step.finally(() => {
            redisStep = null;
          });
          // The first offer is awaited so that a fresh run's jobs are queued before progress starts.
          if (first) await redisStep;
          first = false;
        }
        await fold();
        const finishedIdx = inManifest.size + failed.filter((f) => !inManifest.has(f.index)).length;
        const perHour = rate();
        opts.events?.onProgress?.({
          done: inManifest.size,
          total: images.length,
          failed: failed.length,
          imagesPerHour: perHour,
          etaSeconds: perHour > 0 ? ((images.length - finishedIdx) / perHour) * 3600 : Number.NaN,
          workers,
          redis: redisUp ? 'up' : 'down',
        });
        if (finishedIdx >= images.length) break;
        if (opts.signal?.aborted) {
          stopped = true;
          break;
        }
        await sleep(tickMs, opts.signal);
      }
    } finally {
      await session.close();
    }
    const finished = !stopped;
    await withTimeout(redis.hset(KEYS.runs, runId, JSON.stringify(status(finished))), REDIS_STEP_MS).catch(() => {});
    const seconds = (performance.now() - t0) / 1000;
    return {
      runId,
      outputDir: dir,
      queue: queueName,
      total: images.length,
      done: inManifest.size,
      made,
      failed: failed.filter((f) => !inManifest.has(f.index)).sort((a, b) => a.index - b.index),
      conflicts: await store.listConflicts(),
      offered,
      seconds,
      imagesPerHour: made > 0 && seconds > 0 ? (made / seconds) * 3600 : 0,
      stopped,
    };
  } finally {
    await session.close();
    await withTimeout(queue.close(), 2000).catch(() => queue.disconnect());
    queueRedis.disconnect();
    redis.disconnect();
  }
}
