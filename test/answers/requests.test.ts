/**
 * The request schemas as a contract: every CLI flag of a question is a field of its request, the
 * answers room imports no interface, and any input (seeded random values) gives a parsed request
 * or a RequestError with a short message — never another exception.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { checkRequest, parseCheck } from '../../src/answers/check.ts';
import { devicesRequest, parseDevices } from '../../src/answers/devices.ts';
import { RequestError } from '../../src/answers/errors.ts';
import { estimateRequest, parseEstimate } from '../../src/answers/estimate.ts';
import { parseSize } from '../../src/answers/fields.ts';
import { gpusRequest, parseGpus } from '../../src/answers/gpus.ts';
import { parsePlan, planRequest } from '../../src/answers/plan.ts';
import { checkArgs } from '../../src/cli/commands/check.ts';
import { devicesCommand } from '../../src/cli/commands/devices.ts';
import { estimateArgs } from '../../src/cli/commands/estimate.ts';
import { gpusArgs } from '../../src/cli/commands/gpus.ts';
import { planArgs } from '../../src/cli/commands/plan.ts';

const QUESTIONS: [string, Record<string, unknown>, z.ZodObject, (input: unknown) => unknown][] = [
  ['estimate', estimateArgs, estimateRequest, parseEstimate],
  ['check', checkArgs, checkRequest, parseCheck],
  ['plan', planArgs, planRequest, parsePlan],
  ['gpus', gpusArgs, gpusRequest, parseGpus],
  ['devices', devicesCommand.args as Record<string, unknown>, devicesRequest, parseDevices],
];

describe('the CLI flags are the request fields', () => {
  for (const [name, args, schema] of QUESTIONS) {
    test(`${name}: every flag but --json is a request field, and every field a flag`, () => {
      // --json and check's --report choose how the answer is shown, not what it is.
      const flags = Object.keys(args).filter((k) => k !== 'json' && k !== 'report');
      assert.deepEqual(flags.sort(), Object.keys(schema.shape).sort());
    });
  }
});

describe('the interfaces go through the answers room', () => {
  const importsOf = (dir: string): [string, string][] =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/^import (type )?[^;]*? from '([^']+)'/gms)].map(
          (m) => [`${dir}/${f}`, `${m[1] ?? ''}${m[2]}`] as [string, string],
        ),
      );

  test('src/answers imports no interface (cli, server, web)', () => {
    const bad = importsOf('src/answers').filter(([, to]) => /\/(cli|server|web)\//.test(to));
    assert.deepEqual(bad, []);
  });

  test('the server imports nothing from the CLI, and the dashboard only types from the library', () => {
    assert.deepEqual(
      importsOf('src/server').filter(([, to]) => to.includes('/cli/')),
      [],
    );
    const web = importsOf('src/web').filter(([f]) => f.endsWith('/api.ts'));
    assert.ok(web.length > 0);
    assert.deepEqual(
      web.filter(([, to]) => to.includes('/cli/') || !to.startsWith('type ')),
      [],
    );
  });
});

/** A small seeded generator (mulberry32): the same cases on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES: unknown[] = [
  '',
  ' ',
  '0',
  '-1',
  '1e999',
  'NaN',
  '0x400',
  '1024x1024',
  '0x0',
  '99999999x1',
  '8h',
  '8 hours',
  '1h30m',
  '-3h',
  'sdxl',
  'RTX 4090',
  'here',
  'none',
  'teleport',
  'fp16',
  'on',
  'x'.repeat(5000),
  '__proto__',
  0,
  -5,
  1.5,
  1e308,
  Number.NaN,
  true,
  false,
  null,
  [],
  [1],
  {},
  { $ne: 1 },
];

describe('any input gives a request or a RequestError (seeded fuzz)', () => {
  for (const [name, , schema, parse] of QUESTIONS) {
    test(`${name}: 400 random requests`, () => {
      const next = random(20261203);
      const fields = [...Object.keys(schema.shape), 'bogus', '__proto__', 'constructor'];
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
      for (let i = 0; i < 400; i++) {
        const input: Record<string, unknown> = {};
        const n = Math.floor(next() * 5);
        for (let k = 0; k < n; k++)
          Object.defineProperty(input, pick(fields), {
            value: pick(SAMPLES),
            enumerable: true,
            configurable: true,
            writable: true,
          });
        try {
          parse(input);
        } catch (err) {
          assert.ok(err instanceof RequestError, `${JSON.stringify(input).slice(0, 200)}: ${String(err)}`);
          assert.ok(err.message.length < 600, `${err.message.length} characters`);
          assert.ok(Object.keys(schema.shape).includes(err.field) || err.code === 'unknown-field', err.message);
        }
      }
    });
  }

  test('parseSize is the one size parser and refuses what is not W x H within bounds', () => {
    assert.deepEqual(parseSize('1024x768', 16384), [1024, 768]);
    assert.deepEqual(parseSize(' 512 × 512 ', 16384), [512, 512]);
    for (const bad of ['0x400', '1024', '1024x', 'x1024', '1024x1024x3', '-1x5', '99999x1', 1024, ''])
      assert.throws(() => parseSize(bad, 16384), String(bad));
  });
});
