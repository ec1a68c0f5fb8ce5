/**
 * The terminal experience: a snapshot of `check` at 80 columns (a pipe), no escape codes in a pipe,
 * help in kebab-case with an example per command, --version, and did-you-mean for commands.
 * Regenerate the snapshot after a deliberate change with UPDATE_SNAPSHOTS=1.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { visibleWidth } from '../../src/cli/format.ts';
import { commands, run, suggestCommand } from '../../src/cli/main.ts';
import { cli } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/genready.mjs', import.meta.url));
const SNAPSHOT = new URL('./snapshots/check-rtx3060-80.txt', import.meta.url);

async function inProcess(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await run(argv, { text: (s) => void (text += `${s}\n`), json: (v) => void (text += JSON.stringify(v)) });
  return { code, text };
}

describe('check at 80 columns', () => {
  // Piped (not a terminal), colour not forbidden by NO_COLOR and a CI variable set: still plain text.
  const r = cli(['check', '--as', 'RTX 3060 12GB'], { NO_COLOR: '', CI: '1', COLUMNS: '' });

  it('matches the snapshot', () => {
    assert.equal(r.code, 0, r.stderr);
    if (process.env.UPDATE_SNAPSHOTS || !existsSync(SNAPSHOT)) writeFileSync(SNAPSHOT, r.stdout);
    assert.equal(r.stdout, readFileSync(SNAPSHOT, 'utf8'));
  });

  it('the table fits 80 columns with model, verdict, per image, images/h and peak', () => {
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith('model'));
    assert.match(lines[start]!, /^model +verdict +per image +images\/h +peak$/);
    const rows = lines.slice(
      start,
      lines.findIndex((l, i) => i > start && /^(!|◆|Estimates)/.test(l)),
    );
    assert.ok(rows.length > 10);
    for (const l of rows) assert.ok(visibleWidth(l) <= 80, `${visibleWidth(l)} columns: ${l}`);
    assert.ok(!rows.some((l) => /[│┼├┤]/.test(l)), 'no borders or row separators');
  });

  it('writes no escape codes into a pipe', () => {
    assert.equal(r.stdout.includes('\u001b'), false);
  });

  it('--wide keeps every column on one line per row', () => {
    const w = cli(['check', '--as', 'RTX 3060 12GB', '--wide']);
    assert.match(w.stdout, /^model +verdict +per image +images\/h +peak +size · steps +usable$/m);
  });
});

describe('help', () => {
  it('genready --help lists every command without loading them', async () => {
    const h = await inProcess(['--help']);
    assert.equal(h.code, 0);
    for (const name of Object.keys(commands)) assert.match(h.text, new RegExp(`^  ${name} `, 'm'));
  });

  it('each command shows kebab-case flags and an example of itself', async () => {
    for (const name of Object.keys(commands)) {
      const h = await inProcess(['help', name]);
      assert.equal(h.code, 0, name);
      assert.match(h.text, new RegExp(`^Example:\\n  npx genready ${name}\\b`, 'm'), name);
      assert.doesNotMatch(h.text, /--[a-z]+[A-Z]/, `${name}: a camelCase flag`);
    }
    const e = await inProcess(['estimate', '--help']);
    assert.match(e.text, /^ {2}--vae-tiling +decode/m);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.deepEqual(await inProcess(['--version']), { code: 0, text: `${pkg.version}\n` });
  });
});

describe('did you mean: commands', () => {
  const cases: [string, string[]][] = [
    ['chek', ['check']],
    ['estimat', ['estimate']],
    ['gpu', ['gpus']],
    ['devcies', ['devices']],
    ['serv', ['serve']],
    ['banana', []],
  ];
  for (const [typo, want] of cases)
    it(`${typo} → ${want.join(', ') || 'nothing'}`, () => assert.deepEqual(suggestCommand(typo), want));

  it('the error names the command typed and the suggestion, in one line, exit 1', () => {
    const r = cli(['chek']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^genready: unknown command "chek"; did you mean "check"\? commands: check, .*\n$/);
  });
});

describe('fast start', () => {
  // CommonJS packages land in require's cache when loaded, from ESM too: list it as the process ends.
  const TRACE = `data:text/javascript,import{createRequire}from'node:module';const r=createRequire(${JSON.stringify(BIN)});process.on('exit',()=>process.stderr.write('LOADED '+JSON.stringify(Object.keys(r.cache))))`;
  const loaded = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    return JSON.parse(/LOADED (.*)$/m.exec(r.stderr)![1]!) as string[];
  };

  it('--help and estimate load neither onnxruntime nor systeminformation', () => {
    for (const args of [['--help'], ['estimate', '--model', 'sd15', '--json']]) {
      const mods = loaded(args);
      assert.ok(
        !mods.some((m) => /onnxruntime-node|systeminformation/.test(m)),
        `${args.join(' ')}: ${mods.join(', ')}`,
      );
    }
    assert.ok(
      loaded(['check', '--json']).some((m) => m.includes('systeminformation')),
      'the trace sees loads',
    );
  });
});
