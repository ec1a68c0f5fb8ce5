/**
 * safetensors writer: header (8-byte length + JSON padded to 8 bytes with spaces, as the reference
 * writer does) then the tensors' bytes in header order. Tensors without data are zeros, and the
 * file is extended with ftruncate instead of written: on filesystems with sparse files a full-size
 * layout (2 GB of SD 1.5 fp16) costs no disk. Written to a temporary sibling and renamed, so an
 * interrupted write never leaves a complete-looking file.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DTYPE_BYTES, type DType } from './types.ts';

export interface TensorToWrite {
  name: string;
  dtype: DType;
  shape: readonly number[];
  /** Exactly the tensor's bytes; omitted: zeros (sparse). */
  data?: Uint8Array;
}

export function tensorBytes(dtype: DType, shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
}

/** The header bytes (length prefix included) and the total file size for these tensors. */
export function encodeHeader(
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): { header: Buffer; fileBytes: number } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length) json.__metadata__ = metadata;
  let off = 0;
  for (const t of tensors) {
    const n = tensorBytes(t.dtype, t.shape);
    if (t.data && t.data.byteLength !== n)
      throw new Error(`tensor "${t.name}": ${t.data.byteLength} bytes of data for ${n} bytes of shape`);
    json[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + n] };
    off += n;
  }
  let text = JSON.stringify(json);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8 + body.length);
  header.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(header, 8);
  return { header, fileBytes: header.length + off };
}

export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): number {
  const { header, fileBytes } = encodeHeader(tensors, metadata);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, header, 0);
      let pos = header.length;
      for (const t of tensors) {
        if (t.data) writeAll(fd, t.data, pos);
        pos += tensorBytes(t.dtype, t.shape);
      }
      ftruncateSync(fd, fileBytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return fileBytes;
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let off = 0;
  while (off < data.byteLength) off += writeSync(fd, data, off, data.byteLength - off, position + off);
}
