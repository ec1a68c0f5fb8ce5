/** The recipe the RunStore conformance suite runs (with the fake backend: no model files are read). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Recipe, recipeFrom } from '../../src/runner/recipe.ts';

/** 2 prompts × 3 seeds, 32×32, 3 steps, guided, batch 1: six images, each a few denoiser calls. */
export function conformanceRecipe(over: Record<string, unknown> = {}): Recipe {
  return recipeFrom(
    {
      model: 'fake-model',
      prompts: ['a red cube', 'a blue sphere'],
      seeds: '11-13',
      steps: 3,
      guidance: 5,
      sampler: 'euler_a',
      size: '32x32',
      batch: 1,
      output: 'unused',
      ...over,
    },
    join(tmpdir(), 'genready-conformance', 'recipe.json'),
  );
}
