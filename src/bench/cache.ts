/**
 * The model cache: generated ONNX graphs under the user's cache directory, keyed by everything that
 * determines their bytes (builder format, architecture, dtype, seed), reused across runs.
 *
 * A cache entry is trusted only if its manifest (written last, atomically) lists every file with
 * the size and sha256 computed while writing, and the files on disk still match. Anything else
 * (a crash mid-write, a truncated or edited file, a foreign file) is rebuilt, and the reason said.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { buildGraph, type DType, type GraphArch, writeOnnxModelFiles } from '../graph/index.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { defaultCacheDir } from '../probe/system.ts';
import type { Platform } from '../probe/types.ts';
import { BenchError } from './errors.ts';

/** Bump when the graph builder's output changes for the same architecture: old entries stop matching. */
export const GRAPH_FORMAT = 1;

const MANIFEST = 'manifest.json';
const MODEL = 'model.onnx';

const manifestSchema = z.object({
  format: z.literal(GRAPH_FORMAT),
  key: z.string(),
  kind: z.string(),
  dtype: z.enum(['float32', 'float16']),
  seed: z.number(),
  parameters: z.number(),
  createdAt: z.string(),
  files: z.array(z.object({ name: z.string(), bytes: z.number(), sha256: z.string() })).min(1),
});
export type Manifest = z.infer<typeof manifestSchema>;

const platform = (): Platform =>
  ['linux', 'darwin', 'win32'].includes(process.platform) ? (process.platform as Platform) : 'other';

/** `$GENREADY_CACHE_DIR`, else the platform cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux) + `/genready`. */
export function cacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.GENREADY_CACHE_DIR || join(defaultCacheDir(platform(), env, homedir()), 'genready');
}

export function cacheKey(arch: GraphArch, dtype: DType, seed: number): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: GRAPH_FORMAT, arch, dtype, seed }))
    .digest('hex')
    .slice(0, 16);
}

export interface CachedModel {
  path: string;
  dir: string;
  parameters: number;
  /** `reused`: verified entry; `built`: none existed; `rebuilt`: one existed but failed verification (`reason`). */
  status: 'reused' | 'built' | 'rebuilt';
  reason?: string;
  bytes: number;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 8 * 2 ** 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export type Verification = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** Check an entry against its manifest: every file present, of the recorded size and sha256. */
export async function verifyEntry(dir: string, key: string): Promise<Verification> {
  const mpath = join(dir, MANIFEST);
  if (!existsSync(mpath)) return { ok: false, reason: 'no manifest (an interrupted build)' };
  let manifest: Manifest;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(mpath, 'utf8')));
    if (!parsed.success) return { ok: false, reason: 'manifest is not a genready cache manifest of this format' };
    manifest = parsed.data;
  } catch {
    return { ok: false, reason: 'manifest is not valid JSON' };
  }
  if (manifest.key !== key) return { ok: false, reason: 'manifest belongs to another model' };
  for (const f of manifest.files) {
    const p = join(dir, f.name);
    if (!existsSync(p)) return { ok: false, reason: `${f.name} is missing` };
    const size = statSync(p).size;
    if (size !== f.bytes) return { ok: false, reason: `${f.name} is ${size} bytes, ${f.bytes} expected` };
    if ((await sha256File(p)) !== f.sha256) return { ok: false, reason: `${f.name} does not match its checksum` };
  }
  return { ok: true, manifest };
}

function ensureDiskSpace(dir: string, bytes: number): void {
  try {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    // Room for the model plus its temporary file during the rename.
    if (free < bytes * 1.05 + 64 * 2 ** 20) {
      throw new BenchError(
        'disk-full',
        `building this model needs ${(bytes / 1e9).toFixed(1)} GB in ${dir}, ${(free / 1e9).toFixed(1)} GB free (set GENREADY_CACHE_DIR to another disk)`,
      );
    }
  } catch (err) {
    if (err instanceof BenchError) throw err;
    // statfs is unavailable on some filesystems: let the write itself fail if space runs out.
  }
}

export interface EnsureOptions {
  dtype: DType;
  seed: number;
  root?: string;
  /** Called before a build starts (a progress line for models that take a while to write). */
  onBuild?: (info: { parameters: number; bytes: number; reason?: string }) => void;
  externalThresholdBytes?: number;
}

/** The cached model for an architecture: verified and reused, or (re)built. */
export async function ensureModel(arch: GraphArch, opts: EnsureOptions): Promise<CachedModel> {
  const key = cacheKey(arch, opts.dtype, opts.seed);
  const dir = join(opts.root ?? cacheRoot(), 'graphs', `${arch.kind}-${opts.dtype}-${key}`);
  const path = join(dir, MODEL);
  let reason: string | undefined;
  if (existsSync(dir)) {
    const v = await verifyEntry(dir, key);
    if (v.ok)
      return {
        path,
        dir,
        parameters: v.manifest.parameters,
        status: 'reused',
        bytes: v.manifest.files.reduce((s, f) => s + f.bytes, 0),
      };
    reason = v.reason;
    // Never trusted again: remove the whole entry before rebuilding it.
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const g = buildGraph(arch, opts.dtype);
  ensureDiskSpace(dir, g.weightBytes);
  opts.onBuild?.({ parameters: g.parameters, bytes: g.weightBytes, ...(reason ? { reason } : {}) });
  let written: Awaited<ReturnType<typeof writeOnnxModelFiles>>;
  try {
    written = await writeOnnxModelFiles(arch, path, {
      seed: opts.seed,
      dtype: opts.dtype,
      ...(opts.externalThresholdBytes !== undefined ? { externalThresholdBytes: opts.externalThresholdBytes } : {}),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC')
      throw new BenchError('disk-full', `the disk holding ${dir} filled up while writing the model`, { cause: err });
    throw err;
  }
  const manifest: Manifest = {
    format: GRAPH_FORMAT,
    key,
    kind: arch.kind,
    dtype: opts.dtype,
    seed: opts.seed,
    parameters: written.parameters,
    createdAt: new Date().toISOString(),
    files: written.files.map((f) => ({ name: f.path.slice(dir.length + 1), bytes: f.bytes, sha256: f.sha256 })),
  };
  writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    path,
    dir,
    parameters: written.parameters,
    status: reason ? 'rebuilt' : 'built',
    ...(reason ? { reason } : {}),
    bytes: manifest.files.reduce((s, f) => s + f.bytes, 0),
  };
}
