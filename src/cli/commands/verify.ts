import { defineCommand } from 'citty';
import { RunnerError } from '../../runner/errors.ts';
import { verifyImage } from '../../runner/verify.ts';
import { rejectUnknownFlags } from '../_args.ts';
import type { Output } from '../output.ts';

const verifyArgs = {
  image: { type: 'positional', description: 'a PNG made by genready run', required: false },
  model: { type: 'string', description: 'model folder, if it moved since the image was made' },
  provider: { type: 'string', description: 'onnxruntime execution provider (default cpu)' },
  json: { type: 'boolean', description: 'print the result as JSON' },
} as const;

export const verifyCommand = defineCommand({
  meta: { name: 'verify', description: 'Make one image again from its record and report whether it matches' },
  args: verifyArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, verifyArgs);
    const out = data as Output;
    if (typeof args.image !== 'string' || args.image === '')
      throw new RunnerError('no-image', 'give an image: genready verify IMAGE.png');
    const r = await verifyImage(args.image, {
      ...(typeof args.model === 'string' ? { modelDir: args.model } : {}),
      ...(typeof args.provider === 'string' ? { provider: args.provider } : {}),
    });
    if (args.json) out.json(r);
    else if (r.match) out.text(r.message);
    // A mismatch is an answer, not a crash: one line, exit 1.
    if (!r.match) throw new RunnerError('verify-mismatch', r.message);
  },
});
