/**
 * Model catalog access: listing and resolving the names people type ("SD 1.5", "flux-dev",
 * "stabilityai/stable-diffusion-xl-base-1.0") to catalog entries.
 */
import { models } from '../../data/models/index.ts';
import { closest } from './_similar.ts';
import { CatalogError } from './errors.ts';
import type { Component, ModelEntry } from './models.types.ts';

export function listModels(): readonly ModelEntry[] {
  return models;
}

/** Lowercase and drop everything but letters and digits, so "SD 1.5", "sd-1.5" and "sd15" meet. */
export const modelKey = (s: string) =>
  s
    .toLowerCase()
    .replace(/\[|\]/g, '')
    .replace(/[^a-z0-9]+/g, '');

const index = new Map<string, ModelEntry>();
for (const m of models) {
  for (const name of [m.id, m.name, ...m.aliases]) {
    const k = modelKey(name);
    const prior = index.get(k);
    if (prior && prior !== m)
      throw new CatalogError('duplicate-alias', `model alias "${name}" names both ${prior.id} and ${m.id}`);
    index.set(k, m);
  }
}

export function findModel(query: string): ModelEntry | undefined {
  return index.get(modelKey(query));
}

export function resolveModel(query: string): ModelEntry {
  const m = findModel(query);
  if (m) return m;
  const ids = models.map((x) => x.id);
  const near = closest(modelKey(query), [...index.keys()], 3).map((k) => index.get(k)!.id);
  const suggestions = [...new Set(near)];
  throw new CatalogError(
    'unknown-model',
    `unknown model "${query}"${suggestions.length ? `; did you mean: ${suggestions.join(', ')}?` : `; known: ${ids.join(', ')}`}`,
  );
}

/** Every component of a model, add-ons included, in pipeline order. */
export function components(m: ModelEntry): Component[] {
  return [...m.textEncoders, m.denoiser, m.vae, ...m.addons];
}
