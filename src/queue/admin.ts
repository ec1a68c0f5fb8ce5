/** `genready queue status|workers|retry|gc`: read and tidy what the queue holds. Never touches images. */
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

export async function queueStatus(a: QueueAddress): Promise<QueueStatus> {
  const { facts, value } = await withQueues(a, async (qs, redis) => {
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
  });
  return { ...value, redis: { version: facts.version, usedMemoryBytes: facts.usedMemoryBytes } };
}

export async function queueWorkers(a: QueueAddress): Promise<(WorkerStatus & { active: boolean })[]> {
  const { value } = await withQueues(a, async (_qs, redis) => {
    const ids = await redis.zrange(KEYS.workers, '0', '-1');
    const out: (WorkerStatus & { active: boolean })[] = [];
    for (const id of ids) {
      const s = await redis.get(KEYS.worker(id));
      if (!s) {
        // Heartbeat expired long ago: the worker is gone; forget it.
        await redis.zrem(KEYS.workers, id);
        continue;
      }
      const w = JSON.parse(s) as WorkerStatus;
      out.push({ ...w, active: Date.now() - Date.parse(w.lastBeat) < WORKER_ACTIVE_MS });
    }
    return out;
  });
  return value;
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
