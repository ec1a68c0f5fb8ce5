import { defineCommand } from 'citty';
import { loadCalibration } from '../../bench/calibration.ts';
import { resolveDevice } from '../../catalog/devices.ts';
import type { Device } from '../../catalog/devices.types.ts';
import { WorkloadError } from '../../catalog/errors.ts';
import type { Role } from '../../catalog/models.types.ts';
import { breakdown } from '../../cost/breakdown.ts';
import type { Calibration } from '../../cost/calibration.ts';
import { RUNTIMES } from '../../cost/constants.ts';
import { estimate, type StrategyChoice } from '../../cost/estimate.ts';
import { estimateMemory, STRATEGIES } from '../../cost/memory.ts';
import { componentsJson, estimateJson, workloadJson } from '../../cost/report.ts';
import { makeWorkload, type WorkloadInput } from '../../cost/workload.ts';
import { machineFromProbe } from '../../planner/machine.ts';
import { num, rejectUnknownFlags, size } from '../_args.ts';
import { color, gb, params, rate, seconds, table, tflops } from '../format.ts';
import type { Output } from '../output.ts';

export const workloadArgs = {
  model: { type: 'string', description: 'model id or common name (see `genready models`)', required: true },
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
} as const;

export function workloadFrom(args: Record<string, unknown>): WorkloadInput {
  let width = num('width', args.width);
  let height = num('height', args.height);
  if (typeof args.size === 'string') [width, height] = size(args.size);
  const cfg = args.cfg as string | undefined;
  if (cfg !== undefined && cfg !== 'on' && cfg !== 'off')
    throw new WorkloadError('bad-cfg', `--cfg must be on or off, got "${cfg}"`);
  const componentPrecision: Partial<Record<Role, string>> = {};
  if (typeof args.textPrecision === 'string') componentPrecision['text-encoder'] = args.textPrecision;
  if (typeof args.vaePrecision === 'string') componentPrecision.vae = args.vaePrecision;
  const input: WorkloadInput = { model: String(args.model), componentPrecision };
  const set = <K extends keyof WorkloadInput>(k: K, v: WorkloadInput[K] | undefined) => {
    if (v !== undefined) input[k] = v;
  };
  set('width', width);
  set('height', height);
  set('batch', num('batch', args.batch));
  set('steps', num('steps', args.steps));
  set('precision', args.precision as string | undefined);
  set('cfg', cfg as 'on' | 'off' | undefined);
  set('attention', args.attention as string | undefined);
  set('vaeTiling', args.vaeTiling as boolean | undefined);
  set('controlnet', args.controlnet as boolean | undefined);
  return input;
}

const estimateArgs = {
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
  strategy: { type: 'string', description: `auto|${STRATEGIES.join('|')} (default auto: fastest that fits)` },
  runtime: { type: 'string', description: `${Object.keys(RUNTIMES).join('|')} (default pytorch)` },
  ram: { type: 'string', description: 'system RAM in GiB (host-memory check for offload)' },
  json: { type: 'boolean', description: 'print the JSON contract' },
} as const;

function strategyArg(v: unknown): StrategyChoice {
  if (v === undefined) return 'auto';
  const s = String(v);
  if (s === 'auto' || (STRATEGIES as readonly string[]).includes(s)) return s as StrategyChoice;
  throw new WorkloadError('bad-strategy', `unknown strategy "${s}"; use auto, ${STRATEGIES.join(', ')}`);
}

function runtimeArg(v: unknown): keyof typeof RUNTIMES {
  if (v === undefined) return 'pytorch';
  const s = String(v);
  if (Object.hasOwn(RUNTIMES, s)) return s as keyof typeof RUNTIMES;
  throw new WorkloadError('bad-runtime', `unknown runtime "${s}"; use ${Object.keys(RUNTIMES).join(', ')}`);
}

/** What only this machine knows: its own device ("here") and its `genready bench` calibration. */
export interface LocalContext {
  device?: Device;
  host?: Device;
  calibration?: Calibration | null;
}

async function localContext(args: Record<string, unknown>): Promise<LocalContext> {
  if (!args.device) return {};
  const ctx: LocalContext = {};
  if (String(args.device).toLowerCase() === 'here') {
    const m = machineFromProbe(await (await import('../../probe/probe.ts')).probeMachine());
    ctx.device = m.device;
    ctx.host = m.host;
  }
  if (args.calibration !== false) {
    const { calibration, warning } = loadCalibration(ctx.device ?? resolveDevice(String(args.device)));
    if (warning) process.stderr.write(`genready: calibration ignored: ${warning}\n`);
    ctx.calibration = calibration;
  }
  return ctx;
}

/** The `--json` answer for estimate flags (also served by `POST /api/estimate`). */
export function estimateAnswer(args: Record<string, unknown>, local: LocalContext = {}) {
  const w = makeWorkload(workloadFrom(args));
  if (!args.device) {
    // Device-independent: the breakdown and the memory an all-on-device run needs.
    const parts = breakdown(w);
    return { workload: workloadJson(w), components: componentsJson(parts), memory: estimateMemory(w, parts, 'gpu') };
  }
  return estimateJson(estimateOn(w, args, local));
}

function estimateOn(w: ReturnType<typeof makeWorkload>, args: Record<string, unknown>, local: LocalContext = {}) {
  const device = local.device ?? resolveDevice(String(args.device));
  const ramGiB = num('ram', args.ram);
  return estimate(w, device, {
    strategy: strategyArg(args.strategy),
    runtime: runtimeArg(args.runtime),
    ...(ramGiB !== undefined ? { ramGiB } : {}),
    ...(local.host ? { host: local.host } : {}),
    ...(local.calibration ? { calibration: local.calibration } : {}),
  });
}

export const estimateCommand = defineCommand({
  meta: { name: 'estimate', description: 'Parameters, FLOPs, memory per phase and time of one workload' },
  args: estimateArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, estimateArgs);
    const out = data as Output;
    const local = await localContext(args);
    if (args.json) return out.json(estimateAnswer(args, local));
    const w = makeWorkload(workloadFrom(args));
    if (!args.device) {
      const parts = breakdown(w);
      const memory = estimateMemory(w, parts, 'gpu');
      out.text(renderBreakdown(parts));
      out.text(
        `peak allocated ${gb(memory.peakAllocatedBytes)} · reserved ${gb(memory.peakReservedBytes)} · device ${gb(memory.peakDeviceBytes)} (add --device for time and fit)`,
      );
      return;
    }
    const e = estimateOn(w, args, local);
    const device = e.device;
    const j = estimateJson(e);
    out.text(renderBreakdown(e.parts));
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
    out.text(phases.toString());
    const verdict = j.fits ? color.green('fits') : color.red('does not fit');
    out.text(
      `${color.bold(j.model.name)} on ${color.bold(device.name)} (${j.runtime}, strategy ${j.strategy}): ${verdict} — ` +
        (onCpu && device.backend === 'cpu'
          ? `RAM ${gb(j.memory.peakHostBytes)} of ${gb(j.usableDeviceBytes)} usable`
          : `device ${gb(j.memory.peakDeviceBytes)} of ${gb(j.usableDeviceBytes)} usable (allocated ${gb(j.memory.peakAllocatedBytes)}, reserved ${gb(j.memory.peakReservedBytes)}), host RAM ${gb(j.memory.peakHostBytes)}`),
    );
    out.text(
      `${rate(j.time.stepsPerSecond)} steps/s (${seconds(j.time.secondsPerStep)} per step, ${j.time.bound}-bound) · ${seconds(j.time.secondsPerImage)} per image · ${rate(j.time.imagesPerHour)} images/hour`,
    );
    if (e.calibration) {
      const f = Object.entries(e.calibration.factors)
        .map(([p, x]) => `${p} ×${x.toFixed(2)}`)
        .join(', ');
      out.text(
        color.green(
          `measured here: times scaled by genready bench on this machine (${e.calibration.source}, ${e.calibration.measuredAt.slice(0, 10)}): ${f}`,
        ),
      );
    } else {
      out.text(
        color.dim('estimated by the cost model (genready bench measures this machine; then this says "measured here")'),
      );
    }
    const alt = j.alternatives
      .filter((a) => a.strategy !== j.strategy)
      .map((a) => `${a.strategy} ${a.fits ? 'fits' : 'no'} ${seconds(a.secondsPerImage)}/img`);
    if (alt.length) out.text(color.dim(`other strategies: ${alt.join(' · ')}`));
    if (
      !j.fits &&
      !w.vaeTiling &&
      (j.memory.phases.find((p) => p.phase === 'vae-decode')?.allocatedBytes ?? 0) >= j.memory.peakAllocatedBytes
    ) {
      // The decode of the whole batch is what does not fit (diffusers decodes it at once): say what tiling gives.
      const tiled = estimateJson(estimateOn(makeWorkload({ ...workloadFrom(args), vaeTiling: true }), args, local));
      if (tiled.fits)
        out.text(
          `with --vae-tiling (decode in tiles) it fits: strategy ${tiled.strategy}, device ${gb(tiled.memory.peakDeviceBytes)}, ${rate(tiled.time.imagesPerHour)} images/hour`,
        );
    }
  },
});

function renderBreakdown(parts: ReturnType<typeof breakdown>): string {
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
    t.push([
      c.name,
      c.role,
      params(c.parameters),
      `${gb(c.weightBytes)} ${c.precision}`,
      tflops(c.flopsPerForward * c.forwardBatch),
      `${c.forwardsPerCall} × batch ${c.forwardBatch}`,
      `${gb(c.activationBytes.naive)} / ${gb(c.activationBytes.sliced)} / ${gb(c.activationBytes.flash)}`,
    ]);
  }
  return t.toString();
}
