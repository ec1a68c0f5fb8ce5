/**
 * The HTTP app: a fetch handler built from injected library functions, so tests run it in-process
 * (`app.request('/api/models')`) and only src/server/node.ts opens a port.
 *
 * Every answer is JSON or a dashboard file; every failure is `{ error: { status, code, message } }`
 * with a 4xx status (5xx only for bugs, without details).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { secureHeaders } from 'hono/secure-headers';
import { sameOriginOnly } from './_origin.ts';
import { apiRoutes } from './api.ts';
import { type ErrorBody, errorBody, HttpError } from './errors.ts';
import { loadStatic } from './static.ts';
import type { AppOptions } from './types.ts';

export type { AppOptions, ServerDeps } from './types.ts';

const DEFAULT_BODY_LIMIT = 64 * 1024;

/** The host a request was addressed to (node-server builds the URL from the Host header); "[::1]" → "::1". */
const hostnameOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();

export function createApp(opts: AppOptions): Hono {
  const { deps } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = new Hono();
  const send = (c: { json: (b: ErrorBody, s: never) => Response }, body: ErrorBody) =>
    c.json(body, body.error.status as never);
  const limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  const tooLarge = () => new HttpError(413, 'body-too-large', `the body is larger than ${limit} bytes`);

  app.onError((err, c) => {
    // hono's own exceptions (body limit) carry a status; map them into our error shape.
    if (err instanceof HTTPException) {
      const status = err.status;
      const body =
        status === 413
          ? errorBody(tooLarge())
          : { error: { status, code: 'http', message: err.message || 'bad request' } };
      return send(c, body);
    }
    const body = errorBody(err);
    if (body.error.code === 'internal')
      log(
        `genready serve: ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    return send(c, body);
  });

  app.notFound((c) =>
    send(
      c,
      errorBody(
        new HttpError(
          404,
          'not-found',
          `nothing at ${c.req.method} ${c.req.path.slice(0, 200)}${c.req.path.startsWith('/api') ? '; GET /api lists the routes' : ''}`,
        ),
      ),
    ),
  );

  if (opts.allowedHostnames) {
    const allowed = new Set(opts.allowedHostnames.map((h) => h.toLowerCase()));
    app.use('*', async (c, next) => {
      const host = hostnameOf(c.req.url);
      if (!allowed.has(host))
        throw new HttpError(
          403,
          'bad-host',
          `this server answers to ${[...allowed].join(', ')}, not "${host.slice(0, 100)}"`,
        );
      await next();
    });
  }

  app.use(
    '*',
    secureHeaders({
      // Everything the dashboard needs is served from here; chart.js sets canvas sizes as inline styles.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  );
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        c.json(
          errorBody(
            new HttpError(405, 'method-not-allowed', `${c.req.method} is not allowed here; use ${methods.join(', ')}`),
          ),
          405,
          { Allow: methods.join(', ') },
        ),
    }),
  );
  // Every route group, the API and any mounted later, reads at most `limit` bytes of a body.
  app.use(
    '*',
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw tooLarge();
      },
    }),
  );
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  // A page elsewhere may not post to any route of this server (the review marks change files).
  app.use('/api/*', async (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : sameOriginOnly(c, next),
  );

  app.route('/api', apiRoutes(deps));
  opts.extraRoutes?.(app);

  if (opts.webRoot) {
    const files = loadStatic(opts.webRoot);
    // One route per file, so any other path is a 404 and any other method a 405.
    for (const [path, f] of files) {
      // The build rewrites these files in place; a browser revalidates rather than keeping a stale copy.
      app.get(path, (c) =>
        c.body(f.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': f.type, 'Cache-Control': 'no-cache' }),
      );
    }
  }
  return app;
}
