/**
 * The only place that opens a port. Binds 127.0.0.1 unless told otherwise, and on loopback answers
 * only to loopback host names (a page elsewhere cannot reach it through DNS rebinding).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { GenreadyError } from '../catalog/errors.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7860;
export const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];

export const isLoopback = (host: string) => /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);

/**
 * The host names a loopback server answers to: the usual loopback names and the address it was
 * bound to (127.0.0.2 is loopback too, and the URL printed for it must answer).
 */
export function loopbackHostnames(boundHost: string): readonly string[] {
  const own = boundHost.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_HOSTNAMES.includes(own) ? LOOPBACK_HOSTNAMES : [...LOOPBACK_HOSTNAMES, own];
}

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listen; port 0 picks a free one. A port in use is an expected failure (GenreadyError), not a crash. */
export function listen(app: Pick<Hono, 'fetch'>, opts: { host?: string; port?: number } = {}): Promise<Listening> {
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port });
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${port} is in use; choose another with --port (0 picks a free one)`
          : err.code === 'EACCES'
            ? `no permission to listen on port ${port}`
            : err.code === 'EADDRNOTAVAIL'
              ? `this machine has no address ${host}`
              : err.message;
      reject(new GenreadyError('listen-failed', `cannot listen on ${host}:${port}: ${why}`, { cause: err }));
    });
    server.once('listening', () => {
      const a = server.address() as AddressInfo;
      const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        url: `http://${shown}:${a.port}/`,
        port: a.port,
        close: () =>
          new Promise<void>((done) => {
            // Keep-alive connections (a browser tab) would otherwise hold the process open.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}
