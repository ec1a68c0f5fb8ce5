/**
 * The run folder's record: `manifest.jsonl`, one JSON line per finished image, appended and fsynced
 * after the image itself is in place. Reading tolerates a torn last line (a process killed mid-
 * append); the torn bytes are cut before the next append so every line stays whole.
 *
 * Order of writes for each image: PNG (temp file, fsync, rename) → manifest line (append, fsync).
 * A kill between the two leaves a PNG without a line; the image is made again (same bytes) and the
 * rename replaces it, so nothing is lost or counted twice.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { RunnerError } from './errors.ts';
import type { ImageSpec } from './recipe.ts';

export const MANIFEST = 'manifest.jsonl';
export const MANIFEST_VERSION = 1;

/** The image's recipe parameters (everything that decides its pixels) plus what made it and when. */
export interface ManifestEntry extends ImageSpec {
  v: typeof MANIFEST_VERSION;
  /** sha256 of the PNG bytes. */
  sha256: string;
  bytes: number;
  /** Set on a regenerated image: the index of the rejected image it replaces. */
  redoOf?: number;
  /** `loras`: those merged into the checkpoint at load (name, weight, addnet hash), as the PNG parameters show them. */
  model: {
    dir: string;
    name: string;
    hash: string;
    files: Record<string, string>;
    loras?: { name: string; weight: number; hash: string }[];
  };
  runtime: { engine: string; version: string; providers: string[]; threads: number; node: string };
  device: { cpu: string; cores: number; arch: string; platform: string };
  batch: number;
  /** Wall time of the image's batch divided by its size. */
  seconds: number;
  truncatedTokens?: { prompt: number; negative: number };
  createdAt: string;
}

/** Entries by index (a later line for the same index wins), ignoring a torn or foreign last line. */
export function readManifest(dir: string): Map<number, ManifestEntry> {
  const path = join(dir, MANIFEST);
  const out = new Map<number, ManifestEntry>();
  if (!existsSync(path)) return out;
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const e = JSON.parse(line) as ManifestEntry;
      if (e && e.v === MANIFEST_VERSION && Number.isInteger(e.index)) out.set(e.index, e);
    } catch {
      // Only the last line can be torn by a kill; anything else is a damaged file worth knowing about.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== ''))
        throw new RunnerError('bad-manifest', `${path} line ${i + 1} is not JSON; the run folder's record is damaged`);
    }
  });
  return out;
}

/** Cut a torn last line (no trailing newline) so the next append starts a fresh line. */
function repairTail(path: string): void {
  if (!existsSync(path)) return;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    // Scan back for the last newline (torn lines are short; read in 64 KiB pieces).
    let end = size;
    const buf = Buffer.alloc(65536);
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const n = readSync(fd, buf, 0, end - start, start);
      const nl = buf.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        ftruncateSync(fd, start + nl + 1);
        fsyncSync(fd);
        return;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Manifests open for writing in this process: a second writer is refused (lines would interleave or repeat). */
const OPEN_WRITERS = new Set<string>();

/**
 * Appends whole lines, each flushed to disk before `append` returns. One writer per manifest: a
 * second `new ManifestWriter` of the same folder in this process throws RunnerError 'run-locked';
 * across processes the run lock (src/runner/stores/_lock.ts) keeps the second one out before it
 * gets here.
 */
export class ManifestWriter {
  private fd: number;
  private readonly path: string;
  private closed = false;

  constructor(dir: string) {
    this.path = resolve(dir, MANIFEST);
    if (OPEN_WRITERS.has(this.path))
      throw new RunnerError('run-locked', `${this.path} already has a writer; one run writes a folder at a time`);
    repairTail(this.path);
    this.fd = openSync(this.path, 'a');
    OPEN_WRITERS.add(this.path);
  }

  append(e: ManifestEntry): void {
    if (this.closed) throw new Error('ManifestWriter: append after close');
    // One write call per line: an O_APPEND write is not interleaved with another process's.
    const bytes = Buffer.from(`${JSON.stringify(e)}\n`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    fsyncSync(this.fd);
  }

  /**
   * Replace the record of `e.index` (an image made again with other bytes): the whole file is
   * rewritten atomically without the old line(s), so the manifest keeps one line per image.
   */
  replace(e: ManifestEntry): void {
    if (this.closed) throw new Error('ManifestWriter: replace after close');
    const keep = existsSync(this.path)
      ? readFileSync(this.path, 'utf8')
          .split('\n')
          .filter((line) => {
            if (line.trim() === '') return false;
            try {
              return (JSON.parse(line) as ManifestEntry).index !== e.index;
            } catch {
              return false;
            }
          })
      : [];
    closeSync(this.fd);
    writeFileAtomic(this.path, `${[...keep, JSON.stringify(e)].join('\n')}\n`);
    this.fd = openSync(this.path, 'a');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    OPEN_WRITERS.delete(this.path);
    closeSync(this.fd);
  }
}
