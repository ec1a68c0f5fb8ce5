/**
 * The CLI: the only place that prints errors and sets the exit code. Expected failures
 * (GenreadyError) become one line on stderr and exit 1; anything else is a bug, reported as such
 * in one line (GENREADY_DEBUG=1 shows the stack).
 *
 * Commands load on demand: `--help` or `estimate` never load onnxruntime, hono or systeminformation.
 */
import { readFileSync } from 'node:fs';
import { runCommand } from 'citty';
import { editDistance } from '../catalog/_similar.ts';
import { GenreadyError } from '../catalog/errors.ts';
import { CLOCK_ENV, PINNABLE_GHZ, pinnedClockGHz } from '../probe/clock.ts';
import { type CommandEntry, commandHelp, mainHelp } from './_help.ts';
import { setWide } from './format.ts';
import { type Output, stdout } from './output.ts';

const entry = (summary: string, example: string, load: CommandEntry['load']): CommandEntry => ({
  summary,
  example,
  load,
});

// One entry per command: summary (for `genready --help`, without loading it), example, loader.
export const commands: Record<string, CommandEntry> = {
  check: entry(
    'what this machine can produce: tier, per-model verdicts, failure patterns',
    'npx genready check --as "RTX 3060 12GB"',
    () => import('./commands/check.ts').then((m) => m.checkCommand),
  ),
  models: entry('the model catalog with parameters per component', 'npx genready models', () =>
    import('./commands/models.ts').then((m) => m.modelsCommand),
  ),
  devices: entry(
    'the device catalog (GPUs, Apple Silicon, CPUs) with sources',
    'npx genready devices --match "RTX 4070 Laptop"',
    () => import('./commands/devices.ts').then((m) => m.devicesCommand),
  ),
  estimate: entry(
    'parameters, FLOPs, memory per phase and time of one workload',
    'npx genready estimate --model sdxl --size 1024x1024 --device "RTX 4090"',
    () => import('./commands/estimate.ts').then((m) => m.estimateCommand),
  ),
  plan: entry(
    'does this machine meet a production target? if not, what would',
    'npx genready plan --model sdxl --size 1024x1024 --images 2000 --within 8h',
    () => import('./commands/plan.ts').then((m) => m.planCommand),
  ),
  gpus: entry('rank the catalog’s GPUs for a workload', 'npx genready gpus --for "sdxl 1024x1024 batch 4"', () =>
    import('./commands/gpus.ts').then((m) => m.gpusCommand),
  ),
  validate: entry('predicted vs published measurements: median and p90 error', 'npx genready validate', () =>
    import('./commands/validate.ts').then((m) => m.validateCommand),
  ),
  constants: entry('the cost model’s empirical constants and why', 'npx genready constants', () =>
    import('./commands/constants.ts').then((m) => m.constantsCommand),
  ),
  run: entry(
    'generate a recipe’s images from a checkpoint or ONNX model; resumable',
    'npx genready run --example demo && npx genready run demo/recipe.json',
    () => import('./commands/run.ts').then((m) => m.runRecipeCommand),
  ),
  verify: entry('make one image again from its record and compare', 'npx genready verify demo/out/0003-4.png', () =>
    import('./commands/verify.ts').then((m) => m.verifyCommand),
  ),
  bench: entry('measure the catalog’s denoisers and VAE decoders here', 'npx genready bench --quick', () =>
    import('./commands/bench.ts').then((m) => m.benchCommand),
  ),
  serve: entry('the dashboard and the HTTP API', 'npx genready serve --open', () =>
    import('./commands/serve.ts').then((m) => m.serveCommand),
  ),
  setup: entry(
    'GPU runtimes: which onnxruntime providers fit here, which are installed',
    'npx genready setup --provider cuda',
    () => import('./commands/setup.ts').then((m) => m.setupCommand),
  ),
  worker: entry(
    "a GPU machine's worker for a production shared through Redis (BullMQ)",
    'npx genready worker --queue redis://queue-host:6379',
    () => import('./commands/worker.ts').then((m) => m.workerCommand),
  ),
  queue: entry(
    'the shared queue: runs, chunks, workers; retry and clean up',
    'npx genready queue status --queue redis://queue-host:6379',
    () => import('./commands/queue.ts').then((m) => m.queueCommand),
  ),
  inspect: entry(
    'which model is this .safetensors file or diffusers folder, and can it run here',
    'npx genready inspect model.safetensors',
    () => import('./commands/inspect.ts').then((m) => m.inspectCommand),
  ),
};

export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/** "did you mean" for a mistyped command: close in spelling, or the start of exactly one command. */
export function suggestCommand(name: string, names: readonly string[] = [...Object.keys(commands), 'help']): string[] {
  const n = name.toLowerCase();
  const prefixed = names.filter((c) => c.startsWith(n));
  if (n.length >= 2 && prefixed.length === 1) return prefixed;
  const near = names
    .map((c) => ({ c, d: editDistance(n, c) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(x.c.length / 3)))
    .sort((a, b) => a.d - b.d);
  return near.map((x) => x.c).slice(0, 2);
}

function lookup(name: string): CommandEntry {
  if (Object.hasOwn(commands, name)) return commands[name]!;
  const s = suggestCommand(name);
  throw new GenreadyError(
    'unknown-command',
    `unknown command "${name}"; ${s.length ? `did you mean ${s.map((x) => `"${x}"`).join(' or ')}? ` : ''}commands: ${Object.keys(commands).join(', ')} (npx genready help)`,
  );
}

/** Flags that mean the same for every command; taken out before the command parses its own. */
function globalFlags(argv: string[]): string[] {
  const rest: string[] = [];
  for (const a of argv) {
    if (a === '--wide') setWide(true);
    else rest.push(a);
  }
  return rest;
}

export async function run(argv: string[], out: Output = stdout): Promise<number> {
  try {
    argv = globalFlags(argv);
    if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
      out.text(VERSION);
      return 0;
    }
    if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
      const name = argv[0] === 'help' ? argv[1] : argv.find((a) => !a.startsWith('-'));
      out.text(name ? await commandHelp(name, lookup(name)) : mainHelp(VERSION, commands));
      return 0;
    }
    // Caught before any command probes: a probe only notes it and measures the clock instead.
    if (pinnedClockGHz(process.env) === 'invalid')
      throw new GenreadyError(
        'bad-env',
        `${CLOCK_ENV} must be a CPU clock in GHz from ${PINNABLE_GHZ[0]} to ${PINNABLE_GHZ[1]}, got "${process.env[CLOCK_ENV]}"`,
      );
    // `genready` alone runs the main job.
    if (argv.length === 0 || argv[0]!.startsWith('-')) argv = ['check', ...argv];
    const command = await lookup(argv[0]!).load();
    await runCommand(command as never, { rawArgs: argv.slice(1), data: out });
    return 0;
  } catch (err) {
    if (err instanceof GenreadyError) {
      process.stderr.write(`genready: ${err.message}\n`);
      return 1;
    }
    const msg = err instanceof Error ? err.message : String(err);
    // citty's own argument errors (missing required flag) are usage errors, not bugs.
    if (err instanceof Error && err.name === 'CLIError') {
      process.stderr.write(`genready: ${msg}\n`);
      return 1;
    }
    process.stderr.write(
      `genready: internal error: ${msg}${process.env.GENREADY_DEBUG ? `\n${(err as Error).stack}` : ''}\n`,
    );
    return 2;
  }
}

// A closed pipe (`genready models | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('genready.mjs') ||
  process.argv[1]?.endsWith('/genready')
) {
  process.exitCode = await run(process.argv.slice(2));
}
