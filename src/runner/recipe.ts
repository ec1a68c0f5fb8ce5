/**
 * Recipes: the fixed conditions of a production, read from JSON or YAML and validated field by
 * field. Everything that decides the pixels is here (with the model folder's files, whose hashes the
 * manifest records); the output folder, file names and batch size decide only where and how fast.
 *
 * A recipe expands to a numbered list of images: every prompt × `count` seeds. Image i is always
 * the same image, which is what makes resuming and verifying possible.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { readSize } from '../text/size.ts';
import { withFileErrors } from './_files.ts';
import { RunnerError } from './errors.ts';
import { SAMPLER_IDS, SAMPLERS, type SamplerId, samplerIdOf } from './schedulers/index.ts';

export const SEED_MAX = 0xffffffff;
/**
 * Most images one recipe may ask for. A million PNGs at SD's ~0.5–1.5 MB are 0.5–1.5 TB and a
 * manifest of ~1.5 GB: beyond one production folder; larger jobs are several recipes. The bound is
 * checked before any list is built (a count of 10^9 would exhaust memory while expanding).
 */
export const MAX_IMAGES = 1_000_000;
/** A recipe with a million inline prompts stays below this; anything larger is not a recipe. */
const MAX_RECIPE_BYTES = 256 * 2 ** 20;
const seed = z
  .number()
  .int('a seed must be a whole number')
  .min(0, 'a seed must be ≥ 0')
  .max(SEED_MAX, 'a seed must be < 2^32 (the generator is 32-bit)');

const seedsField = z.union([
  z.array(seed).min(1, 'give at least one seed'),
  z.string().regex(/^\s*\d+\s*-\s*\d+\s*$/, 'a seed range looks like "100-119"'),
  z.strictObject({
    start: seed,
    count: z
      .number()
      .int()
      .min(1)
      .max(MAX_IMAGES, `count must be at most ${MAX_IMAGES.toLocaleString('en-US')}`),
  }),
  seed,
]);

const dim = (name: string) =>
  z
    .number()
    .int(`${name} must be a whole number of pixels`)
    .min(8, `${name} must be at least 8`)
    .max(8192, `${name} must be at most 8192`)
    .refine((v) => v % 8 === 0, `${name} must be a multiple of 8`);

export const recipeSchema = z
  .strictObject({
    /** Model: a .safetensors checkpoint, a diffusers folder or an ONNX export folder, relative to the recipe file. */
    model: z.string().min(1, 'name the model folder'),
    /** kohya LoRAs merged into the checkpoint's weights at load: files relative to the recipe, each with its strength. */
    loras: z
      .array(
        z.strictObject({
          file: z.string().min(1, 'name the LoRA file'),
          weight: z.number().min(-10, 'a LoRA weight must be ≥ -10').max(10, 'a LoRA weight must be ≤ 10').default(1),
        }),
      )
      .max(32, 'at most 32 LoRAs')
      .optional(),
    /** A tokenizer folder (vocab.json + merges.txt) replacing the model's own or CLIP's shipped one. */
    tokenizer: z.string().min(1).optional(),
    prompt: z.string().optional(),
    prompts: z.array(z.string()).min(1, 'give at least one prompt').optional(),
    /** A text file, one prompt per line (blank lines and lines starting with # skipped), relative to the recipe. */
    promptFile: z.string().min(1).optional(),
    negativePrompt: z.string().default(''),
    seeds: seedsField,
    /** Images per prompt (default: one per seed). A seed range or {start, count} extends to it; a list must be long enough. */
    count: z
      .number()
      .int()
      .min(1, 'count must be at least 1')
      .max(MAX_IMAGES, `count must be at most ${MAX_IMAGES.toLocaleString('en-US')} images per prompt`)
      .optional(),
    steps: z
      .number()
      .int('steps must be a whole number')
      .min(1, 'steps must be at least 1')
      .max(1000, 'steps must be at most 1000'),
    /** Classifier-free guidance scale ("CFG scale"); ≤ 1 runs the conditional pass only. */
    guidance: z.number().min(0, 'guidance must be ≥ 0').max(100, 'guidance must be ≤ 100'),
    sampler: z.string().transform((s, ctx) => {
      const id = samplerIdOf(s);
      if (!id) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown sampler "${s}"; use one of ${SAMPLER_IDS.map((k) => `${k} ("${SAMPLERS[k].a1111}")`).join(', ')}`,
        });
        return z.NEVER;
      }
      return id;
    }),
    width: dim('width').optional(),
    height: dim('height').optional(),
    /** "512x512", instead of width and height. */
    size: z
      .string()
      .refine((s) => readSize(s) !== null, 'size looks like "512x512"')
      .optional(),
    /** Images per denoiser call: a number, or "auto" for the planner's choice. */
    batch: z
      .union([
        z.number().int().min(1, 'batch must be at least 1').max(64, 'batch must be at most 64'),
        z.literal('auto'),
      ])
      .default(1),
    /** Output folder, relative to the recipe. */
    output: z.string().min(1).default('out'),
    /** File name pattern: {index} {index:05} {seed} {prompt} (slug) {sampler} {steps} {width} {height} {guidance}. */
    filename: z.string().min(1).default('{index:05}-{seed}.png'),
  })
  .superRefine((r, ctx) => {
    const sources = [r.prompt !== undefined, r.prompts !== undefined, r.promptFile !== undefined].filter(
      Boolean,
    ).length;
    if (sources !== 1)
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give exactly one of prompt, prompts or promptFile' });
    if (r.size !== undefined && (r.width !== undefined || r.height !== undefined))
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'give size or width/height, not both' });
    if (r.size === undefined && (r.width === undefined || r.height === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [r.width === undefined ? 'width' : 'height'],
        message: 'width and height are required (or size: "512x512")',
      });
    if (/[/\\]|\.\./.test(r.filename))
      ctx.addIssue({
        code: 'custom',
        path: ['filename'],
        message: 'the file name pattern must be a plain name (no folders, no "..")',
      });
    if (!/\.png$/i.test(r.filename))
      ctx.addIssue({ code: 'custom', path: ['filename'], message: 'the file name pattern must end in .png' });
  });

export type RecipeInput = z.input<typeof recipeSchema>;
type Parsed = z.output<typeof recipeSchema>;

/** The sampling conditions every image of a recipe shares. */
interface Conditions {
  steps: number;
  guidance: number;
  sampler: SamplerId;
  width: number;
  height: number;
}

/** A validated recipe with paths resolved and prompts and seeds made explicit. */
export interface Recipe extends Conditions {
  /** Absolute path of the recipe file (or of the folder paths are relative to). */
  source: string;
  modelDir: string;
  /** LoRAs (absolute files; name: the file's name without extension, as A1111 shows it). */
  loras?: { file: string; weight: number; name: string }[];
  /** Tokenizer folder (absolute) when the recipe names one. */
  tokenizer?: string;
  outputDir: string;
  prompts: string[];
  negativePrompt: string;
  /** Seeds of the images of one prompt, in order (length = count). */
  seeds: number[];
  batch: number | 'auto';
  filename: string;
}

/** One image of the production: everything that decides its pixels, and its file. */
export interface ImageSpec extends Conditions {
  index: number;
  prompt: string;
  negativePrompt: string;
  seed: number;
  file: string;
}

function pathOf(issuePath: readonly PropertyKey[]): string {
  return (
    issuePath.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(recipe)'
  );
}

function seedList(spec: Parsed['seeds'], count: number | undefined): number[] {
  let start: number;
  let n: number;
  if (Array.isArray(spec)) {
    if (count !== undefined && count > spec.length)
      throw new RunnerError('bad-recipe', `count: ${count} images per prompt but seeds lists only ${spec.length}`);
    return spec.slice(0, count ?? spec.length);
  }
  if (typeof spec === 'number') [start, n] = [spec, count ?? 1];
  else if (typeof spec === 'string') {
    const [a, b] = spec.split('-').map((s) => Number(s.trim())) as [number, number];
    if (b < a) throw new RunnerError('bad-recipe', `seeds: range "${spec}" runs backwards`);
    if (b > SEED_MAX) throw new RunnerError('bad-recipe', `seeds: range "${spec}" goes past 2^32 − 1`);
    [start, n] = [a, count ?? b - a + 1];
  } else [start, n] = [spec.start, count ?? spec.count];
  if (n > MAX_IMAGES)
    throw new RunnerError(
      'bad-recipe',
      `seeds: ${n.toLocaleString('en-US')} seeds per prompt; a recipe makes at most ${MAX_IMAGES.toLocaleString('en-US')} images`,
    );
  if (start + n - 1 > SEED_MAX) throw new RunnerError('bad-recipe', `seeds: ${n} seeds from ${start} go past 2^32 − 1`);
  return Array.from({ length: n }, (_, i) => start + i);
}

export interface RecipeOptions {
  /** Output folder chosen by the user (`run --output`): replaces the recipe's and may be anywhere. */
  output?: string;
}

/**
 * Validate parsed recipe data; `baseDir` resolves relative paths. A recipe's own `output` must stay
 * inside the recipe's folder (a recipe from elsewhere must not write over "../../etc"); the user's
 * `opts.output` may point anywhere.
 */
export function recipeFrom(data: unknown, source: string, baseDir = dirname(source), opts: RecipeOptions = {}): Recipe {
  const r = recipeSchema.safeParse(data, { reportInput: true });
  if (!r.success) {
    const issue = r.error.issues[0]!;
    let msg = issue.message;
    if (issue.code === 'unrecognized_keys')
      msg = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (fields: ${Object.keys(recipeSchema.shape).join(', ')})`;
    else if (issue.code === 'invalid_type' && issue.input === undefined) msg = 'is required';
    const more = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : '';
    throw new RunnerError('bad-recipe', `${source}: ${pathOf(issue.path)}: ${msg}${more}`);
  }
  const p = r.data;
  let prompts: string[];
  if (p.prompt !== undefined) prompts = [p.prompt];
  else if (p.prompts !== undefined) prompts = p.prompts;
  else {
    const file = resolve(baseDir, p.promptFile!);
    if (!existsSync(file)) throw new RunnerError('bad-recipe', `${source}: promptFile: ${file} does not exist`);
    prompts = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    if (prompts.length === 0) throw new RunnerError('bad-recipe', `${source}: promptFile: ${file} holds no prompts`);
  }
  let width = p.width;
  let height = p.height;
  if (p.size !== undefined) {
    [width, height] = readSize(p.size)!;
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      const d = dim(name).safeParse(v);
      if (!d.success) throw new RunnerError('bad-recipe', `${source}: size: ${d.error.issues[0]!.message}`);
    }
  }
  let seeds: number[];
  try {
    seeds = seedList(p.seeds, p.count);
  } catch (err) {
    if (err instanceof RunnerError) throw new RunnerError(err.code, `${source}: ${err.message}`);
    throw err;
  }
  if (prompts.length * seeds.length > MAX_IMAGES)
    throw new RunnerError(
      'bad-recipe',
      `${source}: ${prompts.length.toLocaleString('en-US')} prompts × ${seeds.length.toLocaleString('en-US')} seeds is more than ${MAX_IMAGES.toLocaleString('en-US')} images; split the production into several recipes`,
    );
  let outputDir: string;
  if (opts.output !== undefined) outputDir = resolve(opts.output);
  else {
    outputDir = resolve(baseDir, p.output);
    const rel = relative(resolve(baseDir), outputDir);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new RunnerError(
        'bad-recipe',
        `${source}: output: "${p.output.slice(0, 200)}" is outside the recipe's folder; a recipe writes only below its own folder (give --output DIR to choose another place)`,
      );
  }
  const loras = (p.loras ?? []).map((l) => {
    const file = resolve(baseDir, l.file);
    if (!existsSync(file)) throw new RunnerError('bad-recipe', `${source}: loras: ${file} does not exist`);
    return { file, weight: l.weight, name: basename(file).replace(/\.safetensors$/i, '') };
  });
  return {
    source,
    modelDir: resolve(baseDir, p.model),
    loras,
    ...(p.tokenizer !== undefined ? { tokenizer: resolve(baseDir, p.tokenizer) } : {}),
    outputDir,
    prompts,
    negativePrompt: p.negativePrompt,
    seeds,
    steps: p.steps,
    guidance: p.guidance,
    sampler: p.sampler,
    width: width!,
    height: height!,
    batch: p.batch,
    filename: p.filename,
  };
}

/** Read a recipe file: .yaml/.yml as YAML, anything else as JSON. */
export function loadRecipe(path: string, opts: RecipeOptions = {}): Recipe {
  const abs = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(abs)) throw new RunnerError('no-recipe', `recipe ${path} does not exist`);
  if (statSync(abs).isDirectory())
    throw new RunnerError('no-recipe', `recipe ${path} is a folder; give the recipe file (.json, .yaml) in it`);
  // Recipes are small; a huge file is not one (and would be read whole into memory).
  if (statSync(abs).size > MAX_RECIPE_BYTES)
    throw new RunnerError(
      'bad-recipe',
      `recipe ${path} is larger than ${MAX_RECIPE_BYTES / 2 ** 20} MiB; is it a recipe?`,
    );
  const text = withFileErrors('read the recipe', path, () => readFileSync(abs, 'utf8'));
  let data: unknown;
  const yaml = /\.ya?ml$/i.test(extname(abs));
  try {
    data = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new RunnerError(
      'bad-recipe',
      `${path}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  return recipeFrom(data, abs, dirname(abs), opts);
}

function slug(s: string, max = 40): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, max)
      .replace(/-$/, '') || 'prompt'
  );
}

/** Expand a file name pattern for one image. */
export function fileNameFor(pattern: string, img: Omit<ImageSpec, 'file'>): string {
  return pattern.replace(/\{(\w+)(?::(\d+))?\}/g, (whole, key: string, pad: string | undefined) => {
    const values: Record<string, string | number> = {
      index: img.index,
      seed: img.seed,
      prompt: slug(img.prompt),
      sampler: img.sampler,
      steps: img.steps,
      width: img.width,
      height: img.height,
      guidance: img.guidance,
    };
    if (!Object.hasOwn(values, key))
      throw new RunnerError(
        'bad-recipe',
        `filename: unknown placeholder ${whole}; use {index}, {seed}, {prompt}, {sampler}, {steps}, {width}, {height}, {guidance}`,
      );
    const v = String(values[key]);
    return pad ? v.padStart(Number(pad), '0') : v;
  });
}

/** Every image of the recipe, numbered: prompt-major, then seed. File names must come out distinct. */
export function expandImages(r: Recipe): ImageSpec[] {
  const out: ImageSpec[] = [];
  const seen = new Map<string, number>();
  r.prompts.forEach((prompt, pi) => {
    r.seeds.forEach((seedValue, si) => {
      const base = {
        index: pi * r.seeds.length + si,
        prompt,
        negativePrompt: r.negativePrompt,
        seed: seedValue,
        steps: r.steps,
        guidance: r.guidance,
        sampler: r.sampler,
        width: r.width,
        height: r.height,
      };
      const file = fileNameFor(r.filename, base);
      const clash = seen.get(file);
      if (clash !== undefined)
        throw new RunnerError(
          'bad-recipe',
          `filename: "${r.filename}" gives images ${clash} and ${base.index} the same name "${file}"; add {index}`,
        );
      seen.set(file, base.index);
      out.push({ ...base, file });
    });
  });
  return out;
}

/**
 * Fingerprint of what decides the pixels (not the output folder, names or batch): a run folder
 * remembers it so that resuming with a changed recipe is refused instead of mixing two productions.
 */
export function recipeFingerprint(r: Recipe): string {
  const pixels = {
    prompts: r.prompts,
    negativePrompt: r.negativePrompt,
    seeds: r.seeds,
    steps: r.steps,
    guidance: r.guidance,
    sampler: r.sampler,
    width: r.width,
    height: r.height,
    // Only when used, so that the runs of recipes without them keep their fingerprint.
    ...(r.loras?.length ? { loras: r.loras.map((l) => [l.name, l.weight]) } : {}),
  };
  return createHash('sha256').update(JSON.stringify(pixels)).digest('hex').slice(0, 16);
}
