/**
 * The calibration store: measured phase times per device, kept in genready's home directory
 * (`$GENREADY_HOME`, else the platform config directory + `/genready`), written atomically.
 *
 * Only measurements are stored (workload, device, seconds); the ratio is recomputed against the
 * current cost model whenever it is used, so a later change of a constant never leaves a stale
 * correction behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { onThreads } from '../catalog/cpu.ts';
import type { Device } from '../catalog/devices.types.ts';
import type { Calibration } from '../cost/calibration.ts';
import { phaseSeconds } from '../cost/phase-seconds.ts';
import type { Phase } from '../cost/types.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { BenchError } from './errors.ts';
import type { BenchPhase, BenchResult, Environment } from './types.ts';

export const CALIBRATION_FORMAT = 1;

/** `$GENREADY_HOME`, else `$XDG_CONFIG_HOME/genready` / `~/.config/genready` (macOS: Application Support, Windows: %APPDATA%). */
export function genreadyHome(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home = homedir(),
): string {
  if (env.GENREADY_HOME) return env.GENREADY_HOME;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'genready');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'genready');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'genready');
}

export const calibrationPath = (env?: Readonly<Record<string, string | undefined>>) =>
  join(genreadyHome(env), 'calibration.json');

const environmentSchema = z.object({
  device: z.string(),
  deviceId: z.string(),
  runtime: z.enum(['onnxruntime', 'pytorch']),
  provider: z.string(),
  cpu: z.string(),
  cores: z.number(),
  cpuClock: z.string().optional(),
  /** onnxruntime's intra-op threads where the run used fewer than one per core (a busy machine). */
  threads: z.number().int().positive().optional(),
  ramBytes: z.number(),
  os: z.string(),
  versions: z.record(z.string(), z.string()),
  date: z.string(),
  loadAverage: z.number().optional(),
});

/** What a measured case is: one phase of one model at a size and batch (shared with `--import`). */
export const caseFields = {
  model: z.string(),
  phase: z.enum(['text-encoding', 'denoising', 'vae-decode']),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  batch: z.number().int().positive(),
};

const measurementSchema = z.object({
  ...caseFields,
  precision: z.enum(['fp32', 'fp16']),
  /** The strategy the prediction is made for: the CPU strategy for CPU runs, all on the device otherwise. */
  strategy: z.enum(['cpu', 'gpu']),
  measuredSeconds: z.number().positive(),
  peakMemoryBytes: z.number().nonnegative(),
  environment: environmentSchema,
});
export type Measurement = z.infer<typeof measurementSchema>;

const storeSchema = z.object({
  format: z.literal(CALIBRATION_FORMAT),
  devices: z.record(z.string(), z.object({ device: z.string(), measurements: z.array(measurementSchema) })),
});
export type CalibrationStore = z.infer<typeof storeSchema>;

const EMPTY: CalibrationStore = { format: CALIBRATION_FORMAT, devices: {} };

export function loadStore(path = calibrationPath()): CalibrationStore {
  if (!existsSync(path)) return structuredClone(EMPTY);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BenchError('bad-calibration', `${path} is not valid JSON; delete it or run genready bench again`, {
      cause: err,
    });
  }
  const r = storeSchema.safeParse(raw);
  if (!r.success)
    throw new BenchError(
      'bad-calibration',
      `${path} is not a genready calibration file (format ${CALIBRATION_FORMAT}); delete it or run genready bench again`,
    );
  return r.data;
}

const caseKey = (m: Measurement) =>
  `${m.model}|${m.phase}|${m.width}x${m.height}|${m.batch}|${m.precision}|${m.environment.runtime}`;

/** Add measurements (a newer one replaces the same case) and save atomically. */
export function recordMeasurements(measurements: readonly Measurement[], path = calibrationPath()): CalibrationStore {
  const store = loadStore(path);
  for (const m of measurements) {
    const id = m.environment.deviceId;
    const entry = (store.devices[id] ??= { device: m.environment.device, measurements: [] });
    entry.device = m.environment.device;
    entry.measurements = entry.measurements.filter((x) => caseKey(x) !== caseKey(m));
    entry.measurements.push(m);
  }
  writeFileAtomic(path, `${JSON.stringify(store, null, 2)}\n`);
  return store;
}

export function measurementFrom(r: BenchResult, env: Environment, strategy: 'cpu' | 'gpu'): Measurement {
  return {
    model: r.model,
    phase: r.phase,
    width: r.width,
    height: r.height,
    batch: r.batch,
    precision: r.precision,
    strategy,
    measuredSeconds: r.measuredSeconds,
    peakMemoryBytes: r.peakMemoryBytes,
    environment: env,
  };
}

/** The cost model's seconds for one measured case on `device` (src/cost/phase-seconds.ts). */
export { phaseSeconds as predictSeconds };

/**
 * The calibration for `device` from stored measurements: per phase, the geometric mean of
 * measured / predicted over the cases measured there. Null when nothing was measured on it.
 */
export function calibrationFor(device: Device, store: CalibrationStore): Calibration | null {
  const entry = store.devices[device.id];
  if (!entry || entry.measurements.length === 0) return null;
  const logs = new Map<BenchPhase, number[]>();
  const models = new Set<string>();
  for (const m of entry.measurements) {
    let predicted: number;
    try {
      predicted = phaseSeconds(m, onThreads(device, m.environment.threads, m.environment.cores));
    } catch {
      continue; // a model or size the catalog no longer has
    }
    models.add(m.model);
    const list = logs.get(m.phase) ?? [];
    list.push(Math.log(m.measuredSeconds / predicted));
    logs.set(m.phase, list);
  }
  if (logs.size === 0) return null;
  const factors: Partial<Record<Phase, number>> = {};
  for (const [phase, xs] of logs) factors[phase] = Math.exp(xs.reduce((a, b) => a + b, 0) / xs.length);
  const newest = entry.measurements.reduce((a, b) => (a.environment.date > b.environment.date ? a : b));
  const env = newest.environment;
  return {
    deviceId: device.id,
    factors,
    measuredAt: env.date,
    source: `${env.runtime} ${env.versions[env.runtime] ?? ''} ${env.provider}`.replace(/\s+/g, ' ').trim(),
    models: [...models].sort(),
  };
}

/** The CPU the newest measurement of `device` ran on, as the probe named it then. */
export function measuredOnCpu(device: Device, store: CalibrationStore): string | null {
  const list = store.devices[device.id]?.measurements ?? [];
  if (list.length === 0) return null;
  return list.reduce((a, b) => (a.environment.date > b.environment.date ? a : b)).environment.cpu;
}

/** The calibration for `device` from the default store, or null (a broken store is reported, not fatal for estimates). */
export function loadCalibration(
  device: Device,
  path = calibrationPath(),
  probedCpu?: string,
): { calibration: Calibration | null; warning?: string } {
  try {
    const store = loadStore(path);
    const calibration = calibrationFor(device, store);
    const cpu = measuredOnCpu(device, store);
    // A store copied from another machine, or a CPU swapped since: the factors may not hold here.
    if (calibration && probedCpu !== undefined && cpu !== null && cpu.trim() !== probedCpu.trim())
      return {
        calibration,
        warning: `the calibration of ${device.name} was measured on another CPU (${cpu}; this one is ${probedCpu}): run genready bench again`,
      };
    return { calibration };
  } catch (err) {
    return { calibration: null, warning: err instanceof Error ? err.message : String(err) };
  }
}

/** Above this 1-minute load average per core a bench is "busy": its times are slower than the machine. */
export const BUSY_LOAD_PER_CORE = 1;

/**
 * Whether a bench's results become this machine's calibration. `asked`: --save (true), --no-save
 * (false) or neither. A bench measured while the machine was busy (load above the cores) is shown
 * but not saved unless --save says so: otherwise one busy run would make every later check slower.
 */
export function saveDecision(
  asked: boolean | undefined,
  load1: number,
  cores: number,
): { save: boolean; busy: boolean; note: string | null } {
  const busy = load1 > BUSY_LOAD_PER_CORE * cores;
  const what = `the machine was busy (load ${load1.toFixed(1)} on ${cores} cores)`;
  if (asked === false) return { save: false, busy, note: null };
  if (asked === true) return { save: true, busy, note: busy ? `saved although ${what}, as --save asked` : null };
  return busy
    ? {
        save: false,
        busy,
        note: `not saved as this machine's calibration: ${what}; run it again when it is quiet, or add --save`,
      }
    : { save: true, busy, note: null };
}
