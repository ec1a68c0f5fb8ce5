/**
 * The CLI: the only place that prints errors and sets the exit code. Expected failures
 * (GenreadyError) become one line on stderr and exit 1; anything else is a bug, reported as such
 * in one line (GENREADY_DEBUG=1 shows the stack).
 */
import { defineCommand, runCommand, showUsage } from 'citty';
import { GenreadyError } from '../catalog/errors.ts';
import { checkCommand } from './commands/check.ts';
import { constantsCommand } from './commands/constants.ts';
import { devicesCommand } from './commands/devices.ts';
import { estimateCommand } from './commands/estimate.ts';
import { gpusCommand } from './commands/gpus.ts';
import { modelsCommand } from './commands/models.ts';
import { planCommand } from './commands/plan.ts';
import { runRecipeCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';
import { validateCommand } from './commands/validate.ts';
import { verifyCommand } from './commands/verify.ts';
import { type Output, stdout } from './output.ts';

export const commands = {
  check: checkCommand,
  models: modelsCommand,
  devices: devicesCommand,
  estimate: estimateCommand,
  plan: planCommand,
  gpus: gpusCommand,
  validate: validateCommand,
  constants: constantsCommand,
  run: runRecipeCommand,
  verify: verifyCommand,
  bench: (await import('./commands/bench.ts')).benchCommand,
  serve: serveCommand,
  inspect: (await import('./commands/inspect.ts')).inspectCommand,
};

const main = defineCommand({
  meta: {
    name: 'genready',
    version: '0.1.0',
    description: 'Can this machine establish this image-generation production?',
  },
  subCommands: commands,
});

export async function run(argv: string[], out: Output = stdout): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      const name = argv.find((a) => !a.startsWith('-')) as keyof typeof commands | undefined;
      const cmd = name && Object.hasOwn(commands, name) ? commands[name] : main;
      await showUsage(cmd as never, cmd === main ? undefined : (main as never));
      return 0;
    }
    // `genready` alone runs the main job.
    if (argv.length === 0 || argv[0]!.startsWith('-')) argv = ['check', ...argv];
    const name = argv[0]!;
    if (!Object.hasOwn(commands, name)) {
      throw new GenreadyError(
        'unknown-command',
        `unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}`,
      );
    }
    await runCommand(commands[name as keyof typeof commands] as never, { rawArgs: argv.slice(1), data: out });
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
