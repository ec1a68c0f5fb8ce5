/**
 * Imported by a worker's inference child through GENREADY_QUEUE_CHILD_IMPORT (and by the test
 * itself): checkpoints named `tiny-*.safetensors` run on the tiny SD 1.x architecture of
 * test/runner/_checkpoint.ts, cached under GENREADY_CACHE_DIR as any checkpoint.
 */
import { checkpointBackend } from '../../src/runner/backends/checkpoint.ts';
import { BACKENDS } from '../../src/runner/backends/index.ts';
import { tinyPipeline } from '../runner/_checkpoint.ts';

const accepts = (s: string) => /(^|\/)tiny-[^/]*\.safetensors$/.test(s);
if (!BACKENDS.some((r) => r.accepts('tiny-x.safetensors') && r.backend.name === 'checkpoint-tiny')) {
  const pipeline = tinyPipeline();
  BACKENDS.unshift({
    accepts,
    backend: { ...checkpointBackend({ pipeline }), name: 'checkpoint-tiny' },
    withExtras: (x) => checkpointBackend({ ...x, pipeline }),
  });
}
