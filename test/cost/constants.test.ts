/** Every empirical constant is explained: `genready constants` lists each with how it was set and why. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSTANT_NOTES, constantValue, MODEL_CONSTANTS } from '../../src/cost/constants.ts';
import { cli } from '../cli/helpers.ts';

// Reference points by definition, not measured: CUDA is the unit of backendScale.
const BY_DEFINITION = new Set(['backendScale.cuda']);

function leaves(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'number' ? [`${prefix}${k}`] : leaves(v as object, `${prefix}${k}.`),
  );
}

test('every numeric constant has a note with how it was set and why, and every note names a real constant', () => {
  const noted = new Set(CONSTANT_NOTES.map((n) => n.name));
  for (const name of leaves(MODEL_CONSTANTS))
    if (!BY_DEFINITION.has(name)) assert.ok(noted.has(name), `${name} has no note`);
  for (const n of CONSTANT_NOTES) {
    assert.ok(Number.isFinite(constantValue(MODEL_CONSTANTS, n.name)), n.name);
    assert.ok(n.reason.length > 20, `${n.name}: say why`);
  }
});

test('genready constants prints them, and --json carries the values', () => {
  const r = cli(['constants', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const conv = j.constants.find((c: { name: string }) => c.name === 'efficiency.conv');
  const linear = j.constants.find((c: { name: string }) => c.name === 'efficiency.linear');
  assert.equal(conv.value, MODEL_CONSTANTS.efficiency.conv);
  assert.equal(conv.setBy, 'measured');
  assert.equal(linear.setBy, 'fit');
  assert.ok(j.runtimes.some((x: { id: string }) => x.id === 'compiled'));
});
