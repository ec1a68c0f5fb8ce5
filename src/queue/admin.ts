/** `genready queue status|workers|retry|gc`: read and tidy what the queue holds. Never touches images. */
import { basename } from 'node:path';
import { Queue } from 'bullmq';
import { checkRedis, queueConnection } from './connect.ts';
import {
  BACKEND_CLASSES,
  KEYS,
  PREFIX,
  type QueueName,
  type RunStatus,
  WORKER_ACTIVE_MS,
  type WorkerStatus,
} from './types.ts';
import type { QueueAddress } from './url.ts';

const QUEUES: QueueName[] = [...BACKEND_CLASSES.map((c) => `images-${c}` as const), 'images-any'];

export interface ChunkCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface QueueStatus {
  runs: (RunStatus & { chunks: ChunkCounts })[];
  queues: Record<QueueName, ChunkCounts>;
  workersActive: number;
  redis: { version: string; usedMemoryBytes: number };
}

async function withQueues<T>(
  a: QueueAddress,
  f: (qs: Queue[], redis: ReturnType<typeof queueConnection>) => Promise<T>,
) {
  const facts = await checkRedis(a);
  const redis = queueConnection(a);
  // One connection for all queues (BullMQ leaves a given connection open: closed below).
  const shared = queueConnection(a);
  const qs = QUEUES.map((n) => new Queue(n, { connection: shared, prefix: PREFIX }));
  for (const q of qs) q.on('error', () => {});
  try {
    return { facts, value: await f(qs, redis) };
  } finally {
    await Promise.all(qs.map((q) => q.close().catch(() => {})));
    shared.disconnect();
    redis.disconnect();
  }
}

const zero = (): ChunkCounts => ({ waiting: 0, active: 0, delayed: 0, failed: 0 });

async function statusWith(qs: Queue[], redis: ReturnType<typeof queueConnection>) {
  const runs = Object.values(await redis.hgetall(KEYS.runs)).map((s) => ({
    ...(JSON.parse(s) as RunStatus),
    chunks: zero(),
  }));
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const queues = {} as Record<QueueName, ChunkCounts>;
  for (const q of qs) {
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    queues[q.name as QueueName] = {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
    for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
      if (!queues[q.name as QueueName][state]) continue;
      for (const job of await q.getJobs([state])) {
        const run = byId.get(String(job?.data?.runId));
        if (run) run.chunks[state]++;
      }
    }
  }
  const workersActive = await redis.zcount(KEYS.workers, Date.now() - WORKER_ACTIVE_MS, '+inf');
  return { runs, queues, workersActive };
}

export async function queueStatus(a: QueueAddress): Promise<QueueStatus> {
  const { facts, value } = await withQueues(a, statusWith);
  return { ...value, redis: { version: facts.version, usedMemoryBytes: facts.usedMemoryBytes } };
}

export type WorkerRow = WorkerStatus & { active: boolean };

/** Every worker with a heartbeat; `tidy` forgets those whose heartbeat expired (a write: not for read-only views). */
async function workersWith(redis: ReturnType<typeof queueConnection>, tidy: boolean): Promise<WorkerRow[]> {
  const ids = await redis.zrange(KEYS.workers, '0', '-1');
  const out: WorkerRow[] = [];
  for (const id of ids) {
    const s = await redis.get(KEYS.worker(id));
    if (!s) {
      // Heartbeat expired long ago: the worker is gone; forget it.
      if (tidy) await redis.zrem(KEYS.workers, id);
      continue;
    }
    const w = JSON.parse(s) as WorkerStatus;
    out.push({ ...w, active: Date.now() - Date.parse(w.lastBeat) < WORKER_ACTIVE_MS });
  }
  return out;
}

export async function queueWorkers(a: QueueAddress): Promise<WorkerRow[]> {
  const { value } = await withQueues(a, (_qs, redis) => workersWith(redis, true));
  return value;
}

/**
 * The dashboard's queue panel (`genready serve --queue URL`): the same data as `queue status` and
 * `queue workers` (the same functions), read in one visit without writing anything, plus the sums a
 * person watches: images/hour in total (active workers), each run's time left at its measured rate,
 * failures. Holds no URL or password.
 */
export interface QueuePanel {
  at: string;
  redis: { version: string; usedMemoryBytes: number };
  workersActive: number;
  /** Sum of the active workers' images/hour. */
  imagesPerHour: number;
  workers: (Pick<
    WorkerStatus,
    | 'id'
    | 'host'
    | 'backend'
    | 'provider'
    | 'gpu'
    | 'plannedFor'
    | 'tier'
    | 'onnxruntime'
    | 'images'
    | 'imagesPerHour'
    | 'job'
    | 'lastBeat'
  > & { cpu: string; active: boolean; secondsSinceBeat: number })[];
  runs: {
    runId: string;
    /** The recipe's file name (not its path). */
    recipe: string;
    queue: QueueName;
    total: number;
    done: number;
    failed: number;
    chunks: ChunkCounts;
    imagesPerHour: number;
    /** Seconds left at the run's measured rate; null when finished or nothing measured yet. */
    etaSeconds: number | null;
    finished: boolean;
    updatedAt: string;
  }[];
  /** Images failed after every attempt (all runs) and chunks in the failed state (all queues). */
  failures: { images: number; chunks: number };
}

export async function queuePanel(a: QueueAddress, now: () => number = Date.now): Promise<QueuePanel> {
  const { facts, value } = await withQueues(a, async (qs, redis) => ({
    status: await statusWith(qs, redis),
    workers: await workersWith(redis, false),
  }));
  const t = now();
  const workers = value.workers.map((w) => ({
    id: w.id,
    host: w.host,
    backend: w.backend,
    provider: w.provider,
    // Workers of earlier versions did not probe: no GPU, device or tier known.
    gpu: w.gpu ?? null,
    plannedFor: w.plannedFor ?? w.device.cpu,
    tier: w.tier ?? { level: 1, name: 'unknown (worker did not report one)' },
    cpu: `${w.device.cpu} (${w.device.cores} cores)`,
    onnxruntime: w.onnxruntime,
    images: w.images,
    imagesPerHour: w.imagesPerHour,
    job: w.job,
    lastBeat: w.lastBeat,
    secondsSinceBeat: Math.max(0, Math.round((t - Date.parse(w.lastBeat)) / 1000)),
    active: w.active,
  }));
  const runs = value.status.runs.map((r) => {
    const left = Math.max(0, r.total - r.done - r.failed);
    return {
      runId: r.runId,
      recipe: basename(r.recipe),
      queue: r.queue,
      total: r.total,
      done: r.done,
      failed: r.failed,
      chunks: r.chunks,
      imagesPerHour: r.imagesPerHour,
      etaSeconds: r.finished || r.imagesPerHour <= 0 ? null : Math.round((left / r.imagesPerHour) * 3600),
      finished: r.finished,
      updatedAt: r.updatedAt,
    };
  });
  return {
    at: new Date(t).toISOString(),
    redis: { version: facts.version, usedMemoryBytes: facts.usedMemoryBytes },
    workersActive: value.status.workersActive,
    imagesPerHour: workers.filter((w) => w.active).reduce((s, w) => s + w.imagesPerHour, 0),
    workers,
    runs,
    failures: {
      images: runs.reduce((s, r) => s + r.failed, 0),
      chunks: Object.values(value.status.queues).reduce((s, q) => s + q.failed, 0),
    },
  };
}

/** Put failed chunks back in line (all runs, or one). Returns how many. */
export async function queueRetry(a: QueueAddress, runId?: string): Promise<number> {
  const { value } = await withQueues(a, async (qs) => {
    let n = 0;
    for (const q of qs)
      for (const job of await q.getJobs(['failed'])) {
        if (!job || (runId && job.data?.runId !== runId)) continue;
        await job.retry('failed');
        n++;
      }
    return n;
  });
  return value;
}

/** Forget finished runs (or one run): their status and any jobs left of them. Images stay in their folders. */
export async function queueGc(a: QueueAddress, runId?: string): Promise<{ runs: string[]; jobs: number }> {
  const { value } = await withQueues(a, async (qs, redis) => {
    const runs = Object.values(await redis.hgetall(KEYS.runs)).map((s) => JSON.parse(s) as RunStatus);
    const gone = runs.filter((r) => (runId ? r.runId === runId : r.finished)).map((r) => r.runId);
    let jobs = 0;
    for (const q of qs)
      for (const job of await q.getJobs(['failed', 'completed', 'waiting', 'delayed'])) {
        if (job && gone.includes(String(job.data?.runId))) {
          await job.remove();
          jobs++;
        }
      }
    if (gone.length) await redis.hdel(KEYS.runs, ...gone);
    // Workers whose heartbeat key expired.
    for (const id of await redis.zrangebyscore(KEYS.workers, '0', String(Date.now() - WORKER_ACTIVE_MS * 4)))
      if (!(await redis.exists(KEYS.worker(id)))) await redis.zrem(KEYS.workers, id);
    return { runs: gone, jobs };
  });
  return value;
}
