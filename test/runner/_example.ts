/** Shared fixture: the tiny example model and recipe in a fresh temporary folder. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_RECIPE, writeExample } from '../../src/runner/example.ts';
import { type Recipe, recipeFrom } from '../../src/runner/recipe.ts';

export async function tinyExample(): Promise<{
  dir: string;
  modelDir: string;
  recipePath: string;
  recipe: (over?: Record<string, unknown>) => Recipe;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'genready-run-'));
  const ex = await writeExample(dir);
  return {
    dir,
    modelDir: ex.modelDir,
    recipePath: ex.recipe,
    recipe: (over = {}) => recipeFrom({ ...EXAMPLE_RECIPE, ...over }, ex.recipe),
  };
}
