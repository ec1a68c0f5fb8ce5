/**
 * Builds the dashboard (src/web) into dist/web with esbuild: one bundled script (chart.js
 * included, nothing from a CDN), the page and its stylesheet. Run on first use (by `serve`
 * and the tests, through ensureWebBuilt) and again whenever the sources changed since the last build.
 *
 * Staleness is a hash of the sources, not file times: a fresh clone or a copied tree has
 * meaningless mtimes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const WEB_SRC = fileURLToPath(new URL('../web', import.meta.url));
export const WEB_DIST = fileURLToPath(new URL('../../dist/web', import.meta.url));
/** Library modules the dashboard bundles besides its own folder (the shared number formatting). */
const SHARED_SRC = [fileURLToPath(new URL('../text', import.meta.url))];
/** Files copied as they are; everything else under src/web is bundled from main.ts. */
const STATIC_FILES = ['index.html', 'style.css'];
const STAMP = 'build.json';

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** Hash of every source file of the dashboard and of the esbuild version that bundles it. */
export async function sourceHash(src = WEB_SRC): Promise<string> {
  const h = createHash('sha256');
  const { version } = await import('esbuild');
  h.update(`esbuild ${version}\n`);
  for (const dir of [src, ...(src === WEB_SRC ? SHARED_SRC : [])]) {
    for (const f of listFiles(dir).sort()) h.update(`${relative(src, f)}\n`).update(readFileSync(f));
  }
  return h.digest('hex').slice(0, 16);
}

function builtHash(out: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(out, STAMP), 'utf8')) as { hash?: string }).hash ?? null;
  } catch {
    return null;
  }
}

/** Bundle into a fresh folder and swap it in, so a server never reads a half-written build. */
export async function buildWeb(opts: { src?: string; out?: string } = {}): Promise<{ out: string; hash: string }> {
  const src = opts.src ?? WEB_SRC;
  const out = opts.out ?? WEB_DIST;
  const { build } = await import('esbuild');
  const hash = await sourceHash(src);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await build({
    entryPoints: [join(src, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    outfile: join(tmp, 'app.js'),
    logLevel: 'silent',
  });
  for (const f of STATIC_FILES) copyFileSync(join(src, f), join(tmp, f));
  writeFileSync(join(tmp, STAMP), `${JSON.stringify({ hash, builtAt: new Date().toISOString() })}\n`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, '..'), { recursive: true });
  renameSync(tmp, out);
  return { out, hash };
}

/** Build when dist/web is missing or older than the sources; returns whether it built. */
export async function ensureWebBuilt(
  opts: { src?: string; out?: string } = {},
): Promise<{ out: string; built: boolean }> {
  const src = opts.src ?? WEB_SRC;
  const out = opts.out ?? WEB_DIST;
  if (builtHash(out) === (await sourceHash(src))) return { out, built: false };
  await buildWeb({ src, out });
  return { out, built: true };
}

// `node --import tsx src/server/web-build.ts` (`npm run build:web`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { out, hash } = await buildWeb();
  process.stdout.write(`genready: dashboard built in ${relative(process.cwd(), out) || out} (${hash})\n`);
}
