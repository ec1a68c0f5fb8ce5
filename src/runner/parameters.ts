/**
 * The "parameters" text that AUTOMATIC1111 writes into its PNGs and that ComfyUI, Civitai and most
 * image browsers read:
 *
 *   a cat in a hat
 *   Negative prompt: blurry
 *   Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model hash: 1a2b3c4d5e, Model: sd15
 *
 * The last line is "key: value" pairs split on ", "; a value holding a comma, colon or newline is
 * JSON-quoted (A1111's `quote()`). The negative prompt line is left out when it is empty.
 */
import { SAMPLERS, type SamplerId } from './schedulers/index.ts';

export interface ParametersInfo {
  prompt: string;
  negativePrompt: string;
  steps: number;
  sampler: SamplerId;
  guidance: number;
  seed: number;
  width: number;
  height: number;
  modelHash: string;
  modelName: string;
  version: string;
  /** LoRAs merged into the model: A1111 shows each as `<lora:name:weight>` in the prompt and its hash in "Lora hashes". */
  loras?: readonly LoraRecord[];
}

/** A LoRA as the records show it: A1111's name (file name without extension), strength, and the first 12 digits of kohya's addnet hash. */
export interface LoraRecord {
  name: string;
  weight: number;
  hash: string;
}

// A value that starts with a quote is quoted too, or the reader would take it for a quoted one.
const quote = (v: string) => (/[,:\n]|^\s*"/.test(v) ? JSON.stringify(v) : v);

export function formatParameters(p: ParametersInfo): string {
  const pairs: [string, string | number][] = [
    ['Steps', p.steps],
    ['Sampler', SAMPLERS[p.sampler].a1111],
    ['CFG scale', p.guidance],
    ['Seed', p.seed],
    ['Size', `${p.width}x${p.height}`],
    ['Model hash', p.modelHash],
    ['Model', p.modelName],
    ...(p.loras?.length
      ? [['Lora hashes', p.loras.map((l) => `${l.name}: ${l.hash}`).join(', ')] as [string, string]]
      : []),
    // A1111 names the noise source when it is the CPU generator; ours always is (src/runner/noise.ts).
    ['RNG', 'CPU'],
    ['Version', p.version],
  ];
  // A1111 keeps the prompt as written, LoRA tags included (they select the LoRAs, not tokens).
  const tags = (p.loras ?? []).map((l) => `<lora:${l.name}:${l.weight}>`);
  const lines = [[p.prompt, ...tags].filter((s) => s !== '').join(' ')];
  if (p.negativePrompt !== '') lines.push(`Negative prompt: ${p.negativePrompt}`);
  lines.push(pairs.map(([k, v]) => `${k}: ${quote(String(v))}`).join(', '));
  return lines.join('\n');
}

/** A JSON-quoted value; one that is not valid JSON (another program's text, a stray quote) stays as written. */
function unquote(v: string): string {
  try {
    const s: unknown = JSON.parse(v);
    return typeof s === 'string' ? s : v;
  } catch {
    return v;
  }
}

/** Parse an A1111 parameters text: prompt, negative prompt and the key/value pairs of the last line. */
export function parseParameters(text: string): {
  prompt: string;
  negativePrompt: string;
  settings: Record<string, string>;
} {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const settings: Record<string, string> = {};
  for (const m of last.matchAll(/\s*([\w ][\w \-/+]*):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/g)) {
    const v = m[2]!.trim();
    settings[m[1]!.trim()] = v.startsWith('"') ? unquote(v) : v;
  }
  const negAt = lines.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (negAt < 0 ? lines : lines.slice(0, negAt)).join('\n');
  const negativePrompt =
    negAt < 0 ? '' : [lines[negAt]!.slice('Negative prompt: '.length), ...lines.slice(negAt + 1)].join('\n');
  return { prompt, negativePrompt, settings };
}
