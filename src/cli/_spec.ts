/**
 * A workload written as words: "sdxl 1024x1024 batch 4", "flux dev 1536x1024 fp8 steps 20".
 * Sizes, "batch N", "steps N", a precision and the words "controlnet"/"tiling" are recognised; what
 * is left names the model.
 */
import { WorkloadError } from '../catalog/errors.ts';
import { isPrecision } from '../cost/precision.ts';
import type { WorkloadInput } from '../cost/workload.ts';

export function parseWorkloadSpec(spec: string): WorkloadInput {
  const words = spec
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const input: Partial<WorkloadInput> = {};
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const lower = w.toLowerCase();
    const size = /^(\d+)[x×*](\d+)$/.exec(lower);
    const next = words[i + 1];
    if (size) [input.width, input.height] = [Number(size[1]), Number(size[2])];
    else if ((lower === 'batch' || lower === 'steps') && next !== undefined) {
      const n = Number(next);
      if (!Number.isInteger(n) || n <= 0)
        throw new WorkloadError('bad-spec', `"${lower} ${next}" needs a whole number above 0`);
      input[lower] = n;
      i++;
    } else if (/^(batch|b)\d+$/.test(lower)) input.batch = Number(lower.replace(/\D+/, ''));
    else if (isPrecision(lower)) input.precision = lower;
    else if (lower === 'controlnet') input.controlnet = true;
    else if (lower === 'tiling' || lower === 'vae-tiling') input.vaeTiling = true;
    else rest.push(w);
  }
  if (rest.length === 0) throw new WorkloadError('bad-spec', `"${spec}" names no model; e.g. "sdxl 1024x1024 batch 4"`);
  return { ...input, model: rest.join(' ') };
}
