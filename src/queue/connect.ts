/**
 * Opening Redis for the queue: a checked first contact with a deadline (never a hang), the
 * `maxmemory-policy` rule, and the connection BullMQ uses afterwards.
 *
 * BullMQ keeps jobs as ordinary Redis keys: under any eviction policy but `noeviction`, Redis drops
 * them when memory runs short and work silently disappears (BullMQ's "Going to production" guide
 * says to set `maxmemory-policy noeviction`). The store would still redo the lost images, but a
 * Redis that evicts is a misconfiguration worth one clear line instead of mysterious slowness.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { QueueError } from './errors.ts';
import { type QueueAddress, redisOptions } from './url.ts';

export const DEFAULT_CONNECT_DEADLINE_MS = 5000;

export interface RedisFacts {
  version: string;
  maxmemoryPolicy: string;
  usedMemoryBytes: number;
}

/** `INFO` text → field map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** One line for a failed contact; never the password (ioredis messages carry host and port at most). */
function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = String(e?.message ?? err).split('\n')[0]!;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(msg))
    return 'Redis refused the credentials (check the password in the URL)';
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

/**
 * Connect once with a deadline, check the server, and close. Throws a QueueError naming the
 * (redacted) address when Redis cannot be reached in time or evicts keys.
 */
export async function checkRedis(a: QueueAddress, deadlineMs = DEFAULT_CONNECT_DEADLINE_MS): Promise<RedisFacts> {
  const client = new Redis(
    redisOptions(a, {
      lazyConnect: true,
      connectTimeout: deadlineMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    }),
  );
  // The awaited calls fail with "Connection is closed"; the first error event says why.
  let first: unknown;
  client.on('error', (e) => {
    first ??= e;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${(deadlineMs / 1000).toFixed(1)} s`)), deadlineMs);
  });
  try {
    const info = await Promise.race([
      (async () => {
        await client.connect();
        return parseInfo(String(await client.info()));
      })(),
      deadline,
    ]);
    const facts: RedisFacts = {
      version: info.redis_version ?? 'unknown',
      maxmemoryPolicy: info.maxmemory_policy ?? 'unknown',
      usedMemoryBytes: Number(info.used_memory ?? 0),
    };
    if (facts.maxmemoryPolicy !== 'noeviction')
      throw new QueueError(
        'redis-evicts',
        `Redis at ${a.redacted} has maxmemory-policy ${facts.maxmemoryPolicy}; the queue needs noeviction (evicted jobs are lost work): set "maxmemory-policy noeviction" in redis.conf or run CONFIG SET maxmemory-policy noeviction`,
      );
    return facts;
  } catch (err) {
    if (err instanceof QueueError) throw err;
    const why = first && /Connection is closed/.test(String((err as Error)?.message)) ? first : err;
    throw new QueueError('redis-unreachable', `cannot reach Redis at ${a.redacted}: ${reason(why)}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * The connection BullMQ workers and queues use after the check: retries forever with a capped
 * back-off (BullMQ requires `maxRetriesPerRequest: null` for workers); callers bound the wait
 * themselves with their own deadlines.
 */
export function queueConnection(a: QueueAddress, extra: RedisOptions = {}): Redis {
  const r = new Redis(
    redisOptions(a, {
      maxRetriesPerRequest: null,
      connectTimeout: DEFAULT_CONNECT_DEADLINE_MS,
      retryStrategy: (times) => Math.min(200 * times, 2000),
      ...extra,
    }),
  );
  // Disconnections are expected (Redis restarted, network cut); the owners watch `ready`/`close`.
  r.on('error', () => {});
  return r;
}
