/** Shared fixture: the tiny example model and recipe in a fresh temporary folder. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeExample } from '../../src/runner/example.ts';
import { recipeFrom, type Recipe } from '../../src/runner/recipe.ts';
import { EXAMPLE_RECIPE } from '../../src/runner/example.ts';

export async function tinyExample(): Promise<{ dir: string; modelDir: string; recipePath: string; recipe: (over?: Record<string, unknown>) => Recipe }> {
  const dir = mkdtempSync(join(tmpdir(), 'genready-run-'));
  const ex = await writeExample(dir);
  return {
    dir,
    modelDir: ex.modelDir,
    recipePath: ex.recipe,
    recipe: (over = {}) => recipeFrom({ ...EXAMPLE_RECIPE, ...over }, ex.recipe),
  };
}
