import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asFloat32, floatTensor, fromHalf, numberTensor, toHalf } from '../../src/ort/tensor.ts';

describe('tensor conversions at the ONNX boundary', () => {
  it('float16 encodes as IEEE half with round-to-nearest-even', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [1e6, 0x7c00],
      [2 ** -24, 0x0001],
      [0.1, 0x2e66],
      // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to even (1).
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [v, h] of cases) assert.equal(toHalf(v), h, `toHalf(${v})`);
    for (const v of [0.5, -3.25, 1024, 2 ** -20]) assert.equal(fromHalf(toHalf(v)), v);
    assert.ok(Number.isNaN(fromHalf(toHalf(NaN))));
  });

  it('timesteps and ids take the type the model asks for; integers truncate like numpy', () => {
    const i64 = numberTensor('int64', [951.7, 3], [2]);
    assert.equal(i64.type, 'int64');
    assert.deepEqual(Array.from(i64.data as BigInt64Array), [951n, 3n]);
    assert.deepEqual(Array.from(numberTensor('int32', [12.9], [1]).data as Int32Array), [12]);
    const f16 = numberTensor('float16', [951.5], [1]);
    assert.equal(f16.type, 'float16');
    assert.equal(fromHalf((f16.data as Uint16Array)[0]!), 951.5);
    assert.deepEqual(Array.from(asFloat32(floatTensor('float16', Float32Array.of(0.5, -1), [2]))), [0.5, -1]);
    assert.throws(() => floatTensor('int8', Float32Array.of(1), [1]), /unsupported float input type int8/);
  });
});
