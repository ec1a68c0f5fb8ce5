/**
 * The review gallery of `genready run`: routes over run folders the server was started with, for a
 * person to look at each image with its parameters and mark it keep or reject. Mount with
 * `createApp({ …, extraRoutes: reviewRoutes({ runs: ['out/'] }) })`.
 *
 *   GET  /review                          the gallery page (src/web/review.html)
 *   GET  /review.js                       its script (src/web/review.ts, compiled on first request)
 *   GET  /api/review/runs                 [{ id, name, images, keep, reject }]
 *   GET  /api/review/runs/:id             { id, name, images: [{ index, file, prompt, …, mark }] }
 *   GET  /api/review/runs/:id/image/:file a PNG of that run
 *   POST /api/review/runs/:id/marks       { index, mark: "keep" | "reject" | null }
 *
 * A run is named by its position in the list given at start, never by a path from the request; an
 * image is served only when its name is one the run's manifest records and it resolves inside the
 * run folder, so no request can read any other file. Messages name a run by its folder's name, never
 * by its absolute path (a reviewer on another machine learns nothing of this one's layout). Marks
 * are changed only by a same-origin JSON request: a page elsewhere cannot post a form or a
 * text/plain body without a CORS preflight, which this server never grants.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { GenreadyError } from '../catalog/errors.ts';
import { type ManifestEntry, readManifest } from '../runner/manifest.ts';
import { readReview, setMark } from '../runner/review.ts';
import { jsonBody } from './_body.ts';
import { sameOriginOnly } from './_origin.ts';
import { HttpError } from './errors.ts';

const WEB = fileURLToPath(new URL('../web', import.meta.url));

export interface ReviewOptions {
  /** Run folders (each holding a manifest.jsonl). */
  runs: readonly string[];
}

const markBody = z.strictObject({ index: z.number().int().min(0), mark: z.enum(['keep', 'reject']).nullable() });

/**
 * A library failure (a damaged manifest or review file) with every absolute path in its message
 * replaced: the run folder by its name, anything else by its last component.
 */
function opaque(err: unknown, runs: readonly string[]): unknown {
  if (!(err instanceof GenreadyError)) return err;
  let message = err.message;
  for (const d of runs)
    message = message
      .split(d + sep)
      .join(`${basename(d)}/`)
      .split(d)
      .join(basename(d));
  message = message.replace(/(?<![\w.])(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'"]+)+[\\/]([^\s\\/:'"]+)/g, '…/$1');
  return new GenreadyError(err.code, message);
}

function runAt(runs: readonly string[], id: string): string {
  if (!/^\d{1,4}$/.test(id) || Number(id) >= runs.length)
    throw new HttpError(404, 'no-run', `no run ${id.slice(0, 20)}; GET /api/review/runs lists them`);
  return runs[Number(id)]!;
}

function imagesOf(dir: string) {
  const marks = readReview(dir).marks;
  return [...readManifest(dir).values()]
    .sort((a, b) => a.index - b.index)
    .map((e: ManifestEntry) => ({
      index: e.index,
      file: e.file,
      prompt: e.prompt,
      negativePrompt: e.negativePrompt,
      seed: e.seed,
      steps: e.steps,
      guidance: e.guidance,
      sampler: e.sampler,
      width: e.width,
      height: e.height,
      model: e.model.name,
      modelHash: e.model.hash,
      ...(e.redoOf !== undefined ? { redoOf: e.redoOf } : {}),
      mark: marks[String(e.index)] ?? null,
    }));
}

let script: Promise<string> | null = null;
/** The page script is TypeScript without imports; esbuild strips the types once, on first use. */
function reviewScript(): Promise<string> {
  script ??= import('esbuild').then(
    async ({ transform }) =>
      (await transform(readFileSync(join(WEB, 'review.ts'), 'utf8'), { loader: 'ts', target: 'es2020' })).code,
  );
  return script;
}

export function reviewRoutes(opts: ReviewOptions): (app: Hono) => void {
  const runs = opts.runs.map((d) => resolve(d));
  for (const d of runs)
    if (!existsSync(d) || !statSync(d).isDirectory())
      throw new GenreadyError('no-run', `run folder ${d} does not exist`);
  const safe =
    (fn: (c: Context) => Response | Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      try {
        return await fn(c);
      } catch (err) {
        throw opaque(err, runs);
      }
    };
  return (app) => {
    app.get('/review', (c) =>
      c.html(readFileSync(join(WEB, 'review.html'), 'utf8'), 200, { 'Cache-Control': 'no-cache' }),
    );
    app.get('/review.js', async (c) =>
      c.body(await reviewScript(), 200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
      }),
    );
    app.get(
      '/api/review/runs',
      safe((c) =>
        c.json(
          runs.map((d, id) => {
            const imgs = imagesOf(d);
            return {
              id: String(id),
              name: basename(d),
              images: imgs.length,
              keep: imgs.filter((i) => i.mark === 'keep').length,
              reject: imgs.filter((i) => i.mark === 'reject').length,
            };
          }),
        ),
      ),
    );
    app.get(
      '/api/review/runs/:id',
      safe((c) => {
        const dir = runAt(runs, c.req.param('id') ?? '');
        return c.json({ id: c.req.param('id') ?? '', name: basename(dir), images: imagesOf(dir) });
      }),
    );
    app.get(
      '/api/review/runs/:id/image/:file',
      safe((c) => {
        const dir = runAt(runs, c.req.param('id') ?? '');
        const file = c.req.param('file') ?? '';
        const known = [...readManifest(dir).values()].some((e) => e.file === file);
        if (!known || basename(file) !== file || file.includes('..'))
          throw new HttpError(404, 'no-image', 'no such image in this run');
        const path = join(dir, file);
        // Belt and braces: the real path (symlinks resolved) must still be inside the run folder.
        if (!existsSync(path) || !realpathSync(path).startsWith(realpathSync(dir) + sep))
          throw new HttpError(404, 'no-image', 'no such image in this run');
        return c.body(new Uint8Array(readFileSync(path)), 200, {
          'Content-Type': 'image/png',
          'Cache-Control': 'no-cache',
        });
      }),
    );
    app.post(
      '/api/review/runs/:id/marks',
      sameOriginOnly,
      safe(async (c) => {
        const dir = runAt(runs, c.req.param('id') ?? '');
        // The API's own body reader: Content-Type must be application/json (forms and text/plain,
        // which a page elsewhere can send without a preflight, are refused with 415).
        const body = await jsonBody(c);
        const r = markBody.safeParse(body);
        if (!r.success)
          throw new HttpError(
            422,
            'bad-mark',
            `body: ${r.error.issues[0]!.path.join('.') || '(body)'}: ${r.error.issues[0]!.message}; expected { "index": 3, "mark": "keep" | "reject" | null }`,
          );
        if (!readManifest(dir).has(r.data.index))
          throw new HttpError(404, 'no-image', `run has no image ${r.data.index}`);
        const review = setMark(dir, r.data.index, r.data.mark);
        return c.json({ index: r.data.index, mark: r.data.mark, marks: review.marks });
      }),
    );
  };
}
