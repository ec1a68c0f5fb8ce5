/** The filesystem RunStore passes the RunStore conformance suite. */
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST } from '../../src/runner/manifest.ts';
import { makeStore } from './_fs-store-factory.ts';
import { storeConformance } from './store-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'genready-store-fs-'));
process.env.GENREADY_STORE_ROOT = root;

storeConformance('filesystem', {
  make: makeStore,
  childModule: fileURLToPath(new URL('./_fs-store-factory.ts', import.meta.url)),
  env: { GENREADY_STORE_ROOT: root },
  async image(key, file) {
    const p = join(root, key, file);
    return existsSync(p) ? readFileSync(p) : null;
  },
  async damage(key, file, how) {
    const p = join(root, key, file);
    if (how === 'delete') rmSync(p);
    else if (how === 'truncate') truncateSync(p, Math.floor(readFileSync(p).length / 2));
    else {
      const b = readFileSync(p);
      // A bit in the middle of the pixel data: the size stays, the sha256 changes.
      b[Math.floor(b.length / 2)]! ^= 0x04;
      writeFileSync(p, b);
    }
  },
  async recordIndices(key) {
    const p = join(root, key, MANIFEST);
    if (!existsSync(p)) return [];
    return readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => JSON.parse(l).index as number);
  },
});
