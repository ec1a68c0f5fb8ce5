import { defineCommand } from 'citty';
import { loadCalibration } from '../../bench/calibration.ts';
import { resolveDevice } from '../../catalog/devices.ts';
import { GenreadyError } from '../../catalog/errors.ts';
import type { Calibration } from '../../cost/calibration.ts';
import { hypotheticalMachine, type Machine, machineFromProbe } from '../../planner/machine.ts';
import { failurePatterns, modelVerdicts, tierOf } from '../../planner/verdict.ts';
import { parseVram, vramMachine } from '../../planner/vram-machine.ts';
import { fakeProbe } from '../../probe/fake.ts';
import { num, rejectUnknownFlags } from '../_args.ts';
import { type Column, color, gb, rate, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  as: {
    type: 'string',
    description: 'evaluate a hypothetical machine with this GPU ("RTX 3060 12GB", "Apple M2 16GB", or "none")',
  },
  vram: {
    type: 'string',
    description: 'evaluate a hypothetical GPU with this much memory, in GB (a card not in the catalog)',
  },
  ram: { type: 'string', description: 'system RAM in GiB for --as (default 32)' },
  json: { type: 'boolean', description: 'print JSON (machine, tier, models, failurePatterns)' },
  verbose: { type: 'boolean', description: 'everything: requirements per tier, largest size and best batch per model' },
  report: { type: 'boolean', description: 'one block to paste into a bug report: versions, OS, what the probe saw' },
} as const;

let probed: Promise<Machine> | undefined;

/** This machine (probed), or a hypothetical one around a catalog GPU (`--as`; "none" for no GPU). */
export async function machineFor(a: { as?: string; ram?: string }): Promise<Machine> {
  // Probed once per process: a long-running server answers every request about the same hardware.
  // The probe (and systeminformation) loads only when this machine is asked about.
  if (a.as === undefined)
    return (probed ??= import('../../probe/probe.ts').then((p) => p.probeMachine()).then(machineFromProbe));
  const ramGiB = num('ram', a.ram);
  if (/^(none|cpu|no-?gpu)$/i.test(a.as)) return machineFromProbe(fakeProbe({ ramGiB: ramGiB ?? 32 }));
  const vram = parseVram(a.as);
  if (vram !== null) return vramMachine(vram, ramGiB);
  return hypotheticalMachine(resolveDevice(a.as), ramGiB);
}

export function checkReport(m: Machine, verbose: boolean, calibration: Calibration | null = null) {
  const tier = tierOf(m);
  const models = modelVerdicts(m, { detail: verbose, calibration });
  const patterns = failurePatterns(m, tier, models);
  const p = m.probe;
  return {
    machine: {
      device: {
        id: m.device.id,
        name: m.device.name,
        backend: m.device.backend,
        memoryGiB: m.device.memoryGiB,
        note: m.deviceNote,
      },
      cpu: { model: p.cpu.model, cores: p.cpu.cores, threads: p.cpu.threads, simd: p.cpu.simd },
      ramGiB: Math.round(m.ramGiB * 10) / 10,
      os: p.os,
      gpus: p.gpus.map((g) => ({
        name: g.name.value,
        vendor: g.vendor,
        memoryTotalBytes: g.memoryTotalBytes?.value ?? null,
        source: g.name.from.source,
      })),
      probe: { status: p.status, notes: p.notes, adapters: p.adapters },
    },
    tier: {
      level: tier.level,
      name: tier.name,
      ruleOfThumb: tier.ruleOfThumb,
      disagreement: tier.disagreement,
      requirements: tier.requirements,
    },
    models,
    failurePatterns: patterns,
    /** This machine's `genready bench` calibration (measured/estimated per phase), when one applied. */
    calibration:
      calibration && models.some((x) => x.basis === 'measured here')
        ? {
            deviceId: calibration.deviceId,
            factors: calibration.factors,
            measuredAt: calibration.measuredAt,
            source: calibration.source,
          }
        : null,
  };
}

/**
 * The `--json` answer for check flags (also served by `GET /api/check`). This machine's own
 * `genready bench` calibration applies, never to a hypothetical one (--as); a store that cannot be
 * read is reported through `warn` and ignored.
 */
export async function checkAnswer(
  a: { as?: string; ram?: string; verbose?: boolean },
  warn: (msg: string) => void = () => {},
) {
  const m = await machineFor({
    ...(a.as !== undefined ? { as: a.as } : {}),
    ...(a.ram !== undefined ? { ram: a.ram } : {}),
  });
  const local = a.as === undefined ? loadCalibration(m.device, undefined, m.probe.cpu.model) : { calibration: null };
  if ('warning' in local && local.warning)
    warn(local.calibration ? local.warning : `calibration ignored: ${local.warning}`);
  return { m, report: checkReport(m, Boolean(a.verbose), local.calibration) };
}

export const checkCommand = defineCommand({
  meta: { name: 'check', description: 'What can this machine produce? Tier, per-model verdicts, failure patterns' },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    if (a.report) return out.text(await (await import('../_report.ts')).bugReport());
    if (a.vram !== undefined && parseVram(String(a.vram)) === null)
      throw new GenreadyError('bad-vram', `--vram must be GPU memory in GB, e.g. --vram 24, got "${a.vram}"`);
    const as = a.vram !== undefined ? `${a.vram}GB` : a.as;
    const { m, report: r } = await checkAnswer(
      {
        ...(as !== undefined ? { as: String(as) } : {}),
        ...(a.ram !== undefined ? { ram: String(a.ram) } : {}),
        verbose: Boolean(a.verbose),
      },
      (msg) => process.stderr.write(`genready: ${msg}\n`),
    );
    if (a.json) return out.json(r);
    const mc = r.machine;
    out.text(
      `${color.bold('Machine')}: ${mc.device.note}; ${mc.cpu.model} (${mc.cpu.cores} cores), ${mc.ramGiB} GiB RAM`,
    );
    const t = r.tier;
    out.text(`${color.bold(`Tier ${t.level}`)} — ${t.name}`);
    out.text(
      `  rule of thumb by VRAM: tier ${t.ruleOfThumb.level}${t.disagreement ? color.yellow(` — disagrees: ${t.disagreement}`) : ''}`,
    );
    const next = t.requirements.find((x) => x.results.some((y) => !y.met));
    if (next && m.device.backend !== 'cpu') {
      const miss = next.results.find((y) => !y.met)!;
      out.text(`  next tier (${next.tier}) needs: ${miss.label} — ${miss.why}`);
    }
    if (a.verbose) {
      for (const x of t.requirements)
        for (const y of x.results)
          out.text(color.dim(`  tier ${x.tier}: ${y.met ? 'met' : 'not met'} — ${y.label}: ${y.why}`));
    }
    // Fits 80 columns: the secondary columns stack under each row or drop on a narrow terminal.
    const head: (string | Column)[] = ['model', 'verdict', 'per image', 'images/h', 'peak'];
    head.push({ head: 'size · steps', secondary: 'stack' }, { head: 'usable', secondary: 'drop' });
    if (a.verbose)
      head.push({ head: 'max side on device', secondary: 'stack' }, { head: 'best batch', secondary: 'stack' });
    const tb = table(head);
    for (const v of r.models) {
      const mode =
        v.mode === 'on-device'
          ? color.green('on the device')
          : v.mode === 'with-offload'
            ? color.yellow(`with ${v.strategy}`)
            : v.mode === 'cpu-only'
              ? color.yellow('on the CPU')
              : color.red('no');
      const mark = v.basis === 'measured here' ? ' ◆' : '';
      const onCpu = v.mode === 'cpu-only' || m.device.backend === 'cpu';
      const row = [
        v.model,
        mode,
        seconds(v.secondsPerImage) + mark,
        rate(v.imagesPerHour) + mark,
        onCpu ? `RAM ${gb(v.peakHostBytes)}` : gb(v.peakDeviceBytes),
        `${v.width}×${v.height} · ${v.steps}`,
        onCpu ? '' : gb(v.usableBytes),
      ];
      if (a.verbose)
        row.push(v.maxSideOnDevice ? `${v.maxSideOnDevice}²` : '—', v.bestBatch ? String(v.bestBatch) : '—');
      tb.push(row);
    }
    out.text(tb.toString());
    for (const f of r.failurePatterns) out.text(`${color.yellow('!')} ${f.message} ${color.dim(f.advice)}`);
    if (r.calibration) {
      const f = Object.entries(r.calibration.factors)
        .map(([p, x]) => `${p} ×${x.toFixed(2)}`)
        .join(', ');
      out.text(
        color.green(
          `◆ measured here: times scaled by genready bench on this machine (${r.calibration.source}, ${r.calibration.measuredAt.slice(0, 10)}; measured/estimated ${f}); the rest are estimates.`,
        ),
      );
    }
    out.text(
      color.dim(
        `${r.calibration ? 'Other figures are estimates' : 'Estimates'} from the cost model (genready validate shows its error against published measurements${r.calibration ? '' : '; genready bench measures this machine'}); --json for scripts, --verbose for everything.`,
      ),
    );
  },
});
