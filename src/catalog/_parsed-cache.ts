/**
 * Parsed catalogs kept as JSON between runs, so a command does not parse and validate the CSVs at
 * every start (csv-parse + zod over data/devices.csv took ~0.15 s of every command that names a
 * device, and matching data/cloud_prices.csv to the devices as much again).
 *
 * data/ stays the one source of truth: a cached file is named by a hash of everything its content
 * is computed from (the data files' bytes and the sources of the modules that parse them), so an
 * edit to either makes a new one and the old one is never read again. A missing, unreadable or
 * corrupt cache, or one that cannot be written, only means parsing again; nothing fails for it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.ts';

/** Beside the CLI bundle (bin/genready.mjs), under the project's node_modules/.cache. */
export const CATALOG_CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/genready-catalog/', import.meta.url));

/** The text of a source module, for the cache key (`import.meta.url` is the source file's, bundled or not). */
export function sourceText(url: string): string {
  return readFileSync(fileURLToPath(url), 'utf8');
}

/**
 * `parse()`'s result as JSON, from `dir` when a file for exactly these `inputs` is there, else
 * computed and written there. `dir` null (tests, tools) always parses. `inputs` are thunks so an
 * input that cannot be read (a source file outside a checkout) turns the cache off instead of failing.
 */
export function cachedParse<J>(name: string, inputs: readonly (() => string)[], parse: () => J, dir: string | null): J {
  if (dir === null) return parse();
  let key: string;
  try {
    const h = createHash('sha256');
    for (const input of inputs) h.update(input()).update('\0');
    key = h.digest('hex').slice(0, 20);
  } catch {
    return parse();
  }
  const file = join(dir, `${name}-${key}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as J;
  } catch {}
  const value = parse();
  try {
    writeFileAtomic(file, JSON.stringify(value));
    // Files for older inputs are never read again.
    for (const f of readdirSync(dir))
      if (f.startsWith(`${name}-`) && f.endsWith('.json') && join(dir, f) !== file)
        rmSync(join(dir, f), { force: true });
  } catch {}
  return value;
}
