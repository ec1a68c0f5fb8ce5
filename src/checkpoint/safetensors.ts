/**
 * safetensors header reader. Reads 8 bytes (the header length, little-endian u64) and then the JSON
 * header, through a file descriptor: the tensor data is never read, so a 24 GB file costs as much
 * as a 1 MB one. Every field of the header is checked before anything trusts it, because the file
 * comes from anywhere: each failure is one CheckpointError naming the file and, where there is one,
 * the tensor. Format: github huggingface/safetensors README ("Format" section).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { CheckpointError } from './errors.ts';
import { DTYPE_BYTES, type DType, type SafetensorsHeader, type TensorInfo } from './types.ts';

/**
 * Largest header accepted: the reference implementation's own limit (MAX_HEADER_SIZE = 100 MB in
 * huggingface/safetensors safetensors/src/tensor.rs); the largest real checkpoints' headers are
 * a few hundred kB.
 */
export const MAX_HEADER_BYTES = 100_000_000;

/** Extensions of pickle-based formats: refused, since loading them runs code chosen by the file. */
const PICKLE_EXT = /\.(ckpt|pt|pth|bin|pkl|pickle)$/i;

export function refusePickle(path: string): void {
  if (PICKLE_EXT.test(path))
    throw new CheckpointError(
      'pickle-refused',
      `${path}: a PyTorch pickle (${path.match(PICKLE_EXT)![0]}) is not read: unpickling runs code the file chooses; convert it to .safetensors first (e.g. the "Convert to safetensors" of kohya's or A1111's tools, or safetensors.torch.save_file in a sandbox)`,
    );
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n === 0) break; // end of file: the caller sees a short read
    off += n;
  }
  return off === length ? buf : buf.subarray(0, off);
}

/** Reads and validates the header of one .safetensors file. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  refusePickle(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw new CheckpointError('not-found', `${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot stat'}`, {
      cause: err,
    });
  }
  // A FIFO or a device would block open() or read() forever: only regular files are read.
  if (!st.isFile()) throw new CheckpointError('not-a-file', `${path}: not a regular file`);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8)
      throw new CheckpointError('truncated', `${path}: truncated (${size} bytes; a safetensors file starts with 8)`);
    const prefix = readExactly(fd, 8, 0);
    if (prefix.length < 8) throw new CheckpointError('truncated', `${path}: truncated while reading the header length`);
    const declared = prefix.readBigUInt64LE(0);
    if (declared > BigInt(size - 8))
      throw new CheckpointError(
        'header-beyond-file',
        `${path}: header length ${declared} runs beyond the file (${size - 8} bytes after the length prefix); truncated or not a safetensors file`,
      );
    const headerBytes = Number(declared);
    if (headerBytes > MAX_HEADER_BYTES)
      throw new CheckpointError(
        'header-too-large',
        `${path}: header of ${headerBytes} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit of the format`,
      );
    if (headerBytes < 2) throw new CheckpointError('bad-header', `${path}: header of ${headerBytes} bytes is not JSON`);
    const raw = readExactly(fd, headerBytes, 8);
    if (raw.length < headerBytes) throw new CheckpointError('truncated', `${path}: truncated inside the header`);
    return parseHeader(path, raw, size, headerBytes);
  } finally {
    closeSync(fd);
  }
}

function parseHeader(path: string, raw: Buffer, size: number, headerBytes: number): SafetensorsHeader {
  let json: unknown;
  try {
    // The format allows trailing spaces as padding.
    json = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new CheckpointError('bad-header', `${path}: header is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CheckpointError('bad-header', `${path}: header is not a JSON object`);
  const dataBytes = size - 8 - headerBytes;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        throw new CheckpointError('bad-header', `${path}: __metadata__ is not an object`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw new CheckpointError('bad-header', `${path}: __metadata__ "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(tensorEntry(path, name, entry, dataBytes));
  }
  checkOverlaps(path, tensors);
  return { file: path, fileBytes: size, headerBytes, tensors, metadata };
}

function tensorEntry(path: string, name: string, entry: unknown, dataBytes: number): TensorInfo {
  const fail = (code: string, what: string) => new CheckpointError(code, `${path}: tensor "${name}": ${what}`);
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    throw fail('bad-tensor', 'entry is not an object');
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e.dtype !== 'string') throw fail('bad-tensor', 'no dtype');
  if (!Object.hasOwn(DTYPE_BYTES, e.dtype))
    throw fail(
      'unsupported-dtype',
      `dtype ${JSON.stringify(e.dtype).slice(0, 40)} is not supported (${Object.keys(DTYPE_BYTES).join(', ')})`,
    );
  const dtype = e.dtype as DType;
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw fail('bad-tensor', 'shape is not a list of non-negative integers');
  const shape = e.shape as number[];
  if (
    !Array.isArray(e.data_offsets) ||
    e.data_offsets.length !== 2 ||
    !e.data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)
  )
    throw fail('bad-tensor', 'data_offsets is not a pair of non-negative integers');
  const [begin, end] = e.data_offsets as [number, number];
  if (end < begin) throw fail('bad-offsets', `data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataBytes)
    throw fail('past-end', `data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`);
  // BigInt: a hostile shape's product can exceed 2^53 long before it is compared.
  const elements = shape.reduce((a, d) => a * BigInt(d), 1n);
  const bytes = elements * BigInt(DTYPE_BYTES[dtype]);
  if (bytes !== BigInt(end - begin))
    throw fail(
      'size-mismatch',
      `shape [${shape.join(', ')}] of ${dtype} is ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  return { name, dtype, shape, elements: Number(elements), begin, end };
}

function checkOverlaps(path: string, tensors: TensorInfo[]): void {
  const sorted = tensors.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.begin < prev.end)
      throw new CheckpointError(
        'overlap',
        `${path}: tensor "${cur.name}": data_offsets [${cur.begin}, ${cur.end}] overlap "${prev.name}" [${prev.begin}, ${prev.end}]`,
      );
  }
}
