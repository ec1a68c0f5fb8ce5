/**
 * The hashes AUTOMATIC1111 shows for a file, in one streaming pass (1 MiB reads through a file
 * descriptor, never the whole file in memory):
 * - `modelHash`: the first 10 hex digits of the SHA-256 of the whole file — A1111's "Model hash"
 *   in the PNG parameters (modules/hashes.py sha256 → shorthash [0:10]);
 * - `legacyHash`: SHA-256 of the 64 KiB at offset 1 MiB, first 8 digits — the old "Model hash"
 *   (modules/sd_models.py model_hash);
 * - `addnetHash`: SHA-256 of everything after the safetensors header — kohya's
 *   addnet_hash_safetensors (sd-scripts library/train_util.py), which A1111 shows for LoRAs as
 *   "Lora hashes" (first 12 digits); the header (metadata) can change without changing it.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CheckpointError } from './errors.ts';

export interface FileHashes {
  sha256: string;
  modelHash: string;
  legacyHash: string;
  /** null when the file is too short to hold a safetensors header. */
  addnetHash: string | null;
  bytes: number;
}

const CHUNK = 1 << 20;
const LEGACY_AT = 0x100000;
const LEGACY_LEN = 0x10000;

export function a1111Hashes(path: string): FileHashes {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CheckpointError('not-found', `${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot open'}`, {
      cause: err,
    });
  }
  try {
    const size = fstatSync(fd).size;
    const full = createHash('sha256');
    const legacy = createHash('sha256');
    const addnet = createHash('sha256');
    const buf = Buffer.alloc(CHUNK);
    let dataStart = Number.POSITIVE_INFINITY;
    let pos = 0;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      if (pos === 0 && n >= 8) dataStart = 8 + Number(chunk.readBigUInt64LE(0));
      full.update(chunk);
      // The part of this chunk inside each hashed range.
      const slice = (from: number, to: number) => {
        const a = Math.max(from, pos);
        const b = Math.min(to, pos + n);
        return b > a ? chunk.subarray(a - pos, b - pos) : null;
      };
      const l = slice(LEGACY_AT, LEGACY_AT + LEGACY_LEN);
      if (l) legacy.update(l);
      const d = slice(dataStart, Number.POSITIVE_INFINITY);
      if (d) addnet.update(d);
      pos += n;
    }
    const sha256 = full.digest('hex');
    return {
      sha256,
      modelHash: sha256.slice(0, 10),
      legacyHash: legacy.digest('hex').slice(0, 8),
      addnetHash: Number.isFinite(dataStart) ? addnet.digest('hex') : null,
      bytes: size,
    };
  } finally {
    closeSync(fd);
  }
}
