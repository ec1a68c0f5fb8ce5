/**
 * `genready verify IMAGE`: make one image again from the record in its own PNG (the "genready"
 * text chunk: every pixel-deciding parameter and the model folder's hash) and compare. Images do
 * not depend on their batch company (see pipeline.ts), so the image is remade alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadOrtModel } from './backends/ort.ts';
import { RunnerError } from './errors.ts';
import { generateBatch, TextEncoderCache } from './pipeline.ts';
import { decodePng, readPngText } from './png.ts';
import { type ImageRecord, pngFor, RUN_FILE, type RunFile } from './production.ts';

export interface VerifyResult {
  image: string;
  match: boolean;
  bytesEqual: boolean;
  pixelsEqual: boolean;
  /** RGB values that differ, of width × height × 3. */
  differingValues: number;
  maxDifference: number;
  modelHash: { recorded: string; now: string };
  seconds: number;
  message: string;
}

function readRecord(path: string, bytes: Buffer): ImageRecord {
  let texts: Record<string, string>;
  try {
    texts = readPngText(bytes);
  } catch {
    throw new RunnerError('bad-image', `${path} is not a PNG file`);
  }
  const raw = texts.genready;
  if (!raw)
    throw new RunnerError(
      'bad-image',
      `${path} carries no genready record (was it made by genready run, or re-saved by another program?)`,
    );
  try {
    const r = JSON.parse(raw) as ImageRecord;
    if (r.v !== 1 || !r.spec || !r.model) throw new Error('unknown format');
    return r;
  } catch (err) {
    throw new RunnerError('bad-image', `${path}: the genready record is damaged (${(err as Error).message})`);
  }
}

export async function verifyImage(
  imagePath: string,
  opts: { modelDir?: string; provider?: string } = {},
): Promise<VerifyResult> {
  const path = resolve(imagePath);
  if (!existsSync(path)) throw new RunnerError('no-image', `${imagePath} does not exist`);
  const bytes = readFileSync(path);
  const record = readRecord(imagePath, bytes);
  // The PNG names the model by content (hash), not by path; the run folder remembers where it was.
  const runFile = join(dirname(path), RUN_FILE);
  let run: RunFile | null = null;
  try {
    run = existsSync(runFile) ? (JSON.parse(readFileSync(runFile, 'utf8')) as RunFile) : null;
  } catch {
    run = null;
  }
  const modelDir = opts.modelDir ? resolve(opts.modelDir) : run?.model?.dir;
  if (!modelDir)
    throw new RunnerError(
      'no-model',
      `${imagePath}: its run folder has no ${RUN_FILE} saying where the model is; pass --model DIR`,
    );
  if (!opts.modelDir && !existsSync(modelDir))
    throw new RunnerError(
      'no-model',
      `${imagePath}: the model folder of its run, ${modelDir}, is gone; pass --model DIR`,
    );
  // The run folder's file hashes spare re-hashing gigabytes when nothing changed.
  const cache = run && run.model.dir === modelDir ? run.model.files : [];
  const providers = !opts.provider || opts.provider === 'cpu' ? ['cpu'] : [opts.provider, 'cpu'];
  const model = await loadOrtModel(modelDir, { providers });
  try {
    const hash = (await model.identify(cache)).hash;
    const base = { image: imagePath, modelHash: { recorded: record.model.hash, now: hash } };
    if (hash !== record.model.hash) {
      return {
        ...base,
        match: false,
        bytesEqual: false,
        pixelsEqual: false,
        differingValues: -1,
        maxDifference: -1,
        seconds: 0,
        message: `${imagePath}: not verified: the model folder ${modelDir} is not the one the image was made with (hash ${hash}, recorded ${record.model.hash})`,
      };
    }
    const t0 = performance.now();
    const [g] = await generateBatch(model, [record.spec], new TextEncoderCache(model));
    const seconds = (performance.now() - t0) / 1000;
    // Same record → same text chunks → comparable bytes.
    const again = pngFor(record.spec, g!.rgb, record.model);
    const bytesEqual = again.equals(bytes);
    const old = decodePng(bytes);
    let differing = 0;
    let maxDiff = 0;
    if (old.width !== record.spec.width || old.height !== record.spec.height) differing = -1;
    else {
      for (let p = 0; p < old.width * old.height; p++) {
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(old.data[p * 4 + c]! - g!.rgb[p * 3 + c]!);
          if (d) differing++;
          if (d > maxDiff) maxDiff = d;
        }
      }
    }
    const pixelsEqual = differing === 0;
    const message = bytesEqual
      ? `${imagePath}: match — made again in ${seconds.toFixed(2)} s, identical bytes (seed ${record.spec.seed}, model ${hash})`
      : pixelsEqual
        ? `${imagePath}: pixels match but the file differs (metadata changed after generation?)`
        : differing < 0
          ? `${imagePath}: differs — the file is ${old.width}×${old.height}, the record says ${record.spec.width}×${record.spec.height}`
          : `${imagePath}: differs — ${differing} of ${old.width * old.height * 3} RGB values, by up to ${maxDiff}/255 (another backend, provider or onnxruntime version gives other rounding)`;
    return {
      ...base,
      match: bytesEqual || pixelsEqual,
      bytesEqual,
      pixelsEqual,
      differingValues: differing,
      maxDifference: maxDiff,
      seconds,
      message,
    };
  } finally {
    await model.close();
  }
}
