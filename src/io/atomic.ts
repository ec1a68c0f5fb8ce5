/** Atomic file writes: write a sibling temp file, flush it, then rename over the target (same filesystem). */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Write all of `bytes` to a new file and flush it to disk, so that a name given to it afterwards
 * (a rename or a hard link) never stands over partial bytes after a crash. `wx`: the file must not exist.
 */
export function writeFileSynced(path: string, bytes: Uint8Array, flag: 'w' | 'wx' = 'w'): void {
  const fd = openSync(path, flag);
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSynced(tmp, typeof data === 'string' ? Buffer.from(data) : data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
