import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { formatParameters, parseParameters } from '../../src/runner/parameters.ts';
import { decodePng, encodePng, readPngText } from '../../src/runner/png.ts';

const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);

describe('PNG output', () => {
  it('round-trips pixels and text, and a standard decoder accepts the file (chunk CRCs valid)', () => {
    const png = encodePng(rgb, 4, 3, { parameters: 'a cat\nSteps: 20', genready: '{"v":1}' });
    const strict = PNG.sync.read(png, { checkCRC: true } as never);
    assert.equal(strict.width, 4);
    const d = decodePng(png);
    for (let p = 0; p < 12; p++) for (let c = 0; c < 3; c++) assert.equal(d.data[p * 4 + c], rgb[p * 3 + c]);
    assert.deepEqual(readPngText(png), { parameters: 'a cat\nSteps: 20', genready: '{"v":1}' });
  });

  it('puts the text right after IHDR, as tEXt for Latin-1 and iTXt (UTF-8) otherwise', () => {
    const png = encodePng(rgb, 4, 3, { parameters: 'naïve café', other: '猫 in snow' });
    assert.equal(png.toString('latin1', 37, 41), 'tEXt');
    assert.ok(png.includes(Buffer.from('iTXt')));
    assert.deepEqual(readPngText(png), { parameters: 'naïve café', other: '猫 in snow' });
  });

  it('is deterministic: same pixels and text → same bytes', () => {
    assert.ok(encodePng(rgb, 4, 3, { parameters: 'x' }).equals(encodePng(rgb, 4, 3, { parameters: 'x' })));
  });
});

describe('A1111 "parameters" text', () => {
  const info = {
    prompt: 'a cat, in a hat',
    negativePrompt: 'blurry',
    steps: 20,
    sampler: 'dpmpp_2m_karras' as const,
    guidance: 7.5,
    seed: 123,
    width: 512,
    height: 768,
    modelHash: '1a2b3c4d5e',
    modelName: 'sd15, onnx',
    version: 'genready 0.1.0',
  };

  it('is written in the layout A1111 writes', () => {
    assert.equal(
      formatParameters(info),
      'a cat, in a hat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 123, Size: 512x768, Model hash: 1a2b3c4d5e, Model: "sd15, onnx", RNG: CPU, Version: genready 0.1.0',
    );
    assert.ok(!formatParameters({ ...info, negativePrompt: '' }).includes('Negative prompt'));
  });

  it('parses back, including quoted values and a real A1111 line', () => {
    const p = parseParameters(formatParameters(info));
    assert.equal(p.prompt, 'a cat, in a hat');
    assert.equal(p.negativePrompt, 'blurry');
    assert.equal(p.settings.Model, 'sd15, onnx');
    assert.equal(p.settings['CFG scale'], '7.5');
    const a1111 = parseParameters(
      'masterpiece, 1girl\nNegative prompt: lowres\nSteps: 28, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 42, Size: 832x1216, Model hash: 7c819b6d13, Model: anything, Version: v1.10.1',
    );
    assert.equal(a1111.settings.Seed, '42');
    assert.equal(a1111.settings['Schedule type'], 'Automatic');
    assert.equal(a1111.settings.Sampler, 'Euler a');
  });
});
