/**
 * LoRA merge into graph weights: W ← W + weight · (alpha / rank) · up · down, for each module of a
 * kohya-style LoRA (sd-scripts networks/lora.py: `lora_unet_…` / `lora_te_…` / `lora_te1_…` /
 * `lora_te2_…` module names = the PyTorch module path with dots as underscores; `.lora_down.weight`
 * [rank, in(, 1, 1)], `.lora_up.weight` [out, rank(, 1, 1)], optional `.alpha` scalar, default rank).
 * Module paths resolve through the name maps in either naming (kohya writes SD 1.x UNets in diffusers
 * names and SDXL UNets in LDM names), so one merge serves both. A module the architecture does not
 * have, or whose shapes disagree, is an error naming the file and the tensor: a LoRA for another
 * family never merges silently.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { CheckpointError } from './errors.ts';
import type { NameEntry } from './names.ts';
import type { GraphWeight } from './tensors.ts';
import { toFloat32 } from './tensors.ts';
import type { SafetensorsHeader, TensorInfo } from './types.ts';

/** Which LoRA prefix targets which component's name map. */
export interface LoraTarget {
  /** kohya prefix, e.g. 'lora_unet_', 'lora_te_', 'lora_te1_', 'lora_te2_'. */
  prefix: string;
  map: readonly NameEntry[];
  weights: GraphWeight[];
}

export interface MergeReport {
  modules: number;
  /** LoRA modules for components not given (e.g. text-encoder modules when only the UNet is merged). */
  skipped: number;
}

const underscore = (s: string) => s.replace(/\./g, '_');

function readTensor(h: SafetensorsHeader, t: TensorInfo, fd: number): Float32Array {
  const bytes = Buffer.alloc(t.end - t.begin);
  let off = 0;
  while (off < bytes.length) {
    const n = readSync(fd, bytes, off, bytes.length - off, 8 + h.headerBytes + t.begin + off);
    if (n === 0) throw new CheckpointError('truncated', `${h.file}: tensor "${t.name}": file ends inside its data`);
    off += n;
  }
  return toFloat32(t.dtype, bytes, h.file, t.name);
}

/**
 * Merges a kohya LoRA into the targets' graph weights in place. Module names not starting with
 * any target's prefix are counted as skipped; those that do must resolve.
 */
export function mergeLora(lora: SafetensorsHeader, targets: readonly LoraTarget[], weight: number): MergeReport {
  const byName = new Map(lora.tensors.map((t) => [t.name, t]));
  const downs = lora.tensors.filter((t) => t.name.endsWith('.lora_down.weight'));
  if (downs.length === 0)
    throw new CheckpointError('not-lora', `${lora.file}: no .lora_down.weight tensors (not a kohya-style LoRA)`);
  // Module path (underscored, both namings) → graph weight, per target.
  const resolve = targets.map((tg) => {
    const idx = new Map<string, { entry: NameEntry; w: GraphWeight }>();
    const weights = new Map(tg.weights.map((w) => [w.name, w]));
    for (const e of tg.map) {
      if (!e.graph.endsWith('.weight')) continue;
      const w = weights.get(e.graph);
      if (!w) continue;
      for (const n of [e.diffusers, e.ldm]) if (n) idx.set(underscore(n.replace(/\.weight$/, '')), { entry: e, w });
    }
    return { tg, idx };
  });
  const fd = openSync(lora.file, 'r');
  let modules = 0;
  let skipped = 0;
  try {
    for (const down of downs) {
      const module = down.name.slice(0, -'.lora_down.weight'.length);
      const target = resolve.find((r) => module.startsWith(r.tg.prefix));
      if (!target) {
        skipped++;
        continue;
      }
      const hit = target.idx.get(module.slice(target.tg.prefix.length));
      if (!hit)
        throw new CheckpointError(
          'lora-mismatch',
          `${lora.file}: tensor "${down.name}": the model has no module "${module.slice(target.tg.prefix.length)}" (a LoRA for another family?)`,
        );
      const up = byName.get(`${module}.lora_up.weight`);
      if (!up) throw new CheckpointError('lora-mismatch', `${lora.file}: tensor "${module}.lora_up.weight" is missing`);
      const rank = down.shape[0]!;
      const inDim = down.shape[1]!;
      const outDim = up.shape[0]!;
      const spatialOk = (s: number[]) => s.slice(2).every((x) => x === 1);
      const [gi, go] = hit.w.dims as [number, number];
      if (
        hit.w.dims.length !== 2 ||
        up.shape[1] !== rank ||
        !spatialOk(down.shape) ||
        !spatialOk(up.shape) ||
        inDim !== gi ||
        outDim !== go
      )
        throw new CheckpointError(
          'lora-mismatch',
          `${lora.file}: tensor "${down.name}": down [${down.shape.join(', ')}] / up [${up.shape.join(', ')}] do not fit ${hit.entry.graph} [${hit.w.dims.join(', ')}] (a LoRA for another family?)`,
        );
      const alphaT = byName.get(`${module}.alpha`);
      const alpha = alphaT ? readTensor(lora, alphaT, fd)[0]! : rank;
      const scale = (weight * alpha) / rank;
      const d = readTensor(lora, down, fd); // [rank, in]
      const u = readTensor(lora, up, fd); // [out, rank]
      // Graph layout [in, out]: W[i][o] += scale · Σ_r up[o][r] · down[r][i].
      const w = hit.w.data;
      for (let i = 0; i < inDim; i++)
        for (let o = 0; o < outDim; o++) {
          let s = 0;
          for (let r = 0; r < rank; r++) s += u[o * rank + r]! * d[r * inDim + i]!;
          const k = i * outDim + o;
          w[k] = w[k]! + scale * s;
        }
      modules++;
    }
  } finally {
    closeSync(fd);
  }
  return { modules, skipped };
}
