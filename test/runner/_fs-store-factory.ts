/** `makeStore(key)` for the conformance suite's child processes: a folder under $GENREADY_STORE_ROOT. */
import { join } from 'node:path';
import { FsRunStore } from '../../src/runner/stores/fs.ts';

export function makeStore(key: string): FsRunStore {
  const root = process.env.GENREADY_STORE_ROOT;
  if (!root) throw new Error('GENREADY_STORE_ROOT is not set');
  return new FsRunStore(join(root, key));
}
