import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from 'citty';
import { GenreadyError } from '../../catalog/errors.ts';
import { createApp } from '../../server/app.ts';
import { productionDeps } from '../../server/deps.ts';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopback, listen, loopbackHostnames } from '../../server/node.ts';
import { reviewRoutes } from '../../server/review.ts';
import { ensureWebBuilt } from '../../server/web-build.ts';
import { num, rejectUnknownFlags } from '../_args.ts';
import { color } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  port: { type: 'string', description: `port (default ${DEFAULT_PORT}; 0 picks a free one)` },
  host: { type: 'string', description: `address to bind (default ${DEFAULT_HOST}: this machine only)` },
  api: { type: 'boolean', description: 'serve the HTTP API only, without building or serving the dashboard' },
  open: { type: 'boolean', description: 'open the dashboard in the default browser' },
  run: {
    type: 'string',
    description: 'run folder(s) of `genready run` to review in the gallery at /review (comma-separated)',
  },
  queue: {
    type: 'string',
    description: 'show the queue of `genready run --queue` (Redis URL, or GENREADY_QUEUE_URL) in a read-only panel',
  },
} as const;

export const serveCommand = defineCommand({
  meta: { name: 'serve', description: 'The dashboard and the HTTP API on http://127.0.0.1:7860/' },
  args,
  async run({ args: a, rawArgs, data }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    // An empty value ("--run ''", a variable that was never set) is a mistake, not "not given".
    for (const name of ['port', 'host', 'run'] as const) {
      const v = a[name];
      if (v !== undefined && String(v).replace(/,/g, '').trim() === '')
        throw new GenreadyError(
          'empty-value',
          `--${name} needs a value${name === 'run' ? ': a run folder, or several separated by commas' : ''}`,
        );
    }
    const port = num('port', a.port) ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new GenreadyError('bad-port', `--port must be 0–65535, got ${a.port}`);
    const host = a.host ? String(a.host) : DEFAULT_HOST;
    const loopback = isLoopback(host);
    if (!loopback) {
      process.stderr.write(
        color.yellow(
          `genready: warning: listening on ${host}: anyone who can reach this address can use the API and see this machine's hardware (GET /api/check). There is no authentication.\n`,
        ),
      );
    }
    let webRoot: string | null = null;
    if (!a.api) {
      // A read-only install (a global package owned by root) builds into the temp folder instead.
      const web = await ensureWebBuilt().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EACCES' && err.code !== 'EROFS' && err.code !== 'EPERM') throw err;
        return ensureWebBuilt({ out: join(tmpdir(), `genready-web-${process.getuid?.() ?? 'user'}`) });
      });
      if (web.built) out.text(color.dim('built the dashboard (dist/web)'));
      webRoot = web.out;
    }
    const runs = a.run
      ? String(a.run)
          .split(',')
          .map((d) => d.trim())
          .filter(Boolean)
      : [];
    for (const d of runs)
      if (!existsSync(d) || !statSync(d).isDirectory())
        throw new GenreadyError('no-run', `--run: ${d} is not a folder`);
    // Checked once now (reachable, noeviction), so a wrong URL is one line at start, not a broken panel.
    const queue =
      a.queue === undefined ? null : await import('../../queue/url.ts').then((m) => m.resolveQueueUrl(a.queue));
    const panel = queue ? await import('../../queue/admin.ts').then((m) => m.queuePanel) : null;
    if (queue && panel) await panel(queue);
    const app = createApp({
      deps: { ...productionDeps(), ...(queue && panel ? { queue: () => panel(queue) } : {}) },
      webRoot,
      ...(loopback ? { allowedHostnames: loopbackHostnames(host) } : {}),
      ...(runs.length ? { extraRoutes: reviewRoutes({ runs }) } : {}),
    });
    const server = await listen(app, { host, port });
    out.text(
      `${color.bold('genready')} ${webRoot ? 'dashboard' : 'API'} on ${color.cyan(server.url)}  ${color.dim('(API under /api; Ctrl-C stops)')}`,
    );
    if (runs.length)
      out.text(
        `review gallery: ${color.cyan(`${server.url.replace(/\/$/, '')}/review`)}  ${color.dim('(j/k move, y keep, n reject)')}`,
      );
    if (queue) out.text(`queue panel: ${queue.redacted}  ${color.dim('(read-only; JSON at /api/queue)')}`);
    if (a.open && webRoot) openBrowser(server.url);
    // Run until interrupted, then close so the exit code is 0.
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
});

/** The platform's "open this URL" command; a failure only means the person opens it by hand. */
function openBrowser(url: string): void {
  const [cmd, ...args] =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url];
  try {
    const child = spawn(cmd!, args, { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`genready: could not open a browser; open ${url}\n`));
    child.unref();
  } catch {
    process.stderr.write(`genready: could not open a browser; open ${url}\n`);
  }
}
