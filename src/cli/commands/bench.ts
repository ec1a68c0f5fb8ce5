import { loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from 'citty';
import cliProgress from 'cli-progress';
import type { BenchEvent } from '../../bench/bench.ts';
import { BenchError } from '../../bench/errors.ts';
import type { BenchReport } from '../../bench/types.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { missingProviderMessage } from '../../ort/gpu-runtimes.ts';
import { threadPlan } from '../../ort/threads.ts';
import { machineFromProbe } from '../../planner/machine.ts';
import { probeMachine } from '../../probe/probe.ts';
import { num, rejectUnknownFlags, size } from '../_args.ts';
import { color, gb, params, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  model: {
    type: 'string',
    description:
      'model id (default sd15): sd15, sd21, sdxl, sdxl-refiner, sdxl-turbo, sd3-medium, sd35-medium, sd35-large, flux1-dev, flux1-schnell, pixart-sigma (a model too big for this machine’s RAM is refused before anything is built)',
  },
  size: {
    type: 'string',
    description: 'WxH, several separated by commas (default: the model’s native size; 256x256 with --quick)',
  },
  batch: { type: 'string', description: 'images per pipeline call (default 1; the denoiser runs ×2 with CFG)' },
  quick: { type: 'boolean', description: 'SD 1.5 at 256x256, 1 warm-up + 3 iterations (under 3 minutes on 2 cores)' },
  iterations: { type: 'string', description: 'measured iterations per phase (default 5, --quick 3)' },
  warmup: { type: 'string', description: 'warm-up iterations per phase, not measured (default 1)' },
  seed: { type: 'string', description: 'seed of the random weights (default 0)' },
  provider: {
    type: 'string',
    description: 'onnxruntime execution provider: cuda, dml, coreml or cpu (default: the best that works here)',
  },
  save: {
    type: 'boolean',
    description:
      'store the results as this machine’s calibration (default: yes, unless the machine is busy: load above its cores); --no-save to only print',
  },
  json: { type: 'boolean', description: 'print { environment, results } as JSON' },
  emitTorch: {
    type: 'string',
    description:
      'write a self-contained PyTorch script (FILE.py) that measures the same graphs on a CUDA, ROCm or MPS GPU',
  },
  import: {
    type: 'string',
    description: 'read the JSON the PyTorch script printed (FILE.json, or - for stdin) as this machine’s calibration',
  },
  device: {
    type: 'string',
    description: 'with --import: the catalog device it ran on, when its own name does not match the catalog',
  },
} as const;

function sizes(v: unknown): [number, number][] | undefined {
  if (typeof v !== 'string') return undefined;
  return v.split(',').map((s) => size(s));
}

function progress(out: Output, json: boolean) {
  const tty = process.stderr.isTTY && !json;
  const log = (s: string) => (json ? process.stderr.write(`${s}\n`) : out.text(s));
  let bar: cliProgress.SingleBar | null = null;
  return (e: BenchEvent) => {
    switch (e.kind) {
      case 'case':
        log(
          color.bold(
            `[${e.index + 1}/${e.total}] ${e.model} ${e.phase} ${e.width}×${e.height}, batch ${e.forwardBatch}`,
          ),
        );
        break;
      case 'build':
        log(
          `  building the graph: ${params(e.parameters)} parameters, ${gb(e.bytes)} of random weights${e.reason ? ` (cached copy rejected: ${e.reason})` : ''}…`,
        );
        break;
      case 'cache':
        if (e.status === 'reused') log(color.dim('  graph: verified cached copy'));
        break;
      case 'loaded':
        log(color.dim(`  loaded in ${seconds(e.seconds)}`));
        break;
      case 'iteration':
        if (tty) {
          if (e.index === 0) {
            bar = new cliProgress.SingleBar(
              {
                format: '  {bar} {value}/{total} iterations · last {last}',
                stream: process.stderr,
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(e.total, 0, { last: '—' });
          }
          bar?.update(e.index + 1, { last: `${seconds(e.seconds)}${e.warmup ? ' (warm-up)' : ''}` });
          if (e.index + 1 === e.total) bar?.stop();
        } else {
          log(color.dim(`  ${e.warmup ? 'warm-up' : 'iteration'} ${e.index + 1}/${e.total}: ${seconds(e.seconds)}`));
        }
        break;
      case 'result':
        break;
    }
  };
}

function render(out: Output, r: BenchReport): void {
  const env = r.environment;
  out.text(
    `${color.bold('Measured here')}: ${env.device}${env.provider === 'cpu' && env.cpuClock ? ` at ${env.cpuClock}` : ''} · onnxruntime ${env.versions.onnxruntime} ${env.provider} · ${env.date}`,
  );
  const t = table([
    'model',
    'phase',
    'size',
    'batch',
    'measured (min · median)',
    'estimated',
    'estimated / measured',
    'peak memory',
  ]);
  for (const x of r.results) {
    const unit = x.phase === 'denoising' ? '/step' : x.phase === 'vae-decode' ? '/decode' : '/encode';
    t.push([
      x.model,
      x.phase,
      `${x.width}×${x.height}`,
      x.phase === 'denoising' && x.forwardBatch !== x.batch
        ? `${x.batch} (×${x.forwardBatch / x.batch} CFG)`
        : x.phase === 'text-encoding'
          ? `${x.batch} (${x.forwardBatch} prompt${x.forwardBatch === 1 ? '' : 's'})`
          : String(x.batch),
      `${seconds(x.measuredSeconds)}${unit} · ${seconds(x.medianSeconds)}`,
      `${seconds(x.predictedSeconds)}${unit}`,
      (x.predictedSeconds / x.measuredSeconds).toFixed(2),
      gb(x.peakMemoryBytes),
    ]);
  }
  out.text(t.toString());
}

export const benchCommand = defineCommand({
  meta: {
    name: 'bench',
    description:
      'Run the catalog’s real denoisers and VAE decoders here (random weights) and compare with the estimates',
  },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    // onnxruntime and the graph builder load only when bench runs, not with every genready command.
    const [
      { checkFits, chooseProvider, computeDevice, planBench, runBench },
      { cacheRoot },
      { calibrationFor, calibrationPath, genreadyHome, measurementFrom, recordMeasurements, saveDecision },
      { importTorchResults },
      { isProviderId },
      { emitTorchScript },
    ] = await Promise.all([
      import('../../bench/bench.ts'),
      import('../../bench/cache.ts'),
      import('../../bench/calibration.ts'),
      import('../../bench/import.ts'),
      import('../../ort/providers.ts'),
      import('../../bench/torch.ts'),
    ]);
    if (a.emitTorch !== undefined) {
      if (typeof a.emitTorch !== 'string' || a.emitTorch === '')
        throw new BenchError('bad-flag', '--emit-torch needs a file name, e.g. --emit-torch bench.py');
      const models = a.model ? [String(a.model)] : undefined;
      const batch = num('batch', a.batch);
      const [warmup, iterations] = [num('warmup', a.warmup), num('iterations', a.iterations)];
      const r = emitTorchScript(
        a.emitTorch,
        {
          ...(models ? { models } : {}),
          ...(sizes(a.size) ? { sizes: sizes(a.size)! } : {}),
          ...(batch !== undefined ? { batch } : {}),
        },
        { ...(warmup !== undefined ? { warmup } : {}), ...(iterations !== undefined ? { iterations } : {}) },
      );
      out.text(
        `wrote ${a.emitTorch}: ${r.cases} cases (${r.models.join(', ')}). On a machine with PyTorch and a GPU: python3 ${a.emitTorch} > results.json, then genready bench --import results.json`,
      );
      return;
    }
    const machine = machineFromProbe(await probeMachine());
    if (a.import !== undefined) {
      const r = importTorchResults(String(a.import), machine, a.device !== undefined ? String(a.device) : undefined);
      if (a.json) return out.json(r.report);
      render(out, r.report);
      const skipped = r.report.results.length - r.calibrated;
      out.text(
        `Imported ${r.calibrated} measurements as the calibration of ${r.device.name} (${calibrationPath()})${skipped ? `; ${skipped} with another attention kernel than the fused one shown, not calibrated` : ''}.`,
      );
      return;
    }
    if (a.provider !== undefined && !isProviderId(String(a.provider)))
      throw new BenchError('bad-provider', `unknown provider "${a.provider}"; use cuda, dml, coreml or cpu`);
    const missing = a.provider !== undefined ? missingProviderMessage(String(a.provider)) : null;
    if (missing) throw new BenchError('provider-missing', missing);
    const plan = planBench({
      ...(a.model !== undefined ? { model: String(a.model) } : {}),
      ...(sizes(a.size) ? { sizes: sizes(a.size)! } : {}),
      quick: Boolean(a.quick),
      ...(num('batch', a.batch) !== undefined ? { batch: num('batch', a.batch)! } : {}),
      ...(num('iterations', a.iterations) !== undefined ? { iterations: num('iterations', a.iterations)! } : {}),
      ...(num('warmup', a.warmup) !== undefined ? { warmup: num('warmup', a.warmup)! } : {}),
      ...(num('seed', a.seed) !== undefined ? { seed: num('seed', a.seed)! } : {}),
    });
    const provider = await chooseProvider(a.provider as 'cpu' | 'cuda' | 'dml' | 'coreml' | undefined, machine);
    // A case that cannot fit is refused first, alone, before any warning about the load.
    checkFits(plan, provider, totalmem());
    const load = loadavg()[0]!;
    const cores = machine.probe.cpu.cores;
    const asked = rawArgs.includes('--no-save') ? false : rawArgs.includes('--save') ? true : undefined;
    const decision = saveDecision(asked, load, cores);
    if (decision.busy) {
      process.stderr.write(
        color.yellow(
          `genready: the machine is busy (load ${load.toFixed(1)} on ${cores} cores): measurements will be slower than this machine can do${decision.save ? '' : '; they will be shown, not saved (--save to keep them)'}\n`,
        ),
      );
    }
    // CPU runs leave the cores other processes hold and stop spinning when the machine is busy.
    const threads = provider.id === 'cpu' ? threadPlan(load, cores) : undefined;
    if (threads) process.stderr.write(color.dim(`genready: onnxruntime ${threads.reason}\n`));
    const report = await runBench(plan, {
      machine,
      provider,
      onEvent: progress(out, Boolean(a.json)),
      ...(threads ? { threads } : {}),
    });
    let note = decision.note ?? '';
    if (decision.save) {
      const strategy = provider.id === 'cpu' ? 'cpu' : 'gpu';
      const store = recordMeasurements(report.results.map((r) => measurementFrom(r, report.environment, strategy)));
      writeFileAtomic(
        join(genreadyHome(), 'bench', `${report.environment.date.replace(/[:.]/g, '-')}.json`),
        `${JSON.stringify(report, null, 2)}\n`,
      );
      const c = calibrationFor(computeDevice(machine, provider), store);
      if (c)
        note = `${note ? `${note}. ` : ''}Calibration for ${report.environment.device}: ${Object.entries(c.factors)
          .map(([p, f]) => `${p} ×${f.toFixed(2)}`)
          .join(
            ', ',
          )} (measured / estimated) — genready check and estimate now say "measured here" for ${c.models?.join(', ') ?? 'the models measured'} on this machine.`;
    }
    if (a.json) {
      if (decision.note) process.stderr.write(`genready: ${decision.note}\n`);
      return out.json(report);
    }
    render(out, report);
    if (note) out.text(note);
    out.text(
      color.dim(
        `Graphs cached in ${cacheRoot()}; results in ${genreadyHome()}. Random weights cost the same compute and memory as trained ones.`,
      ),
    );
  },
});
