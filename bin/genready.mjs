#!/usr/bin/env node
// Entry point. The CLI is always the code in src/: it runs from a bundle of src/ that esbuild
// builds on first use and rebuilds whenever a source file changes (a fingerprint of every file's
// size and mtime), because loading ~400 modules through tsx's hooks cost most of every command's
// time (issue 14). Packages stay external (node_modules, loaded by plain Node); each module's
// `import.meta.url` is kept as its source file's URL, so data paths resolve as they do unbundled.
// Without a writable cache, or with GENREADY_NO_BUNDLE=1, it runs the sources through tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'src');

function fingerprint() {
  const h = createHash('sha1').update(`${root}\0${process.version}\0`);
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mts|json)$/.test(e.name)) {
        const s = statSync(p);
        h.update(`${p}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(src);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json']) {
    try {
      const s = statSync(join(root, f));
      h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
    } catch {}
  }
  return h.digest('hex').slice(0, 16);
}

/** Keep each source module's own URL for `import.meta.url` (data files are found relative to it). */
const metaUrl = {
  name: 'source-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

/** How long a build of earlier sources is kept: far longer than any command takes to load its chunk. */
const STALE_BUILD_MS = 10 * 60 * 1000;

async function bundle(cache, id) {
  const dir = join(cache, id);
  try {
    statSync(join(dir, 'main.mjs'));
    return dir;
  } catch {}
  const { build } = await import('esbuild');
  const tmp = `${dir}.tmp-${process.pid}`;
  await build({
    entryPoints: { main: join(src, 'cli', 'main.ts') },
    bundle: true,
    // Each command stays its own chunk, so `--help` loads neither onnxruntime nor hono.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    plugins: [metaUrl],
    logLevel: 'silent',
  });
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process built the same sources first
  }
  // Builds of earlier sources go, but only once no process can still be starting from one: a
  // command loads its chunk after main.mjs, so deleting a build the moment the sources change broke
  // a `genready` started a moment before (seen as "Cannot find module …/chunk-….mjs").
  const now = Date.now();
  for (const old of readdirSync(cache)) {
    if (old === id || old.includes('.tmp-')) continue;
    const p = join(cache, old);
    try {
      if (now - statSync(p).mtimeMs > STALE_BUILD_MS) rmSync(p, { recursive: true, force: true });
    } catch {} // another process pruned it first
  }
  return dir;
}

let entry = null;
if (!process.env.GENREADY_NO_BUNDLE) {
  try {
    // GENREADY_BUNDLE_CACHE: another folder for the builds, inside the project so that packages resolve
    // (the tests' own, so they never prune the one in use).
    const cache = process.env.GENREADY_BUNDLE_CACHE || join(root, 'node_modules', '.cache', 'genready-cli');
    mkdirSync(cache, { recursive: true });
    entry = join(await bundle(cache, fingerprint()), 'main.mjs');
  } catch (err) {
    if (process.env.GENREADY_DEBUG)
      process.stderr.write(`genready: running from sources (no bundle: ${err.message})\n`);
  }
}
if (entry) await import(pathToFileURL(entry).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
