/**
 * `genready worker`: takes chunks from the queue of its backend class (and from the `any` queue of
 * --mixed runs), generates them in a child process (see _infer-child.ts) and writes each image into
 * the shared output folder. Never writes the manifest; never opens a port.
 *
 * Faults it is built for: the process killed (its job's lock lapses and another worker redoes the
 * chunk; already stored images are skipped), stopped past its lock (the job is redone elsewhere;
 * on waking, its late images are byte-identical repeats), Redis gone (stops after a deadline
 * instead of hanging), SIGTERM (finishes or abandons the chunk within a deadline).
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { DelayedError, type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ortVersion } from '../ort/session.ts';
import type { ProbeResult } from '../probe/types.ts';
import { tokenizerHash } from '../runner/backends/checkpoint.ts';
import type { ModelExtras } from '../runner/backends/index.ts';
import { planExecution } from '../runner/plan.ts';
import { deviceInfo, loraRecords } from '../runner/production.ts';
import { FsRunStore } from '../runner/stores/fs.ts';
import { hasTokenizerFiles } from '../runner/tokenizer.ts';
import { sourceIdentity } from './_identity.ts';
import { InferenceChild } from './_infer.ts';
import { checkRedis, queueConnection } from './connect.ts';
import { QueueError } from './errors.ts';
import { workerMachine } from './machine.ts';
import {
  BACKEND_CLASSES,
  type BackendClass,
  type ChunkJob,
  type ChunkResult,
  HEARTBEAT_MS,
  KEYS,
  PREFIX,
  type QueuedEntry,
  type QueueName,
  queueNameFor,
  WORKER_ACTIVE_MS,
  type WorkerRef,
  type WorkerStatus,
} from './types.ts';
import type { QueueAddress } from './url.ts';

export interface WorkerOptions {
  address: QueueAddress;
  provider?: string;
  threads?: number;
  /** Look for models here, by the coordinator's folder name, before the coordinator's own path. */
  modelsDir?: string;
  id?: string;
  /** BullMQ lock: a job whose worker has not renewed it for this long is handed out again. */
  lockMs?: number;
  /** How long Redis may stay unreachable before the worker gives up. */
  redisDeadlineMs?: number;
  /** After stop (SIGTERM), how long a running chunk may take before it is abandoned. */
  stopDeadlineMs?: number;
  onEvent?: (e: WorkerEvent) => void;
  /** How the worker probes its machine (default: src/probe's probeMachine; tests pass a fake). */
  probe?: () => Promise<ProbeResult>;
}

export type WorkerEvent =
  | { event: 'ready'; id: string; queues: QueueName[]; device: string; note: string; tier: number }
  | { event: 'start'; job: string; attempt: number }
  | { event: 'image'; job: string; index: number; outcome: 'written' | 'same' | 'conflict' | 'failed' }
  | { event: 'chunk'; job: string; made: number; same: number; skipped: number; conflicts: number }
  | { event: 'chunk-failed'; job: string; error: string }
  | { event: 'redis'; state: 'down' | 'up' }
  | { event: 'stop'; reason: string; clean: boolean };

export interface WorkerHandle {
  id: string;
  /** Stop taking work, finish or abandon the running chunk within the deadline. */
  stop(reason?: string): Promise<void>;
  /** Settles when the worker has stopped; rejects with a QueueError when it had to give up. */
  done: Promise<{ images: number; clean: boolean }>;
}

export const DEFAULT_LOCK_MS = 30_000;
export const DEFAULT_REDIS_DEADLINE_MS = 60_000;
export const DEFAULT_STOP_DEADLINE_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

export function backendClassOf(provider: string): BackendClass {
  if (!(BACKEND_CLASSES as readonly string[]).includes(provider))
    throw new QueueError('bad-provider', `--provider must be one of ${BACKEND_CLASSES.join(', ')}, got "${provider}"`);
  return provider as BackendClass;
}

export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const provider = opts.provider ?? 'cpu';
  const backend = backendClassOf(provider);
  const id = opts.id ?? `${hostname()}-${process.pid}`;
  const emit = opts.onEvent ?? (() => {});
  const lockMs = opts.lockMs ?? DEFAULT_LOCK_MS;
  const redisDeadline = opts.redisDeadlineMs ?? DEFAULT_REDIS_DEADLINE_MS;
  await checkRedis(opts.address, Math.min(redisDeadline, 5000));

  const queues: QueueName[] = [queueNameFor(backend, false), queueNameFor(backend, true)];
  const infer = new InferenceChild();
  const device = deviceInfo();
  const probe = opts.probe ?? (() => import('../probe/probe.ts').then((p) => p.probeMachine()));
  const machine = workerMachine(await probe(), provider);
  const startedAt = new Date();
  let images = 0;
  let current: string | null = null;
  // One chunk at a time across both queues: one machine, one device.
  let busy: Promise<unknown> = Promise.resolve();
  const hashes = new Map<string, Awaited<ReturnType<typeof sourceIdentity>>>();
  let refused: QueueError | null = null;

  const connections: Redis[] = [];
  const connect = () => {
    const c = queueConnection(opts.address);
    connections.push(c);
    return c;
  };

  /** A file of the run under --models (by name) when there, else at the coordinator's path. */
  const local = (path: string) => {
    const there = opts.modelsDir ? join(opts.modelsDir, basename(path)) : null;
    return there && existsSync(there) ? there : path;
  };

  /**
   * The recipe's tokenizer folder, under --models (by name) or at the coordinator's path, must hold
   * the files the coordinator read: another vocabulary would encode the prompts to other ids.
   */
  function checkTokenizer(j: ChunkJob, dir: string | undefined): void {
    if (j.tokenizerHash === undefined || dir === undefined) return;
    const found = hasTokenizerFiles(dir) ? tokenizerHash(dir) : null;
    if (found === j.tokenizerHash) return;
    const want = j.tokenizerHash.slice(0, 12);
    throw new QueueError(
      found ? 'model-mismatch' : 'model-missing',
      found
        ? `run ${j.runId} needs tokenizer ${basename(dir)} with sha256 ${want}…; ${dir} has ${found.slice(0, 12)}…: refusing to make images that would not match`
        : `run ${j.runId} needs tokenizer ${basename(dir)} (sha256 ${want}…); no tokenizer files at ${dir} (give --models DIR)`,
    );
  }

  /**
   * The model for a job: by its hash (the backend's identity: a folder's files, a checkpoint's A1111
   * hash) and its LoRAs' hashes, under --models (by name) or at the coordinator's path.
   */
  async function modelDirFor(
    j: ChunkJob,
  ): Promise<{ dir: string; files: Record<string, string>; extras?: ModelExtras }> {
    const candidates = [...(opts.modelsDir ? [join(opts.modelsDir, basename(j.model.dir))] : []), j.model.dir];
    const loras = (j.extras?.loras ?? []).map((l) => ({ ...l, file: local(l.file) }));
    const tokenizer = j.extras?.tokenizer !== undefined ? local(j.extras.tokenizer) : undefined;
    checkTokenizer(j, tokenizer);
    const extras: ModelExtras | undefined = j.extras
      ? { ...j.extras, loras, ...(tokenizer !== undefined ? { tokenizer } : {}) }
      : undefined;
    const wanted = JSON.stringify((j.model.loras ?? []).map((l) => l.hash));
    const seen: string[] = [];
    for (const dir of candidates) {
      // Re-checked for every chunk (a changed file is noticed); unchanged files keep their hash by size and time.
      let h: Awaited<ReturnType<typeof sourceIdentity>>;
      let found: string;
      try {
        h = await sourceIdentity(dir, extras, hashes.get(dir)?.files ?? []);
        found = JSON.stringify(loraRecords(loras).map((l) => l.hash));
      } catch {
        continue;
      }
      hashes.set(dir, h);
      if (h.hash === j.model.hash && found === wanted)
        return {
          dir,
          files: Object.fromEntries(h.files.map((f) => [f.path, f.sha256])),
          ...(extras ? { extras } : {}),
        };
      seen.push(`${dir} (hash ${h.hash}${found === wanted ? '' : `, LoRA hashes ${found}`})`);
    }
    throw new QueueError(
      seen.length ? 'model-mismatch' : 'model-missing',
      seen.length
        ? `run ${j.runId} needs model ${j.model.name} with hash ${j.model.hash}${j.model.loras?.length ? ` and LoRA hashes ${wanted}` : ''}; found ${seen.join(', ')}: refusing to make images that would not match`
        : `run ${j.runId} needs model ${j.model.name} (hash ${j.model.hash}); not found at ${candidates.join(' or ')} (give --models DIR)`,
    );
  }

  async function processChunk(job: Job<ChunkJob, ChunkResult>, token?: string): Promise<ChunkResult> {
    const j = job.data;
    const jobId = job.id ?? '?';
    emit({ event: 'start', job: jobId, attempt: job.attemptsStarted });
    let model: Awaited<ReturnType<typeof modelDirFor>>;
    try {
      model = await modelDirFor(j);
    } catch (err) {
      // Hand the chunk back untouched (no attempt used) and stop: this worker cannot serve the run.
      refused = err as QueueError;
      await job.moveToDelayed(Date.now() + 1000, token);
      void handle.stop(refused.message);
      throw new DelayedError();
    }
    // The run folder through the runner's store, lock-free: the coordinator holds the run's lock.
    const store = new FsRunStore(j.outputDir).openShared();
    const done = await store.listRecords({ only: j.specs.map((s) => s.index) });
    const todo = j.specs.filter((s) => !done.has(s.index));
    const result: ChunkResult = { made: 0, same: 0, skipped: j.specs.length - todo.length, conflicts: [] };
    if (todo.length === 0) {
      emit({ event: 'chunk', job: jobId, made: 0, same: 0, skipped: result.skipped, conflicts: 0 });
      return result;
    }
    const first = todo[0]!;
    const plan = planExecution({
      modelDir: model.dir,
      recipeBatch: j.recipeBatch,
      width: first.width,
      height: first.height,
      steps: first.steps,
      guidance: first.guidance,
      provider,
      device: machine.device,
    });
    const reply = await infer.run({
      modelDir: model.dir,
      model: { name: j.model.name, hash: j.model.hash, ...(j.model.loras ? { loras: j.model.loras } : {}) },
      ...(model.extras ? { extras: model.extras } : {}),
      providers: plan.providers,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      batch: plan.batch,
      specs: todo,
    });
    if (!reply.ok) throw new Error(reply.error);
    const failures: string[] = [];
    const worker: WorkerRef = {
      id,
      host: hostname(),
      pid: process.pid,
      provider,
      gpu: machine.gpu,
      plannedFor: machine.device.name,
      batchReason: plan.reason,
    };
    for (const img of reply.images) {
      const spec = todo.find((s) => s.index === img.index)!;
      if (!img.ok) {
        failures.push(`image ${img.index}: ${img.error}`);
        emit({ event: 'image', job: jobId, index: img.index, outcome: 'failed' });
        continue;
      }
      const put = await store.putImage(spec.file, img.png);
      if (put.kind === 'conflict') {
        await store.reportConflict({
          index: spec.index,
          file: spec.file,
          stored: put.stored,
          offered: put.sha256,
          worker: id,
          at: new Date().toISOString(),
        });
        result.conflicts.push(spec.index);
      } else {
        const entry: QueuedEntry = {
          v: 1,
          ...spec,
          sha256: put.sha256,
          bytes: img.png.length,
          model: { ...j.model, files: model.files },
          runtime: reply.runtime,
          device,
          batch: plan.batch,
          seconds: img.seconds,
          ...(img.truncatedTokens ? { truncatedTokens: img.truncatedTokens } : {}),
          createdAt: new Date().toISOString(),
          worker,
        };
        await store.putRecord(entry);
        if (put.kind === 'written') result.made++;
        else result.same++;
        images++;
      }
      emit({ event: 'image', job: jobId, index: img.index, outcome: put.kind });
    }
    await job.updateProgress(j.specs.length - failures.length).catch(() => {});
    if (failures.length) throw new Error(failures.join('; '));
    emit({
      event: 'chunk',
      job: jobId,
      made: result.made,
      same: result.same,
      skipped: result.skipped,
      conflicts: result.conflicts.length,
    });
    return result;
  }

  /** Settles when BullMQ has reported the running chunk's end to Redis (its completed/failed event). */
  let reported: Promise<void> = Promise.resolve();
  let markReported = () => {};
  let stopRequested = false;

  const processor = (job: Job<ChunkJob, ChunkResult>, token?: string) => {
    const run = busy.then(async () => {
      if (stopRequested) {
        // Fetched while stopping: hand it back untouched (no attempt used) for another worker.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      current = job.id ?? null;
      reported = new Promise<void>((res) => {
        markReported = res;
      });
      try {
        return await processChunk(job, token);
      } catch (err) {
        if (!(err instanceof DelayedError))
          emit({ event: 'chunk-failed', job: job.id ?? '?', error: (err as Error).message });
        else markReported();
        throw err;
      } finally {
        current = null;
      }
    });
    busy = run.catch(() => {});
    return run;
  };

  const workers = queues.map(
    (name) =>
      new Worker<ChunkJob, ChunkResult>(name, processor, {
        connection: connect(),
        prefix: PREFIX,
        concurrency: 1,
        lockDuration: lockMs,
        stalledInterval: Math.max(1000, Math.round(lockMs / 2)),
        // A stall is the machine's fault (killed, stopped, cut off), never the chunk's: the store
        // makes a redo cheap, so stalls never turn a chunk into a failure.
        maxStalledCount: 1_000_000,
        // A second worker on the same machine waits for the busy one instead of holding a fetched job idle.
        drainDelay: 1,
      }),
  );
  for (const w of workers) {
    w.on('error', () => {});
    w.on('completed', () => markReported());
    w.on('failed', () => markReported());
  }

  // Heartbeat: also the watch on Redis (a worker that cannot reach it for the deadline gives up).
  const hb = connect();
  let lastOk = Date.now();
  let down = false;
  let beating = false;
  let resolveDone!: (v: { images: number; clean: boolean }) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<{ images: number; clean: boolean }>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  const beat = async () => {
    if (beating) return;
    beating = true;
    const now = Date.now();
    const hours = (now - startedAt.getTime()) / 3_600_000;
    const status: WorkerStatus = {
      id,
      host: hostname(),
      pid: process.pid,
      backend,
      provider,
      queues,
      device,
      gpu: machine.gpu,
      plannedFor: machine.device.name,
      plannedNote: machine.note,
      tier: machine.tier,
      onnxruntime: ortVersion(),
      startedAt: startedAt.toISOString(),
      lastBeat: new Date(now).toISOString(),
      images,
      imagesPerHour: hours > 0 ? Math.round(images / hours) : 0,
      job: current,
    };
    try {
      await withTimeout(
        hb
          .multi()
          .zadd(KEYS.workers, now, id)
          .set(KEYS.worker(id), JSON.stringify(status), 'PX', WORKER_ACTIVE_MS * 2)
          .exec(),
        HEARTBEAT_MS,
      );
      lastOk = Date.now();
      if (down) emit({ event: 'redis', state: 'up' });
      down = false;
    } catch {
      if (!down) emit({ event: 'redis', state: 'down' });
      down = true;
      if (Date.now() - lastOk > redisDeadline)
        void stop(`Redis at ${opts.address.redacted} unreachable for ${Math.round(redisDeadline / 1000)} s`, true);
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(beat, HEARTBEAT_MS);
  await beat();
  emit({ event: 'ready', id, queues, device: machine.device.name, note: machine.note, tier: machine.tier.level });

  /**
   * Stop without leaving anything running, so the process ends by itself: no new chunk is taken, the
   * running one may finish within the deadline (its images are stored even while Redis is down),
   * then every BullMQ worker is closed by force (a chunk still running is abandoned: its lock lapses
   * and another worker redoes it, skipping stored images), every connection dropped and the
   * inference child killed. Force, because BullMQ's unforced close waits on Redis forever and keeps
   * its lock-renewal timers alive meanwhile.
   */
  let stopping: Promise<void> | null = null;
  const stop = (reason = 'stopped', lost = false): Promise<void> => {
    stopping ??= (async () => {
      stopRequested = true;
      clearInterval(timer);
      // Stop fetching now (and BullMQ's stalled-job checker, whose timer would keep the process alive).
      for (const w of workers) void w.pause(true).catch(() => {});
      // With Redis gone nothing can be handed back: abandon quickly (stored images stay stored).
      // The heartbeat may not have noticed yet: ask once.
      if (!down)
        down = !(await withTimeout(hb.ping(), 1000).then(
          () => true,
          () => false,
        ));
      const deadline =
        down || lost ? Math.min(3000, opts.stopDeadlineMs ?? 3000) : (opts.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
      const clean = await withTimeout(
        busy.then(() => reported),
        deadline,
      ).then(
        () => true,
        () => false,
      );
      await Promise.all(workers.map((w) => withTimeout(w.close(true), 1000).catch(() => {})));
      // BullMQ's own blocking connections keep retrying unless dropped.
      await Promise.all(workers.map((w) => withTimeout(w.disconnect(), 1000).catch(() => {})));
      infer.close();
      if (!lost && !down)
        await withTimeout(
          hb.zrem(KEYS.workers, id).then(() => hb.del(KEYS.worker(id))),
          1000,
        ).catch(() => {});
      for (const c of connections) c.disconnect();
      emit({ event: 'stop', reason, clean });
      if (refused) rejectDone(refused);
      else if (lost) rejectDone(new QueueError('redis-lost', `worker ${id}: ${reason}; stopped`));
      else resolveDone({ images, clean });
    })();
    return stopping;
  };
  const handle: WorkerHandle = { id, stop: (r) => stop(r), done };
  return handle;
}
