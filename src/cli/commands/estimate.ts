import { defineCommand } from 'citty';
import {
  type EstimateAnswer,
  type EstimateOnDevice,
  estimateAnswer,
  isOnDevice,
  parseEstimate,
} from '../../answers/estimate.ts';
import { productionLocal } from '../../answers/local.ts';
import { RUNTIMES } from '../../cost/constants.ts';
import { STRATEGIES } from '../../cost/memory.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { cacheNote, gradeText, verdictLines } from '../_verdict-text.ts';
import { color, gb, params, rate, seconds, table, tflops } from '../format.ts';
import type { Output } from '../output.ts';

/** The workload flags shared by estimate, plan and gpus (request fields of src/answers/workload.ts). */
export const workloadArgs = {
  model: { type: 'string', description: 'model id or common name (see `genready models`); required' },
  width: { type: 'string', description: 'image width in px (default: the model’s native size)' },
  height: { type: 'string', description: 'image height in px' },
  size: { type: 'string', description: 'WxH, e.g. 1024x1024 (instead of --width/--height)' },
  batch: { type: 'string', description: 'images per pipeline call (default 1)' },
  steps: { type: 'string', description: 'sampler steps (default: the model’s)' },
  precision: {
    type: 'string',
    description: 'denoiser weights: fp32 fp16 bf16 fp8 int8 q8_0 nf4 int4 q4_0 q4_1 q4_k q2_k',
  },
  textPrecision: { type: 'string', description: 'text-encoder weights (default: the 16-bit compute type)' },
  vaePrecision: { type: 'string', description: 'VAE weights (default: the 16-bit compute type)' },
  cfg: { type: 'string', description: 'classifier-free guidance on|off (default: the model’s)' },
  attention: { type: 'string', description: 'attention kernel naive|sliced|flash (default flash)' },
  vaeTiling: { type: 'boolean', description: 'decode in 512 px tiles, one image at a time' },
  controlnet: { type: 'boolean', description: 'add the model’s ControlNet (sd15, sdxl)' },
  quantBackend: {
    type: 'string',
    description: 'library running quantized weights: bnb|quanto|torchao|gguf|fp8-native|cast (default per format)',
  },
  torchVersion: {
    type: 'string',
    description:
      'PyTorch release the run uses, e.g. 2.5 (time: MPS before 2.0 runs slower; on Intel GPUs SDPA before 2.7 is the math path)',
  },
  rocmVersion: {
    type: 'string',
    description: 'ROCm release the run uses, e.g. 6.4 (time: a GPU before its tuned kernels runs slower)',
  },
  frontend: {
    type: 'string',
    description: 'what calls the pipeline: app (A1111, Forge, ComfyUI, …: default) or script (diffusers in Python)',
  },
  tf32: {
    type: 'string',
    description:
      'fp32 matmuls on TF32 tensor cores (Ampere and newer): on|off (default: on from an app, off from a script, PyTorch’s default since 1.12)',
  },
  quantize: {
    type: 'boolean',
    default: true,
    description: 'let the ladder lower the weights to fp8 or 4-bit to fit (--no-quantize: never)',
  },
  strategy: { type: 'string', description: `pin the ladder: auto|${STRATEGIES.join('|')} (default auto)` },
} as const;

export const estimateArgs = {
  ...workloadArgs,
  device: {
    type: 'string',
    description: 'device name, e.g. "RTX 4090", "Apple M2 16GB" (see `genready devices`), or "here" for this machine',
  },
  calibration: {
    type: 'boolean',
    default: true,
    description:
      'scale times by `genready bench` measurements of the device, when there are some (--no-calibration: the pure estimate)',
  },
  runtime: { type: 'string', description: `${Object.keys(RUNTIMES).join('|')} (default pytorch)` },
  ram: { type: 'string', description: 'system RAM in GiB (host-memory check for offload)' },
  json: { type: 'boolean', description: 'print the JSON contract' },
} as const;

export const estimateCommand = defineCommand({
  meta: { name: 'estimate', description: 'Parameters, FLOPs, memory per phase and time of one workload' },
  args: estimateArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, estimateArgs);
    const out = data as Output;
    const a = await cliAnswer(async () =>
      estimateAnswer(
        parseEstimate(requestOf(args, estimateArgs)),
        productionLocal((msg) => process.stderr.write(`genready: ${msg}\n`)),
      ),
    );
    if (args.json) return out.json(a);
    for (const line of renderEstimate(a)) out.text(line);
  },
});

/** The text of an estimate answer: everything comes from the answer (no second estimate). */
export function renderEstimate(a: EstimateAnswer): string[] {
  const lines = [renderBreakdown(a.components)];
  if (!isOnDevice(a)) {
    const m = a.memory;
    lines.push(
      `peak allocated ${gb(m.peakAllocatedBytes)} · reserved ${gb(m.peakReservedBytes)} · device ${gb(m.peakDeviceBytes)} (add --device for time and fit)`,
    );
    return lines;
  }
  const j = a;
  // On a CPU there is no device memory: everything is RAM, said once below; the per-phase figures
  // are device memory (all zero there), so only the time per phase is shown.
  const onCpu = j.strategy === 'cpu';
  const phases = table(
    onCpu ? ['phase', 'time / call'] : ['phase', 'weights on device', 'activations', 'allocated', 'time / call'],
  );
  for (const p of j.memory.phases) {
    const t = j.time.phases.find((x) => x.phase === p.phase)!;
    phases.push(
      onCpu
        ? [p.phase, seconds(t.seconds)]
        : [p.phase, gb(p.weightBytes), gb(p.activationBytes), gb(p.allocatedBytes), seconds(t.seconds)],
    );
  }
  lines.push(phases.toString());
  lines.push(
    `${color.bold(j.model.name)} on ${color.bold(j.device.name)} (${j.runtime}, strategy ${j.strategy}): ${gradeText(j.fitGrade)} — ` +
      (onCpu && j.device.backend === 'cpu'
        ? `RAM ${gb(j.memory.peakHostBytes)} of ${gb(j.usableDeviceBytes)} usable`
        : `needs ${gb(j.memory.peakRequiredBytes)} of ${gb(j.usableDeviceBytes)} usable (allocated ${gb(j.memory.peakAllocatedBytes)} + runtime context${cacheNote(j.memory.allocatorCacheBytes)}), host RAM ${gb(j.memory.peakHostBytes)}`),
  );
  lines.push(
    j.fits
      ? `${rate(j.time.stepsPerSecond)} steps/s (${seconds(j.time.secondsPerStep)} per step, ${j.time.bound}-bound) · ${seconds(j.time.secondsPerImage)} per image · ${rate(j.time.imagesPerHour)} images/hour`
      : color.dim('no speed: it does not run as asked (the ladder below says what does)'),
  );
  if (j.fits) lines.push(firstImageLine(j.firstImage));
  if (j.attention.reason)
    lines.push(
      color.dim(
        `attention: ${j.attention.requested} asked; ${j.attention.reason} (timed as ${j.attention.time}, memory as ${j.attention.memory})`,
      ),
    );
  if (j.calibration) {
    const f = Object.entries(j.calibration.factors)
      .map(([p, x]) => `${p} ×${x.toFixed(2)}`)
      .join(', ');
    lines.push(
      color.green(
        `measured here: times scaled by genready bench on this machine (${j.calibration.source}, ${j.calibration.measuredAt.slice(0, 10)}): ${f}`,
      ),
    );
  } else {
    lines.push(
      color.dim('estimated by the cost model (genready bench measures this machine; then this says "measured here")'),
    );
  }
  const alt = j.alternatives
    .filter((x) => x.strategy !== j.strategy)
    .map((x) => `${x.strategy} ${x.fits ? `fits ${seconds(x.secondsPerImage)}/img` : 'no'}`);
  if (alt.length) lines.push(color.dim(`other strategies: ${alt.join(' · ')}`));
  const hint = j.vaeTilingHint;
  if (hint)
    lines.push(
      `with --vae-tiling (decode in tiles) it fits: strategy ${hint.strategy}, device ${gb(hint.peakDeviceBytes)}, ${rate(hint.imagesPerHour)} images/hour`,
    );
  lines.push(verdictLines(j.verdict, { title: 'Ladder' }).join('\n'));
  return lines;
}

/** The first image apart from the steady state: what a cold start costs before the first batch. */
function firstImageLine(f: EstimateOnDevice['firstImage']): string {
  return (
    `first image ${seconds(f.firstImageSeconds)} from a cold start (read ${gb(f.weightBytes)} at ${gb(f.diskBytesPerSecond)}/s ${seconds(f.readSeconds)}, ` +
    `load ${seconds(f.loadSeconds)}, warm-up ${seconds(f.warmupSeconds)}, first call ${seconds(f.firstCallSeconds)}); ` +
    `${seconds(f.firstImageCachedSeconds)} with the weights in the page cache`
  );
}

function renderBreakdown(parts: EstimateAnswer['components']): string {
  const t = table([
    'component',
    'role',
    'params',
    'weights',
    { head: 'FLOPs / forward', secondary: 'stack' },
    'forwards',
    { head: 'activation peak (naive / sliced / flash)', secondary: 'stack' },
  ]);
  for (const c of parts) {
    const act = c.activationBytes as Record<'naive' | 'sliced' | 'flash', number>;
    t.push([
      c.name,
      c.role,
      params(c.parameters),
      // A loader's float32 exceptions (T5's wo) say why the bytes exceed parameters × the format.
      `${gb(c.weightBytes)} ${c.precision}${c.fp32KeptParameters > 0 ? ` (${params(c.fp32KeptParameters)} fp32)` : ''}`,
      tflops(c.flopsPerForward * c.forwardBatch),
      `${c.forwardsPerCall} × batch ${c.forwardBatch}`,
      `${gb(act.naive)} / ${gb(act.sliced)} / ${gb(act.flash)}`,
    ]);
  }
  return t.toString();
}
