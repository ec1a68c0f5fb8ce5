/**
 * Binding weights into a graph: a graph given its weights by name writes exactly the model the seeded
 * generator writes for the same values, and refuses a missing or misshapen weight instead of filling
 * it at random.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { weightValues } from '../../src/graph/_onnx.ts';
import { buildGraph, writeOnnxModel } from '../../src/graph/index.ts';
import { tinyVae } from '../bench/_tiny.ts';

const dir = mkdtempSync(join(tmpdir(), 'genready-bind-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const seededValues = (seed: number) =>
  new Map(buildGraph(tinyVae, 'float32').weights.map((w) => [w.name, { dims: w.dims, data: weightValues(w, seed) }]));

describe('bound weights', () => {
  for (const dtype of ['float32', 'float16'] as const)
    it(`write the same ${dtype} model as the seed they came from`, async () => {
      const seeded = join(dir, `seeded-${dtype}.onnx`);
      const bound = join(dir, `bound-${dtype}.onnx`);
      await writeOnnxModel(tinyVae, seeded, { seed: 7, dtype });
      await writeOnnxModel(tinyVae, bound, { bound: seededValues(7), dtype });
      assert.deepEqual(readFileSync(bound), readFileSync(seeded));
      await writeOnnxModel(tinyVae, bound, { bound: seededValues(8), dtype });
      assert.notDeepEqual(readFileSync(bound), readFileSync(seeded));
    });

  it('refuse a missing weight by name', async () => {
    const values = seededValues(1);
    const [first] = values.keys();
    values.delete(first!);
    await assert.rejects(writeOnnxModel(tinyVae, join(dir, 'm.onnx'), { bound: values, dtype: 'float32' }), {
      message: new RegExp(`no weights bound for ${first!.replaceAll('.', '\\.')}`),
    });
  });

  it('refuse weights of another shape, naming both shapes', async () => {
    const values = seededValues(1);
    const [name, t] = [...values].find(([, v]) => v.dims.length === 4)!;
    values.set(name, { dims: [...t.dims].reverse(), data: t.data });
    await assert.rejects(writeOnnxModel(tinyVae, join(dir, 'm.onnx'), { bound: values, dtype: 'float32' }), {
      message: /the graph wants \[.*\], the bound weights are \[/,
    });
  });
});
