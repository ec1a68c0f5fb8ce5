/**
 * Reading a checkpoint's weights into the graph's layout: each tensor's bytes are read by their
 * byte range through a file descriptor (never the whole file), converted to float32 (fp16 and bf16
 * exactly; every value of theirs is a float32) and laid out as the graph wants them (linear weights
 * transposed, 1×1 convs squeezed, GroupNorm scales as [c, 1, 1]). Peak memory is the weights read
 * so far plus one tensor's bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { TensorKind } from '../../data/checkpoint/names.ts';
import { CheckpointError } from './errors.ts';
import type { NameEntry, Naming } from './names.ts';
import { DTYPE_BYTES, type SafetensorsHeader, type TensorInfo } from './types.ts';

export interface GraphWeight {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** IEEE half → float32, exact (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** All 65,536 fp16 values as float32: one lookup per element instead of the arithmetic. */
let HALF: Float32Array | undefined;
function halfTable(): Float32Array {
  if (!HALF) {
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF[h] = halfToFloat(h);
  }
  return HALF;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Elements of a tensor's raw little-endian bytes as float32. */
export function toFloat32(dtype: TensorInfo['dtype'], bytes: Uint8Array, file: string, name: string): Float32Array {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  // Typed views when the bytes are aligned on a little-endian host (the common case: 10× faster).
  const aligned = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0;
  if (aligned && dtype === 'F16') {
    const t = halfTable();
    const u = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = t[u[i]!]!;
    return out;
  }
  if (aligned && dtype === 'BF16') {
    const u = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    const o = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) o[i] = u[i]! << 16;
    return out;
  }
  if (aligned && dtype === 'F32') {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    return out;
  }
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    default:
      throw new CheckpointError(
        'unsupported-dtype',
        `${file}: tensor "${name}": ${dtype} weights cannot be loaded into the graph (fp32, fp16, bf16, fp64 can)`,
      );
  }
}

/** The two halves of the first axis exchanged (row-major: the two halves of the array). */
export function swapHalves(x: Float32Array): Float32Array {
  const h = x.length / 2;
  const out = new Float32Array(x.length);
  out.set(x.subarray(h), 0);
  out.set(x.subarray(0, h), h);
  return out;
}

/** PyTorch layout → graph layout for one tensor of this kind and PyTorch shape. */
export function toGraphLayout(kind: TensorKind, shape: readonly number[], data: Float32Array): Float32Array {
  if ((kind === 'linear' || kind === 'conv1x1-linear') && shape.length >= 2) {
    const [o, i] = shape as [number, number];
    const t = new Float32Array(data.length);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = data[r * i + c]!;
    return t;
  }
  // conv, groupnorm ([c] → [c, 1, 1]), vectors and embeddings keep their element order.
  return data;
}

/**
 * The graph's weights from one component of a checkpoint: `prefix` + each entry's name in `naming`.
 * A tensor the component should have and the file lacks, or one whose shape differs, is an error
 * naming the file and the tensor.
 */
export function loadGraphWeights(
  headers: readonly SafetensorsHeader[],
  prefix: string,
  map: readonly NameEntry[],
  naming: Naming,
): GraphWeight[] {
  const where = new Map<string, { h: SafetensorsHeader; t: TensorInfo }>();
  for (const h of headers) for (const t of h.tensors) where.set(t.name, { h, t });
  const fds = new Map<string, number>();
  try {
    return map.map((e) => {
      const own = e[naming];
      if (own === null)
        throw new CheckpointError(
          'no-name-map',
          `${headers[0]?.file ?? 'checkpoint'}: ${naming} names split ${e.graph}; loading them is not supported yet`,
        );
      const name = prefix + own;
      const hit = where.get(name);
      if (!hit)
        throw new CheckpointError(
          'missing-tensor',
          `${headers[0]?.file ?? 'checkpoint'}: tensor "${name}" is missing (the architecture has it as ${e.graph})`,
        );
      const { h, t } = hit;
      const want = e.shape[naming];
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))
        throw new CheckpointError(
          'shape-mismatch',
          `${h.file}: tensor "${name}" is [${t.shape.join(', ')}] but the architecture needs [${want.join(', ')}]`,
        );
      let fd = fds.get(h.file);
      if (fd === undefined) {
        fd = openSync(h.file, 'r');
        fds.set(h.file, fd);
      }
      // A row slice (fused q/k/v) is a contiguous byte range of the tensor.
      const rows = e.rows?.[naming];
      const rowBytes = (t.end - t.begin) / Math.max(1, t.shape[0] ?? 1);
      const partShape = rows ? [rows[1] - rows[0], ...want.slice(1)] : want;
      const bytes = Buffer.alloc(rows ? (rows[1] - rows[0]) * rowBytes : t.end - t.begin);
      const start = 8 + h.headerBytes + t.begin + (rows ? rows[0] * rowBytes : 0);
      let off = 0;
      while (off < bytes.length) {
        const n = readSync(fd, bytes, off, bytes.length - off, start + off);
        if (n === 0) throw new CheckpointError('truncated', `${h.file}: tensor "${name}": file ends inside its data`);
        off += n;
      }
      let values = toFloat32(t.dtype, bytes, h.file, name);
      if (e.swapHalves?.[naming]) values = swapHalves(values);
      const data = toGraphLayout(e.kind[naming], partShape, values);
      return { name: e.graph, dims: e.graphShape, data };
    });
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
