/**
 * The filesystem RunStore: a run is a folder holding the PNGs, `manifest.jsonl` (one line per
 * image), `run.json` (the run's identity) and, while a run is active, `.genready.lock`.
 *
 * Order of writes for each image: PNG (temp file, fsync, rename) → manifest line (append, fsync).
 * A kill between the two leaves a PNG without a line; it is made again (same bytes) and the rename
 * replaces it, so nothing is lost or counted twice.
 *
 * Shared makers (`openShared`, the queue's workers on every machine that mounts the folder) take no
 * lock and never replace a file: bytes go to a temp file under `.genready-queue/incoming/`, are
 * flushed, then hard-linked under the final name, which fails if the name exists (an atomic
 * exclusive create, also on NFS). Their records go to `.genready-queue/records/INDEX.json` the same
 * way (the first record of an index stays); conflicts to `.genready-queue/conflicts/`. The lock
 * holder folds the records into `manifest.jsonl` (`adopt`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFileSynced } from '../../io/atomic.ts';
import { ensureDir, fileError, withFileErrors } from '../_files.ts';
import { RunnerError } from '../errors.ts';
import { type ManifestEntry, ManifestWriter, readManifest } from '../manifest.ts';
import type {
  ConflictReport,
  DoneCheck,
  PutImageOutcome,
  RunInfo,
  RunSession,
  RunStore,
  SharedRun,
  WorkItem,
} from '../ports.ts';
import { readReview } from '../review.ts';
import { acquireRunLock, type HeldLock, ownerAlive } from './_lock.ts';

export const RUN_FILE = 'run.json';
/** The shared makers' folder inside a run folder (records, conflicts, temp files being linked). */
export const SHARED_DIR = '.genready-queue';
/** A shared maker's temp file this old was left by a killed process (a write takes milliseconds to seconds). */
const INCOMING_STALE_MS = 60 * 60 * 1000;

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
  // Shared makers do not hold the lock: only their old temp files are surely dead.
  const incoming = join(dir, SHARED_DIR, 'incoming');
  if (!existsSync(incoming)) return;
  for (const f of readdirSync(incoming)) {
    try {
      if (Date.now() - statSync(join(incoming, f)).mtimeMs > INCOMING_STALE_MS)
        rmSync(join(incoming, f), { force: true });
    } catch {
      // Linked and removed by its maker meanwhile.
    }
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

/** Whether the file holds exactly the recorded bytes (size first: cheap; then the sha256 unless 'size'). */
export function fileMatches(
  path: string,
  e: Pick<ManifestEntry, 'bytes' | 'sha256'>,
  check: DoneCheck = 'sha256',
): boolean {
  try {
    if (statSync(path).size !== e.bytes) return false;
    return check === 'size' || sha256(readFileSync(path)) === e.sha256;
  } catch {
    return false;
  }
}

/**
 * Write `bytes` to a fresh temp file in `tmpDir`, flush it, and hard-link it as `target`: true when
 * linked, false when `target` exists already (never replaced). The temp file is always removed.
 */
function linkExclusive(tmpDir: string, target: string, bytes: Uint8Array): boolean {
  mkdirSync(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${process.pid}.${randomBytes(6).toString('hex')}.part`);
  try {
    writeFileSynced(tmp, bytes, 'wx');
    linkSync(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The run folder for many makers at once (see the module comment). */
class FsSharedRun implements SharedRun {
  private readonly records: string;
  private readonly conflicts: string;
  private readonly incoming: string;

  constructor(readonly location: string) {
    this.records = join(location, SHARED_DIR, 'records');
    this.conflicts = join(location, SHARED_DIR, 'conflicts');
    this.incoming = join(location, SHARED_DIR, 'incoming');
  }

  async putImage(file: string, png: Uint8Array): Promise<PutImageOutcome> {
    const target = join(this.location, file);
    const digest = sha256(png);
    const linked = withFileErrors('write the image', target, () => {
      ensureDir(this.location, 'output folder');
      return existsSync(target) ? false : linkExclusive(this.incoming, target, png);
    });
    if (linked) return { kind: 'written', sha256: digest };
    const stored = sha256(withFileErrors('read the image', target, () => readFileSync(target)));
    return stored === digest ? { kind: 'same', sha256: digest } : { kind: 'conflict', sha256: digest, stored };
  }

  async putRecord(entry: ManifestEntry): Promise<boolean> {
    const p = join(this.records, `${entry.index}.json`);
    return withFileErrors('write the record', p, () => {
      if (existsSync(p)) return false;
      mkdirSync(this.records, { recursive: true });
      return linkExclusive(this.incoming, p, Buffer.from(`${JSON.stringify(entry)}\n`));
    });
  }

  async listRecords(
    which: { only?: readonly number[]; except?: ReadonlySet<number> } = {},
  ): Promise<Map<number, ManifestEntry>> {
    const out = new Map<number, ManifestEntry>();
    if (!existsSync(this.records)) return out;
    const indices =
      which.only ??
      readdirSync(this.records)
        .map((f) => /^(\d+)\.json$/.exec(f))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]));
    for (const i of indices) {
      if (which.except?.has(i)) continue;
      try {
        const e = JSON.parse(readFileSync(join(this.records, `${i}.json`), 'utf8')) as ManifestEntry;
        if (e.index === i && fileMatches(join(this.location, e.file), e, 'size')) out.set(i, e);
      } catch {
        // No record yet; or an unreadable one (records are linked whole): not a record of ours.
      }
    }
    return out;
  }

  async reportConflict(r: ConflictReport): Promise<void> {
    const p = join(this.conflicts, `${r.index}.${r.worker.replace(/[^\w.-]/g, '_')}.json`);
    withFileErrors('write', p, () => writeFileAtomic(p, `${JSON.stringify(r)}\n`));
  }

  async listConflicts(): Promise<ConflictReport[]> {
    if (!existsSync(this.conflicts)) return [];
    return readdirSync(this.conflicts)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.conflicts, f), 'utf8')) as ConflictReport);
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

  async done(check: DoneCheck = 'sha256'): Promise<Map<number, ManifestEntry>> {
    const out = new Map<number, ManifestEntry>();
    for (const [i, e] of this.records()) if (fileMatches(join(this.dir, e.file), e, check)) out.set(i, e);
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
    this.checkHeld('commit');
    const path = join(this.dir, item.file);
    const hash = sha256(png);
    withFileErrors('write the image', path, () => writeFileAtomic(path, png));
    const { v, index, file, ...rest } = partial;
    return this.record({ v, index, file, sha256: hash, bytes: png.length, ...rest });
  }

  async adopt(entry: ManifestEntry): Promise<ManifestEntry | null> {
    this.checkHeld('adopt');
    if (!fileMatches(join(this.dir, entry.file), entry, 'size')) return null;
    return this.record(entry);
  }

  /** Never write into a folder whose lock was taken from us (deleted by hand, taken over). */
  private checkHeld(what: string): void {
    if (this.closed) throw new Error(`RunSession: ${what} after close`);
    if (!this.lock.holds())
      throw new RunnerError(
        'run-locked',
        `the lock ${this.lock.path} no longer names this run (deleted or taken over); stopping so two runs do not write one folder`,
      );
  }

  /** One record per index: a new index is appended, a changed one replaced, an identical one kept. */
  private record(entry: ManifestEntry): ManifestEntry {
    const records = this.records();
    const old = records.get(entry.index);
    const manifest = join(this.dir, 'manifest.jsonl');
    if (old && old.sha256 === entry.sha256 && old.bytes === entry.bytes && old.file === entry.file) return old;
    if (old) withFileErrors('write', manifest, () => this.writer.replace(entry));
    else withFileErrors('write', manifest, () => this.writer.append(entry));
    records.set(entry.index, entry);
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

  /** Lock-free: any number of makers on any number of machines that mount the folder. */
  openShared(): SharedRun {
    return new FsSharedRun(this.location);
  }

  async open(): Promise<RunSession & Required<Pick<RunSession, 'adopt'>>> {
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
