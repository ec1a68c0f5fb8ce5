/**
 * Bad input on the command line (issues 14 and 20): every case is one line naming the flag and what
 * is allowed, exit 1, never silently accepted. Run in-process through the CLI's own entry point.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { run } from '../../src/cli/main.ts';
import type { Output } from '../../src/cli/output.ts';

/** The CLI as a person runs it, in this process: exit code, stdout, stderr. */
async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const out: Output = { text: (s) => (stdout += `${s}\n`), json: (v) => (stdout += JSON.stringify(v)) };
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await run(argv, out);
    return { code, stdout, stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** One line on stderr matching `re`, exit 1, nothing on stdout. */
async function refusedLine(argv: string[], re: RegExp): Promise<string> {
  const r = await cli(argv);
  assert.equal(r.code, 1, `${argv.join(' ')} → exit ${r.code}: ${r.stdout.slice(0, 200)}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
  assert.equal(r.stdout, '');
  return lines[0]!;
}

const refused = async (argv: string[], re: RegExp): Promise<void> => {
  await refusedLine(argv, re);
};

const SDXL = ['--model', 'sdxl', '--width', '1024', '--height', '1024'];

describe('every enum flag is validated whatever else is given', () => {
  test('estimate --strategy teleport exits 1 naming the allowed values', async () => {
    await refused(
      ['estimate', ...SDXL, '--strategy', 'teleport'],
      /^genready: --strategy must be one of auto, gpu, model-offload, sequential-offload, cpu; got "teleport"$/,
    );
    // Also with a device, and without the flags that used to gate the check.
    await refused(['estimate', '--model', 'sd15', '--strategy', 'teleport'], /--strategy must be one of/);
  });

  const enums: [string, string[], RegExp][] = [
    ['--runtime', ['estimate', ...SDXL, '--runtime', 'jax'], /--runtime must be one of pytorch/],
    ['--cfg', ['estimate', ...SDXL, '--cfg', 'maybe'], /--cfg must be one of on, off; got "maybe"/],
    ['--attention', ['estimate', ...SDXL, '--attention', 'fast'], /--attention must be one of naive, sliced, flash/],
    ['--precision', ['estimate', ...SDXL, '--precision', 'fp4'], /--precision must be one of fp32, fp16/],
    ['--vae-precision', ['estimate', ...SDXL, '--vae-precision', 'fp5'], /--vae-precision must be one of/],
    ['gpus --vendor', ['gpus', '--model', 'sdxl', '--vendor', 'voodoo'], /--vendor must be one of nvidia, amd/],
    ['devices --vendor', ['devices', '--vendor', 'voodoo'], /--vendor must be one of nvidia, amd, intel, apple/],
  ];
  for (const [name, argv, re] of enums)
    test(`${name} with a value outside its set is refused`, () => refused(argv, re));
});

describe('an empty value is an error, not "not given"', () => {
  const cases: [string, string[]][] = [
    ['--device ""', ['estimate', '--model', 'sdxl', '--device', '']],
    ['--width ""', ['estimate', '--model', 'sdxl', '--width', '']],
    ['--model ""', ['estimate', '--model', '']],
    ['gpus --top ""', ['gpus', '--model', 'sdxl', '--top', '']],
    ['plan --within ""', ['plan', '--model', 'sdxl', '--images', '10', '--within', '', '--as', 'RTX 4090']],
    ['plan --images ""', ['plan', '--model', 'sdxl', '--images', '', '--within', '8h', '--as', 'RTX 4090']],
    ['check --as ""', ['check', '--as', '']],
    ['devices --match ""', ['devices', '--match', '']],
    ['validate --markdown ""', ['validate', '--markdown', '']],
  ];
  for (const [name, argv] of cases) {
    test(`${name} is refused`, async () => {
      const flag = name.replace(/^\w+ /, '').split(' ')[0]!;
      const line = await refusedLine(argv, /needs (a value|a file name) \(it is empty\)/);
      assert.ok(line.includes(flag), line);
    });
  }

  test('plan --within "" no longer prints "undefined h"', async () => {
    const r = await cli(['plan', '--model', 'sdxl', '--images', '10', '--within', '', '--as', 'RTX 4090']);
    assert.doesNotMatch(r.stdout + r.stderr, /undefined|NaN/);
  });
});

describe('numbers out of their range are refused', () => {
  test('--ram -5, --ram 0 and an absurd --ram are refused', async () => {
    const dev = ['estimate', '--model', 'sdxl', '--device', 'RTX 4090'];
    await refused([...dev, '--ram', '-5'], /--ram must be a number above 0, got "-5"/);
    await refused([...dev, '--ram=0'], /--ram must be a number above 0, got "0"/);
    await refused([...dev, '--ram', '1e9'], /--ram is above the supported maximum 65536/);
    await refused(['check', '--as', 'RTX 4090', '--ram', '-5'], /--ram must be a number above 0/);
  });

  test('--width 0x400 is refused (not read as hexadecimal 1024)', async () => {
    await refused(['estimate', '--model', 'sdxl', '--width', '0x400'], /--width must be a number, got "0x400"/);
    await refused(['estimate', '--model', 'sdxl', '--size', '0x400'], /--size must have both sides above 0/);
  });

  test('gpus --top and plan --top must be whole numbers above 0', async () => {
    await refused(['gpus', '--model', 'sdxl', '--top', '-1'], /--top must be a whole number above 0/);
    await refused(['gpus', '--model', 'sdxl', '--top', '2.5'], /--top must be a whole number/);
  });
});

describe('contradictory flags are refused, none silently wins', () => {
  test('--size 1024x1024 --width 512', () =>
    refused(
      ['estimate', '--model', 'sdxl', '--size', '1024x1024', '--width', '512'],
      /--size and --width contradict each other/,
    ));
  test('gpus --for … --model …', () =>
    refused(['gpus', '--for', 'sdxl 1024x1024', '--model', 'sd15'], /--for and --model contradict each other/));
  test('check --ram without --as', () => refused(['check', '--ram', '16'], /--ram .* give it with --as/));
});

describe('stray arguments and unknown flags', () => {
  test('a stray positional (--within 8 hours) is an error that shows the quoting', () =>
    refused(
      ['plan', '--model', 'sdxl', '--images', '10', '--within', '8', 'hours'],
      /unexpected argument "hours"; to give a value with spaces, quote it: --within "8 hours"/,
    ));

  test('a quoted "8 hours" is a duration', async () => {
    const r = await cli([
      'plan',
      '--model',
      'sd15',
      '--images',
      '10',
      '--within',
      '8 hours',
      '--as',
      'RTX 4090',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).request.withinHours, 8);
  });

  test('commands without positionals refuse one', () =>
    refused(
      ['estimate', '--model', 'sdxl', '--json', 'extra'],
      /unexpected argument "extra"; this command takes only --flags/,
    ));

  test('unknown flags are named with a did-you-mean (--devcie → --device)', () =>
    refused(
      ['estimate', '--model', 'sdxl', '--devcie', 'RTX 4090'],
      /unknown option "--devcie"; did you mean --device\?/,
    ));

  test('a misspelt required flag is named, not reported as missing (--whithin → --within)', async () => {
    const line = await refusedLine(
      ['plan', '--model', 'sdxl', '--images', '10', '--whithin', '8h'],
      /unknown option "--whithin"; did you mean --within\?/,
    );
    assert.doesNotMatch(line, /missing/);
  });

  test('models --bogus is refused', () => refused(['models', '--bogus'], /unknown option "--bogus"/));

  test('a missing required flag is named in flag words', () =>
    refused(['plan', '--model', 'sdxl', '--images', '10'], /^genready: --within is required$/));
});

describe('errors never echo a huge input back', () => {
  test('a 120 KB value is cut in the message', async () => {
    const huge = '9'.repeat(120_000);
    for (const argv of [
      ['estimate', '--model', 'sdxl', '--width', `${huge}x`],
      ['estimate', '--model', 'sdxl', '--size', huge],
      ['estimate', '--model', huge],
      ['plan', '--model', 'sdxl', '--images', '1', '--within', huge],
      ['estimate', '--model', 'sdxl', `--${'w'.repeat(120_000)}`],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.length < 300, `${r.stderr.length} characters: ${r.stderr.slice(0, 100)}`);
    }
  });
});

describe('a file that cannot be written is a one-line error, not an internal one', () => {
  test('validate --markdown /proc/version names the file and the reason, exit 1', async () => {
    await refused(['validate', '--markdown', '/proc/version'], /--markdown: cannot write \/proc\/version \(E[A-Z]+\)/);
  });
});
