/**
 * Where models built from checkpoints live: `<cache>/checkpoints/<key>/`, an ONNX export folder
 * (the layout src/runner/model-folder.ts reads) with a manifest written last. The cache root is the
 * bench's model cache root (`$GENREADY_CACHE_DIR`, else the platform cache directory + `/genready`;
 * src/bench/cache.ts), in a room of its own.
 *
 * An entry is built in a temporary sibling folder and renamed into place when complete, so a
 * conversion killed at any moment leaves no entry (only a temporary folder, removed by the next
 * build); an entry whose files disagree with its manifest is rebuilt.
 *
 * File hashes (a checkpoint's sha256 takes seconds per gigabyte) are remembered by path, size and
 * modification time in `<cache>/checkpoints/hashes.json`, so a later run starts without re-reading.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { a1111Hashes, type FileHashes } from '../checkpoint/hash.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { defaultCacheDir } from '../probe/system.ts';
import type { Platform } from '../probe/types.ts';
import { modelFiles } from './model-folder.ts';
import type { ModelIdentity } from './ports.ts';

/** Bump when the conversion or the graph builder's output changes for the same checkpoint: old entries stop matching. */
// 2: OpenCLIP text encoders (SD 2.x, SDXL's second) with exact gelu instead of quick_gelu.
export const CHECKPOINT_BUILD_VERSION = 2;

const MANIFEST = 'manifest.json';

const platform = (): Platform =>
  ['linux', 'darwin', 'win32'].includes(process.platform) ? (process.platform as Platform) : 'other';

export function checkpointCacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const root = env.GENREADY_CACHE_DIR || join(defaultCacheDir(platform(), env, homedir()), 'genready');
  return join(root, 'checkpoints');
}

export interface BuildManifest {
  version: number;
  key: string;
  /** What the key was made of, for people reading the cache. */
  source: Record<string, unknown>;
  createdAt: string;
  files: { name: string; bytes: number }[];
}

export function cacheKeyOf(parts: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ version: CHECKPOINT_BUILD_VERSION, ...parts }))
    .digest('hex')
    .slice(0, 24);
}

function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile() && r !== MANIFEST) out.push(r);
  }
  return out.sort();
}

/** A complete entry: its manifest names this key and every file is there with its size. */
export function cachedEntry(root: string, key: string): string | null {
  const dir = join(root, key);
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as BuildManifest;
    if (m.version !== CHECKPOINT_BUILD_VERSION || m.key !== key || !Array.isArray(m.files)) return null;
    for (const f of m.files) if (statSync(join(dir, f.name)).size !== f.bytes) return null;
    return dir;
  } catch {
    return null;
  }
}

/**
 * The entry for `key`: reused when complete, else built by `build(dir)` into a temporary folder
 * that is renamed into place only when every file and the manifest are written.
 */
export async function ensureEntry(
  root: string,
  key: string,
  source: Record<string, unknown>,
  build: (dir: string) => Promise<void>,
): Promise<{ dir: string; built: boolean }> {
  const hit = cachedEntry(root, key);
  if (hit) return { dir: hit, built: false };
  mkdirSync(root, { recursive: true });
  // Temporary folders of killed builds of this key (any process) go first.
  for (const e of readdirSync(root))
    if (e.startsWith(`.${key}.`)) rmSync(join(root, e), { recursive: true, force: true });
  const tmp = join(root, `.${key}.${process.pid}.tmp`);
  const dir = join(root, key);
  try {
    await build(tmp);
    const manifest: BuildManifest = {
      version: CHECKPOINT_BUILD_VERSION,
      key,
      source,
      createdAt: new Date().toISOString(),
      files: listFiles(tmp).map((name) => ({ name, bytes: statSync(join(tmp, name)).size })),
    };
    writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // A damaged entry under the final name is replaced as a whole.
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, built: true };
}

type HashMemo = Record<string, { bytes: number; mtimeMs: number; hashes: FileHashes }>;

/** A1111's hashes of a file, remembered by path, size and modification time. */
export function fileHashes(path: string, root: string = checkpointCacheRoot()): FileHashes {
  const st = statSync(path);
  const memoPath = join(root, 'hashes.json');
  let memo: HashMemo = {};
  try {
    memo = JSON.parse(readFileSync(memoPath, 'utf8')) as HashMemo;
  } catch {
    // No memo yet, or a damaged one: hash again.
  }
  const hit = memo[path];
  if (hit && hit.bytes === st.size && hit.mtimeMs === st.mtimeMs) return hit.hashes;
  const hashes = a1111Hashes(path);
  memo[path] = { bytes: st.size, mtimeMs: st.mtimeMs, hashes };
  try {
    mkdirSync(root, { recursive: true });
    writeFileAtomic(memoPath, `${JSON.stringify(memo)}\n`);
  } catch {
    // A memo that cannot be written costs a re-hash next time, nothing else.
  }
  return hashes;
}

/**
 * A folder's identity as `hashModelFolder` computes it (sha256 of "path sha256" lines, first 10
 * digits), each file's hash remembered like a single file's, so a later run re-reads nothing.
 */
export function folderHashes(dir: string, root: string = checkpointCacheRoot()): ModelIdentity {
  const files = modelFiles(dir).map((rel) => {
    const path = join(dir, rel);
    const h = fileHashes(path, root);
    return { path: rel, bytes: h.bytes, sha256: h.sha256, mtimeMs: statSync(path).mtimeMs };
  });
  const hash = createHash('sha256')
    .update(files.map((f) => `${f.path} ${f.sha256}\n`).join(''))
    .digest('hex')
    .slice(0, 10);
  return { hash, files };
}
