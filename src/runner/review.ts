/**
 * Review marks: a person's keep / reject verdict per image, stored as `review.json` beside the
 * manifest (written atomically, read-modify-write), and the plan `genready run --redo-rejected`
 * follows: each rejected image not yet redone gets a new image with a new seed, numbered after
 * every image so far and marked `redoOf` in the manifest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { RunnerError } from './errors.ts';
import type { ManifestEntry } from './manifest.ts';
import { fileNameFor, type ImageSpec } from './recipe.ts';

export const REVIEW = 'review.json';
export type Mark = 'keep' | 'reject';

export interface ReviewFile {
  v: 1;
  /** By image index (as a string key). */
  marks: Record<string, Mark>;
  updatedAt: string;
}

export function readReview(dir: string): ReviewFile {
  const path = join(dir, REVIEW);
  if (!existsSync(path)) return { v: 1, marks: {}, updatedAt: '' };
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as ReviewFile;
    if (r.v !== 1 || typeof r.marks !== 'object' || r.marks === null) throw new Error('unknown format');
    for (const [k, m] of Object.entries(r.marks))
      if (!/^\d+$/.test(k) || (m !== 'keep' && m !== 'reject')) throw new Error(`bad mark ${k}: ${String(m)}`);
    return r;
  } catch (err) {
    throw new RunnerError('bad-review', `${path} is not a review file (${(err as Error).message})`, { cause: err });
  }
}

/** Set (or clear, with null) one image's mark. */
export function setMark(dir: string, index: number, mark: Mark | null, now: () => Date = () => new Date()): ReviewFile {
  if (!Number.isInteger(index) || index < 0)
    throw new RunnerError('bad-mark', `image index must be a whole number ≥ 0, got ${index}`);
  const r = readReview(dir);
  if (mark === null) delete r.marks[String(index)];
  else r.marks[String(index)] = mark;
  r.updatedAt = now().toISOString();
  writeFileAtomic(join(dir, REVIEW), `${JSON.stringify(r, null, 2)}\n`);
  return r;
}

/**
 * A new seed for a redo: a 32-bit mix (splitmix32 finaliser) of the rejected seed and the new
 * image's index, so the choice depends on nothing but the record and survives a restart.
 */
export function redoSeed(oldSeed: number, newIndex: number): number {
  let z = (oldSeed ^ Math.imul(newIndex + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export interface RedoSpec extends ImageSpec {
  redoOf: number;
}

/**
 * The redo plan: rejected images (ascending) that no image replaces yet, numbered from one past the
 * highest index of the recipe and the manifest. Deterministic from the record, so a redo killed
 * midway plans the same remaining images when started again.
 */
export function redoPlan(
  entries: ReadonlyMap<number, ManifestEntry>,
  review: ReviewFile,
  recipeImages: number,
  filenamePattern: string,
): RedoSpec[] {
  const redone = new Set([...entries.values()].flatMap((e) => (e.redoOf !== undefined ? [e.redoOf] : [])));
  const taken = new Set([...entries.values()].map((e) => e.file));
  let next = Math.max(recipeImages, ...[...entries.keys()].map((i) => i + 1));
  const out: RedoSpec[] = [];
  for (const idx of Object.keys(review.marks)
    .map(Number)
    .sort((a, b) => a - b)) {
    if (review.marks[String(idx)] !== 'reject' || redone.has(idx)) continue;
    const old = entries.get(idx);
    if (!old) continue;
    const index = next++;
    const base = {
      index,
      prompt: old.prompt,
      negativePrompt: old.negativePrompt,
      seed: redoSeed(old.seed, index),
      steps: old.steps,
      guidance: old.guidance,
      sampler: old.sampler,
      width: old.width,
      height: old.height,
    };
    let file = fileNameFor(filenamePattern, base);
    if (taken.has(file)) file = file.replace(/\.png$/i, `-redo${index}.png`);
    taken.add(file);
    out.push({ ...base, file, redoOf: idx });
  }
  return out;
}
