/**
 * Test harness: a fresh `redis-server` per test (no config file, no persistence, a temp dir, a free
 * port) and a TCP proxy the test controls to cut the network between a worker and Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when a PING on the port is answered with PONG, or rejects after `ms`. */
async function waitPong(port: number, ms = 10_000, password?: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' });
      let buf = '';
      c.setTimeout(500, () => {
        c.destroy();
        resolve(false);
      });
      c.on('error', () => resolve(false));
      c.on('connect', () => c.write(`${password ? `AUTH ${password}\r\n` : ''}PING\r\n`));
      c.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('PONG')) {
          c.destroy();
          resolve(true);
        }
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
}

export interface TestRedis {
  port: number;
  url: string;
  /** Stop the server (SIGKILL: nothing saved; there is no persistence anyway). */
  kill(): Promise<void>;
  /** Start a new, empty server on the same port. */
  restart(): Promise<void>;
  /** Stop it and remove its folder. */
  stop(): Promise<void>;
  pid(): number | undefined;
}

export interface RedisStartOptions {
  policy?: string;
  password?: string;
}

/** A fresh redis-server on a free port, with `--save '' --appendonly no` in a temp dir. */
export async function startRedis(opts: RedisStartOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'genready-redis-'));
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxmemory-policy',
      opts.policy ?? 'noeviction',
      '--loglevel',
      'warning',
      ...(opts.password ? ['--requirepass', opts.password] : []),
    ];
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    await waitPong(port, 10_000, opts.password);
  };
  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };
  await launch();
  return {
    port,
    url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => proc?.pid,
  };
}

export interface TcpProxy {
  port: number;
  /**
   * Cut the network: `blackhole` keeps sockets open but forwards nothing (a partition: the peer
   * only notices by timeouts); `reset` closes every socket and refuses new ones.
   */
  cut(mode?: 'blackhole' | 'reset'): void;
  heal(): void;
  close(): Promise<void>;
}

/** A TCP proxy from a free port to `target` on 127.0.0.1. */
export async function startProxy(target: number): Promise<TcpProxy> {
  let state: 'open' | 'blackhole' | 'reset' = 'open';
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    if (state === 'reset') {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: target, host: '127.0.0.1' });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (d) => {
        if (state === 'open') to.write(d);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    port,
    cut(mode = 'blackhole') {
      state = mode;
      if (mode === 'reset') for (const pair of pairs) for (const s of pair) s.destroy();
    },
    heal() {
      // Sockets that lived through a black hole may hold half-forwarded commands: close them so
      // clients reconnect cleanly, as they would after a real partition's TCP timeouts.
      if (state === 'blackhole') for (const pair of pairs) for (const s of pair) s.destroy();
      state = 'open';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) for (const s of pair) s.destroy();
        server.close(() => resolve());
      }),
  };
}
