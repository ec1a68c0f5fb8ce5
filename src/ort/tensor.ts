/**
 * Tensor conversions at the ONNX boundary. Exported models differ in input dtypes (timestep as
 * float32, float16 or int64; token ids as int32 or int64; fp16 models take and return float16), so
 * the pipeline computes in float32 and converts to whatever the session's metadata asks for.
 */
import * as ort from 'onnxruntime-node';
import { OrtError } from './errors.ts';

export { Tensor } from 'onnxruntime-node';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half, round to nearest even (as numpy's astype(float16)). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export type FloatType = 'float32' | 'float16';

/** Element type a session wants for an input (from its metadata). */
export function inputType(session: ort.InferenceSession, name: string): string {
  const m = session.inputMetadata.find((x) => x.name === name);
  if (!m?.isTensor) throw new OrtError('bad-model', `model input "${name}" is missing or not a tensor`);
  return m.type;
}

/** A float tensor in the dtype the session expects. */
export function floatTensor(type: string, data: Float32Array, dims: number[]): ort.Tensor {
  if (type === 'float32') return new ort.Tensor('float32', data, dims);
  if (type === 'float16') return new ort.Tensor('float16', Uint16Array.from(data, toHalf), dims);
  if (type === 'float64') return new ort.Tensor('float64', Float64Array.from(data), dims);
  throw new OrtError('bad-model', `unsupported float input type ${type}`);
}

/**
 * A timestep / id tensor in whatever numeric type the session expects. Integer types truncate, as
 * diffusers' ONNX pipeline does (`np.array([t], dtype=int64)`), so a fractional Euler timestep gets
 * the same integer there and here.
 */
export function numberTensor(type: string, values: number[], dims: number[]): ort.Tensor {
  switch (type) {
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))),
        dims,
      );
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(values, Math.trunc), dims);
    default:
      return floatTensor(type, Float32Array.from(values), dims);
  }
}

/** Output data as float32, whatever it came as. */
export function asFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float16') return Float32Array.from(t.data as Uint16Array, fromHalf);
  if (t.type === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new OrtError('bad-model', `unexpected output type ${t.type}`);
}
