/**
 * The filesystem RunStore: a run is a folder holding the PNGs, `manifest.jsonl` (one line per
 * image), `run.json` (the run's identity) and, while a run is active, `.genready.lock`.
 *
 * Order of writes for each image: PNG (temp file, fsync, rename) → manifest line (append, fsync).
 * A kill between the two leaves a PNG without a line; it is made again (same bytes) and the rename
 * replaces it, so nothing is lost or counted twice.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.ts';
import { ensureDir, fileError, withFileErrors } from '../_files.ts';
import { RunnerError } from '../errors.ts';
import { type ManifestEntry, ManifestWriter, readManifest } from '../manifest.ts';
import type { RunInfo, RunSession, RunStore, WorkItem } from '../ports.ts';
import { readReview } from '../review.ts';
import { acquireRunLock, type HeldLock, ownerAlive } from './_lock.ts';

export const RUN_FILE = 'run.json';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Temp files that a killed run left behind: atomic writes (src/io/atomic.ts names them
 * `.NAME.PID.TIME.tmp`), and lock owners not yet linked (`.genready.lock.PID.HEX.tmp`) of processes
 * that are gone (a live one may be linking its own right now).
 */
function removeStaleTemps(dir: string): void {
  for (const f of readdirSync(dir)) {
    const lockTemp = /^\.genready\.lock\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
    if (lockTemp) {
      if (!ownerAlive({ pid: Number(lockTemp[1]), start: null })) rmSync(join(dir, f), { force: true });
    } else if (/^\..+\.\d+\.\d+\.tmp$/.test(f)) rmSync(join(dir, f), { force: true });
  }
}

/** The run folder's identity file, or null; a damaged one is an error (resuming blind would mix runs). */
export function readRunFile(dir: string): RunInfo | null {
  const p = join(dir, RUN_FILE);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunInfo;
  } catch {
    throw new RunnerError(
      'bad-run',
      `${p} is damaged; move the folder aside or delete ${RUN_FILE} to start the run anew`,
    );
  }
}

/** Whether the file holds exactly the recorded bytes (size first: cheap; then the sha256). */
export function fileMatches(path: string, e: Pick<ManifestEntry, 'bytes' | 'sha256'>): boolean {
  try {
    if (statSync(path).size !== e.bytes) return false;
    return sha256(readFileSync(path)) === e.sha256;
  } catch {
    return false;
  }
}

class FsRunSession implements RunSession {
  private entries: Map<number, ManifestEntry> | null = null;
  private readonly claimed = new Set<number>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly lock: HeldLock,
    private readonly writer: ManifestWriter,
  ) {}

  private records(): Map<number, ManifestEntry> {
    this.entries ??= readManifest(this.dir);
    return this.entries;
  }

  async readRun(): Promise<RunInfo | null> {
    return readRunFile(this.dir);
  }

  async writeRun(info: RunInfo): Promise<void> {
    const p = join(this.dir, RUN_FILE);
    withFileErrors('write', p, () => writeFileAtomic(p, `${JSON.stringify(info, null, 2)}\n`));
  }

  async readManifest(): Promise<Map<number, ManifestEntry>> {
    return new Map(this.records());
  }

  async done(): Promise<Map<number, ManifestEntry>> {
    const out = new Map<number, ManifestEntry>();
    for (const [i, e] of this.records()) if (fileMatches(join(this.dir, e.file), e)) out.set(i, e);
    return out;
  }

  async claim(candidates: readonly WorkItem[], max: number): Promise<WorkItem[]> {
    const out: WorkItem[] = [];
    for (const c of candidates) {
      if (out.length >= max) break;
      if (this.claimed.has(c.index)) continue;
      this.claimed.add(c.index);
      out.push(c);
    }
    return out;
  }

  async commit(
    item: WorkItem,
    png: Uint8Array,
    partial: Omit<ManifestEntry, 'sha256' | 'bytes'>,
  ): Promise<ManifestEntry> {
    if (this.closed) throw new Error('RunSession: commit after close');
    // Never write into a folder whose lock was taken from us (deleted by hand, taken over).
    if (!this.lock.holds())
      throw new RunnerError(
        'run-locked',
        `the lock ${this.lock.path} no longer names this run (deleted or taken over); stopping so two runs do not write one folder`,
      );
    const path = join(this.dir, item.file);
    const hash = sha256(png);
    withFileErrors('write the image', path, () => writeFileAtomic(path, png));
    const { v, index, file, ...rest } = partial;
    const entry: ManifestEntry = { v, index, file, sha256: hash, bytes: png.length, ...rest };
    const records = this.records();
    const old = records.get(index);
    const manifest = join(this.dir, 'manifest.jsonl');
    if (old && old.sha256 === hash && old.bytes === png.length && old.file === file) return old;
    if (old) withFileErrors('write', manifest, () => this.writer.replace(entry));
    else withFileErrors('write', manifest, () => this.writer.append(entry));
    records.set(index, entry);
    return entry;
  }

  async readReview() {
    return readReview(this.dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.writer.close();
    } finally {
      this.lock.release();
    }
  }
}

/** A run in a folder on this machine (or a shared file system). */
export class FsRunStore implements RunStore {
  readonly kind = 'files';
  constructor(readonly location: string) {}

  async open(): Promise<RunSession> {
    const dir = ensureDir(this.location, 'output folder');
    const lock = await acquireRunLock(dir).catch((err: unknown) => {
      throw fileError(err, 'lock', dir);
    });
    try {
      // We hold the folder's lock, so no other writer owns a temp file here.
      removeStaleTemps(dir);
      const writer = withFileErrors('open the manifest in', dir, () => new ManifestWriter(dir));
      return new FsRunSession(dir, lock, writer);
    } catch (err) {
      lock.release();
      throw err;
    }
  }
}
