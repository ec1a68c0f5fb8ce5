/**
 * The queue's address: `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS, or
 * `unix:///path/to/redis.sock` (tests, one machine), from `--queue` or `GENREADY_QUEUE_URL`. The
 * password never leaves this module except inside the connection options: every message uses
 * `redacted`, which shows `***` in its place.
 */
import type { RedisOptions } from 'ioredis';
import { QueueError } from './errors.ts';

export const QUEUE_URL_ENV = 'GENREADY_QUEUE_URL';

export interface QueueAddress {
  /** For messages and logs: the URL with the password replaced by `***`. */
  redacted: string;
  host: string;
  port: number;
  /** Unix socket path (instead of host/port). */
  path?: string;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

const DEFAULT_PORT = 6379;

/** Parse a queue URL; errors never echo the password. */
export function parseQueueUrl(raw: string): QueueAddress {
  const text = raw.trim();
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    // The raw text may hold a password: show only its scheme and length.
    throw new QueueError(
      'bad-queue-url',
      `the queue URL is not a URL (${text.split(':')[0] || 'empty'}:…, ${text.length} characters); expected redis://[:password@]host:port[/db]`,
    );
  }
  const scheme = u.protocol.replace(/:$/, '');
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const redactedOf = (rest: string) =>
    `${scheme}://${username || password ? `${username ?? ''}${password ? ':***' : ''}@` : ''}${rest}`;
  if (scheme === 'unix') {
    if (!u.pathname || u.pathname === '/')
      throw new QueueError('bad-queue-url', 'a unix queue URL names the socket: unix:///path/to/redis.sock');
    const db = dbOf(u.searchParams.get('db') ?? '0', redactedOf(u.pathname));
    return {
      redacted: redactedOf(u.pathname),
      host: '',
      port: 0,
      path: decodeURIComponent(u.pathname),
      db,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      tls: false,
    };
  }
  if (scheme !== 'redis' && scheme !== 'rediss')
    throw new QueueError(
      'bad-queue-url',
      `the queue URL must start with redis:// or rediss:// (TLS), got ${scheme}://`,
    );
  if (!u.hostname) throw new QueueError('bad-queue-url', `the queue URL names no host: ${redactedOf('')}`);
  const port = u.port ? Number(u.port) : DEFAULT_PORT;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const where = `${u.hostname}:${port}`;
  const path = u.pathname.replace(/^\//, '');
  const redacted = redactedOf(`${where}${path ? `/${path}` : ''}`);
  const db = dbOf(path || '0', redacted);
  return {
    redacted,
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: scheme === 'rediss',
  };
}

function dbOf(s: string, redacted: string): number {
  const db = Number(s);
  if (!/^\d+$/.test(s) || db > 15)
    throw new QueueError('bad-queue-url', `${redacted}: the database must be a number from 0 to 15, got "${s}"`);
  return db;
}

/** `--queue` wins over GENREADY_QUEUE_URL; neither given is a one-line error. */
export function resolveQueueUrl(flag: unknown, env: NodeJS.ProcessEnv = process.env): QueueAddress {
  const fromFlag = typeof flag === 'string' && flag.trim() !== '' ? flag : undefined;
  const raw = fromFlag ?? env[QUEUE_URL_ENV];
  if (!raw || raw.trim() === '')
    throw new QueueError(
      'no-queue',
      `give the queue: --queue redis://host:6379 or ${QUEUE_URL_ENV}=redis://:password@host:6379 (keeps the password out of the process list)`,
    );
  return parseQueueUrl(raw);
}

/** ioredis options for an address (the only place the password is handed on). */
export function redisOptions(a: QueueAddress, extra: RedisOptions = {}): RedisOptions {
  return {
    ...(a.path ? { path: a.path } : { host: a.host, port: a.port }),
    db: a.db,
    ...(a.username ? { username: a.username } : {}),
    ...(a.password ? { password: a.password } : {}),
    ...(a.tls ? { tls: { servername: a.host } } : {}),
    ...extra,
  };
}
