/**
 * A small ONNX graph writer: nodes, symbolic inputs/outputs, and weights described by how to fill
 * them rather than by their bytes. Weights are generated only when the model is written, one tensor
 * at a time, so building a graph to count its parameters costs nothing, and writing a 3.4 GB UNet
 * never holds more than one tensor in memory.
 *
 * Random weights are deterministic on every machine: each tensor has its own PRNG stream
 * (mulberry32, a 32-bit integer generator) seeded from the model seed and the tensor's name, and the
 * float conversion uses only IEEE-exact operations (integer → double, multiply, Math.fround).
 */

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxp from 'onnx-proto';
import { writeFileAtomic } from '../io/atomic.ts';
import { GraphError } from './errors.ts';

const { onnx } = onnxp;

export type DType = 'float32' | 'float16';

/** ONNX opset the graphs are written for (LayerNormalization needs 17). */
export const OPSET = 17;

const ELEM = { float32: 1, int32: 6, int64: 7, float16: 10 } as const;
export type ElemType = keyof typeof ELEM;

/** How a weight is filled: uniform in ±bound (linear/conv weights and biases, embeddings), or a constant (norm scale 1, shift 0). */
export type Fill = { kind: 'uniform'; bound: number } | { kind: 'constant'; value: number };

export interface WeightSpec {
  name: string;
  dims: number[];
  fill: Fill;
}

export type Dim = number | string;

type Attr = number | number[] | string | { floats: number[] } | { float: number };

const BYTES: Record<DType, number> = { float32: 4, float16: 2 };

/** One ONNX graph under construction. Weight names are unique paths like `down0.res1.conv1.weight`. */
export class Graph {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly weights: WeightSpec[] = [];
  /** Small constants (shapes, scalars, position tables): embedded in the model, not parameters. */
  readonly constants: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;
  private scope: string[] = [];
  private names = new Set<string>();
  private constCache = new Map<string, string>();

  constructor(readonly dtype: DType) {}

  /** Parameters = elements of all weights (constants excluded). */
  get parameters(): number {
    return this.weights.reduce((s, w) => s + w.dims.reduce((a, b) => a * b, 1), 0);
  }

  get weightBytes(): number {
    return this.parameters * BYTES[this.dtype];
  }

  in<T>(name: string | number, body: () => T): T {
    this.scope.push(String(name));
    try {
      return body();
    } finally {
      this.scope.pop();
    }
  }

  private path(name: string): string {
    return [...this.scope, name].join('.');
  }

  private fresh(op: string): string {
    return `${this.path(op)}_${this.counter++}`;
  }

  /** Declare a weight in the graph's dtype; returns its tensor name. */
  weight(name: string, dims: number[], fill: Fill): string {
    const full = this.path(name);
    if (this.names.has(full)) throw new Error(`graph: duplicate weight ${full}`);
    this.names.add(full);
    this.weights.push({ name: full, dims, fill });
    return full;
  }

  /** An int64 constant (shapes, axes, indices). */
  i64(values: number[], dims: number[] = [values.length]): string {
    return this.constant('int64', values, dims);
  }

  /** A float constant in the graph's dtype (scalars, sin-cos frequencies, masks). */
  f(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.constant(this.dtype, Array.from(values), dims);
  }

  /** A float32 constant regardless of the graph's dtype (timestep arithmetic stays in fp32). */
  f32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    return this.constant('float32', Array.from(values), dims);
  }

  private constant(type: ElemType, values: number[], dims: number[]): string {
    const key = `${type}|${dims.join(',')}|${values.length < 64 ? values.join(',') : createHash('sha1').update(new Float64Array(values)).digest('hex')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = `const_${this.constCache.size}`;
    this.constants.push(onnx.TensorProto.create({ name, dims, dataType: ELEM[type], rawData: encode(type, values) }));
    this.constCache.set(key, name);
    return name;
  }

  input(name: string, type: ElemType, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Add a node; returns its output names. `outputs` may name them (graph outputs), else they are fresh. */
  node(
    op: string,
    inputs: string[],
    attrs: Record<string, Attr> = {},
    opts: { outputs?: string[]; count?: number } = {},
  ): string[] {
    const outputs = opts.outputs ?? Array.from({ length: opts.count ?? 1 }, () => this.fresh(op));
    this.nodes.push(
      onnx.NodeProto.create({
        opType: op,
        name: this.fresh(`${op}_node`),
        input: inputs,
        output: outputs,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return outputs;
  }

  /** Single-output node. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? { outputs: [output] } : {})[0]!;
  }
}

function attribute(name: string, v: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return onnx.AttributeProto.create({ name, type: T.INT, i: v });
  if (typeof v === 'string')
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('float' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.float });
  return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
}

function valueInfo(name: string, type: ElemType, dims: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function encode(type: ElemType, values: number[]): Uint8Array {
  switch (type) {
    case 'int64':
      return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float16':
      return new Uint8Array(toHalf(Float32Array.from(values)).buffer);
  }
}

// ---------------------------------------------------------------------------------------------
// Deterministic weights

/** FNV-1a over the tensor name, mixed with the model seed: an independent stream per tensor. */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fill `out` from mulberry32 (public-domain 32-bit generator): uniform in [-bound, bound). */
function fillUniform(out: Float32Array, seed: number, bound: number): void {
  let a = seed >>> 0;
  const scale = (2 * bound) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) * scale - bound;
  }
}

export function weightValues(w: WeightSpec, seed: number): Float32Array {
  const n = w.dims.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (w.fill.kind === 'constant') out.fill(w.fill.value);
  else fillUniform(out, tensorSeed(seed, w.name), w.fill.bound);
  return out;
}

/** float32 → IEEE half bits, round to nearest even (what numpy's astype(float16) does). */
export function toHalf(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
      out[i] = sign | h;
    }
  }
  return out;
}

/**
 * Where a graph's weight values come from: generated from a seed (benchmarks: nothing to download),
 * or bound from a checkpoint (float32 values by graph weight name, e.g. from src/checkpoint). A bound
 * graph takes every weight from the map; a missing or misshapen one is an error, never a random fill.
 */
export type WeightSource =
  | { seed: number }
  | { bound: ReadonlyMap<string, { dims: readonly number[]; data: Float32Array }> };

function weightValuesFrom(w: WeightSpec, source: WeightSource): Float32Array {
  if ('seed' in source) return weightValues(w, source.seed);
  const t = source.bound.get(w.name);
  if (!t) throw new GraphError('weight-missing', `no weights bound for ${w.name} [${w.dims.join(', ')}]`);
  const n = w.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n || t.dims.join(',') !== w.dims.join(','))
    throw new GraphError(
      'weight-shape',
      `${w.name}: the graph wants [${w.dims.join(', ')}], the bound weights are [${t.dims.join(', ')}]`,
    );
  return t.data;
}

function weightBytes(w: WeightSpec, source: WeightSource, dtype: DType): Uint8Array {
  const v = weightValuesFrom(w, source);
  return dtype === 'float32' ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(toHalf(v).buffer);
}

// ---------------------------------------------------------------------------------------------
// Serialisation

/** The protobuf limit: a model file over 2 GiB cannot be parsed, so its weights go to an external file. */
export const PROTOBUF_LIMIT_BYTES = 2 ** 31;

/** External data offsets are aligned so onnxruntime can memory-map them (64 KiB: Windows' allocation granularity). */
const EXTERNAL_ALIGN = 65536;

export interface WriteResult {
  parameters: number;
  /** Files written, with their sha256 (computed while writing, for the cache manifest). */
  files: { path: string; bytes: number; sha256: string }[];
}

/**
 * Write the graph at `path`. Weights are embedded when the total stays under `externalThreshold`
 * bytes, else streamed tensor by tensor into `path + '.data'`. Both files are written to temporary
 * names and renamed into place, the data file first, so a crash never leaves a model that points
 * at missing or partial weights.
 */
export function writeGraph(
  g: Graph,
  path: string,
  source: WeightSource,
  externalThreshold = PROTOBUF_LIMIT_BYTES - 64 * 2 ** 20,
): WriteResult {
  const external = g.weightBytes > externalThreshold;
  const files: WriteResult['files'] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const dataType = ELEM[g.dtype];
  if (external) {
    const dataPath = `${path}.data`;
    const tmp = join(dirname(dataPath), `.${basename(dataPath)}.${process.pid}.tmp`);
    const hash = createHash('sha256');
    let offset = 0;
    const fd = openSync(tmp, 'w');
    try {
      const pad = new Uint8Array(EXTERNAL_ALIGN);
      for (const w of g.weights) {
        const skip = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
        if (skip) offset += writeAll(fd, pad.subarray(0, skip), hash);
        const bytes = weightBytes(w, source, g.dtype);
        initializers.push(
          onnx.TensorProto.create({
            name: w.name,
            dims: w.dims,
            dataType,
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              { key: 'location', value: basename(dataPath) },
              { key: 'offset', value: String(offset) },
              { key: 'length', value: String(bytes.length) },
            ],
          }),
        );
        offset += writeAll(fd, bytes, hash);
      }
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, dataPath);
    files.push({ path: dataPath, bytes: offset, sha256: hash.digest('hex') });
  } else {
    for (const w of g.weights)
      initializers.push(
        onnx.TensorProto.create({ name: w.name, dims: w.dims, dataType, rawData: weightBytes(w, source, g.dtype) }),
      );
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'genready',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'genready',
      node: g.nodes,
      initializer: [...g.constants, ...initializers],
      input: g.inputs,
      output: g.outputs,
    },
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  writeFileAtomic(path, bytes);
  files.unshift({ path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  return { parameters: g.parameters, files };
}

function writeAll(fd: number, bytes: Uint8Array, hash: Hash): number {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  hash.update(bytes);
  return bytes.length;
}
