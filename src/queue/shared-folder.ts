/**
 * The shared output folder as the queue's store: the truth about which images exist. Workers on
 * any machine write PNGs here (a folder every machine mounts); the coordinator alone folds their
 * records into `manifest.jsonl`.
 *
 * Writes never replace an image: bytes go to a temp file, are flushed, then hard-linked under the
 * final name, which fails if the name exists (atomic exclusive create, also on NFS). An existing
 * image with the same bytes is a harmless repeat (a redelivered job); different bytes are a
 * conflict, reported under `.genready-queue/conflicts/` and never written over.
 *
 * Layout: `NAME.png` (the image), `.genready-queue/records/INDEX.json` (its manifest entry, written
 * after the PNG: a record means the image is whole), `.genready-queue/conflicts/INDEX.WORKER.json`.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import type { QueuedEntry } from './types.ts';

export const QUEUE_DIR = '.genready-queue';

export type PutOutcome =
  | { kind: 'written'; sha256: string }
  | { kind: 'same'; sha256: string }
  | { kind: 'conflict'; sha256: string; stored: string };

export interface ConflictReport {
  index: number;
  file: string;
  stored: string;
  offered: string;
  worker: string;
  at: string;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class SharedFolder {
  readonly records: string;
  readonly conflicts: string;

  constructor(readonly dir: string) {
    this.records = join(dir, QUEUE_DIR, 'records');
    this.conflicts = join(dir, QUEUE_DIR, 'conflicts');
  }

  /** Store an image's bytes under `file` unless it exists; never overwrites. */
  putImage(file: string, png: Uint8Array): PutOutcome {
    mkdirSync(this.dir, { recursive: true });
    const target = join(this.dir, file);
    const digest = sha(png);
    if (!existsSync(target)) {
      const tmp = join(this.dir, `.${file}.${process.pid}.${Date.now()}.tmp`);
      const fd = openSync(tmp, 'w');
      try {
        let off = 0;
        while (off < png.length) off += writeSync(fd, png, off, png.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(tmp, target);
        return { kind: 'written', sha256: digest };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    const stored = sha(readFileSync(target));
    return stored === digest ? { kind: 'same', sha256: digest } : { kind: 'conflict', sha256: digest, stored };
  }

  /** Record an image (after its PNG is in place). A record that exists is kept: the first maker stays on file. */
  putRecord(entry: QueuedEntry): void {
    const p = join(this.records, `${entry.index}.json`);
    if (existsSync(p)) return;
    writeFileAtomic(p, `${JSON.stringify(entry)}\n`);
  }

  reportConflict(r: ConflictReport): void {
    writeFileAtomic(
      join(this.conflicts, `${r.index}.${r.worker.replace(/[^\w.-]/g, '_')}.json`),
      `${JSON.stringify(r)}\n`,
    );
  }

  /** Indices with a record (one directory listing: cheap enough to poll). */
  recorded(): Set<number> {
    if (!existsSync(this.records)) return new Set();
    const out = new Set<number>();
    for (const f of readdirSync(this.records)) {
      const m = /^(\d+)\.json$/.exec(f);
      if (m) out.add(Number(m[1]));
    }
    return out;
  }

  /** The record of an index, if it is whole and its PNG is in place with the recorded size. */
  record(index: number): QueuedEntry | null {
    const p = join(this.records, `${index}.json`);
    try {
      const e = JSON.parse(readFileSync(p, 'utf8')) as QueuedEntry;
      const png = join(this.dir, e.file);
      return existsSync(png) && statSync(png).size === e.bytes ? e : null;
    } catch {
      return null;
    }
  }

  listConflicts(): ConflictReport[] {
    if (!existsSync(this.conflicts)) return [];
    return readdirSync(this.conflicts)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.conflicts, f), 'utf8')) as ConflictReport);
  }
}
