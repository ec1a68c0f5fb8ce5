/**
 * Loading a full-size SD 1.5 single-file checkpoint (1,136 tensors, 2.13 GB of fp16, written sparse
 * so it costs no disk) into the graph layout (fp32) through the name maps: peak RSS above the
 * starting RSS over the fp32 weights it produces (target ≤ 1.25: the weights plus 25 %), load time,
 * and the time to read the file's bytes once (sparse: zeros from the page cache, so a lower bound
 * for a real disk). One run; environment printed with the result; stores nothing.
 *
 *   npx tsx bench/checkpoint-load.ts     # ≈ 1 minute, ≈ 4 GB of RAM
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModel } from '../src/catalog/models.ts';
import type { AutoencoderArch, ClipTextArch, UNetArch } from '../src/catalog/models.types.ts';
import { clipTextNameMap, unetNameMap, vaeDecoderNameMap } from '../src/checkpoint/names.ts';
import { readSafetensorsHeader } from '../src/checkpoint/safetensors.ts';
import { type GraphWeight, loadGraphWeights } from '../src/checkpoint/tensors.ts';
import { writeSafetensors } from '../src/checkpoint/write.ts';
import { sd15Tensors } from '../test/checkpoint/_sd15.ts';

const TARGET = 1.25;

/** Peak resident set of this process so far (kernel's high-water mark), bytes. */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const dir = mkdtempSync(join(tmpdir(), 'genready-load-'));
try {
  const file = join(dir, 'v1-5-fp16.safetensors');
  const bytes = writeSafetensors(file, sd15Tensors('F16'));

  const readStart = performance.now();
  const fd = openSync(file, 'r');
  const chunk = Buffer.alloc(64 << 20);
  for (let pos = 0; pos < bytes; ) pos += readSync(fd, chunk, 0, chunk.length, pos) || bytes;
  closeSync(fd);
  const readSeconds = (performance.now() - readStart) / 1000;

  const sd = resolveModel('sd15');
  const before = process.memoryUsage().rss;
  const start = performance.now();
  const header = readSafetensorsHeader(file);
  const weights: GraphWeight[] = [
    ...loadGraphWeights(
      [header],
      'model.diffusion_model.',
      unetNameMap(sd.denoiser.arch as UNetArch, { convProjection: true }),
      'ldm',
    ),
    ...loadGraphWeights([header], 'first_stage_model.', vaeDecoderNameMap(sd.vae.arch as AutoencoderArch), 'ldm'),
    ...loadGraphWeights(
      [header],
      'cond_stage_model.transformer.',
      clipTextNameMap(sd.textEncoders[0]!.arch as ClipTextArch),
      'ldm',
    ),
  ];
  const loadSeconds = (performance.now() - start) / 1000;
  const fp32 = weights.reduce((s, w) => s + w.data.byteLength, 0);
  const ratio = (peakRss() - before) / fp32;
  console.log(
    `node ${process.version} · ${process.platform} ${process.arch} · load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} · ${new Date().toISOString()}`,
  );
  console.log(
    `file ${(bytes / 1e9).toFixed(2)} GB fp16, ${header.tensors.length} tensors; loaded ${weights.length} graph weights`,
  );
  console.log(
    `fp32 weights ${(fp32 / 1e9).toFixed(2)} GB; peak RSS above start ${((peakRss() - before) / 1e9).toFixed(2)} GB`,
  );
  console.log(`peak RSS / weights = ${ratio.toFixed(3)} (target ≤ ${TARGET}) ${ratio <= TARGET ? 'ok' : 'OVER'}`);
  console.log(
    `load ${loadSeconds.toFixed(1)} s vs reading the file once ${readSeconds.toFixed(1)} s: ×${(loadSeconds / readSeconds).toFixed(1)}`,
  );
  process.exitCode = ratio <= TARGET ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
