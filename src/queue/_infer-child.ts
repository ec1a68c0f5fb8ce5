/**
 * The inference child of a worker. onnxruntime-node's `session.run` blocks its thread for the whole
 * call; run in the worker's own process it would stall BullMQ's lock renewal and the job would be
 * handed to another worker while still running. Here it blocks only this process; the worker's
 * event loop stays free. Models stay open between chunks (one at a time).
 */

import { pathToFileURL } from 'node:url';
import { backendFor } from '../runner/backends/index.ts';
import { generateBatch, TextEncoderCache } from '../runner/pipeline.ts';
import type { LoadedModel } from '../runner/ports.ts';
import { pngFor } from '../runner/production.ts';
import type { ImageSpec } from '../runner/recipe.ts';
import {
  CHILD_IMPORT_ENV,
  FAIL_INDEX_ENV,
  type InferImage,
  type InferReply,
  type InferRequest,
} from './_infer-protocol.ts';

const seam = process.env[CHILD_IMPORT_ENV];
if (seam) await import(pathToFileURL(seam).href);

let open: { key: string; model: LoadedModel; text: TextEncoderCache } | null = null;
const failing = new Set(
  (process.env[FAIL_INDEX_ENV] ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number),
);

async function modelFor(req: InferRequest) {
  const key = JSON.stringify([req.modelDir, req.model.hash, req.extras, req.providers, req.threads]);
  if (open?.key === key) return open;
  await open?.model.close();
  open = null;
  // The runner's Backend port: the same backend `genready run` picks for this model source.
  const model = await backendFor(req.modelDir, req.extras).load(req.modelDir, {
    providers: req.providers,
    ...(req.threads !== undefined ? { threads: req.threads } : {}),
  });
  open = { key, model, text: new TextEncoderCache(model) };
  return open;
}

async function generate(req: InferRequest, specs: ImageSpec[]): Promise<InferImage[]> {
  const m = await modelFor(req);
  const poison = specs.find((s) => failing.has(s.index));
  if (poison) throw new Error(`injected failure for image ${poison.index} (${FAIL_INDEX_ENV})`);
  const t0 = performance.now();
  const out = await generateBatch(m.model, specs, m.text);
  const seconds = Math.round(((performance.now() - t0) / 1000 / specs.length) * 1000) / 1000;
  return out.map((g) => ({
    index: g.spec.index,
    ok: true as const,
    png: pngFor(g.spec, g.rgb, req.model),
    seconds,
    ...(g.truncatedTokens.prompt || g.truncatedTokens.negative ? { truncatedTokens: g.truncatedTokens } : {}),
  }));
}

async function handle(req: InferRequest): Promise<InferReply> {
  const images: InferImage[] = [];
  const runtime = (await modelFor(req)).model.runtime;
  for (let i = 0; i < req.specs.length; i += req.batch) {
    const batch = req.specs.slice(i, i + req.batch);
    try {
      images.push(...(await generate(req, batch)));
    } catch (err) {
      if (batch.length === 1) {
        images.push({ index: batch[0]!.index, ok: false, error: (err as Error).message.split('\n')[0]! });
        continue;
      }
      // One bad image must not sink its batch-mates: retry them one by one (pixels do not depend
      // on batch company, so the bytes are the same).
      for (const s of batch) {
        try {
          images.push(...(await generate(req, [s])));
        } catch (e) {
          images.push({ index: s.index, ok: false, error: (e as Error).message.split('\n')[0]! });
        }
      }
    }
  }
  return { id: req.id, ok: true, images, runtime };
}

process.on('message', (req: InferRequest) => {
  handle(req).then(
    (reply) => process.send?.(reply),
    (err) =>
      process.send?.({
        id: req.id,
        ok: false,
        error: (err as Error).message.split('\n')[0] ?? 'failed',
      } satisfies InferReply),
  );
});
// The worker died (kill -9 included): nothing left to serve.
process.on('disconnect', () => process.exit(0));
