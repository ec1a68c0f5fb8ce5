import { defineCommand } from 'citty';
import { modelsAnswer, parseModels } from '../../answers/models.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { color, gb, params, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = { json: { type: 'boolean', description: 'print JSON' } } as const;

export const modelsCommand = defineCommand({
  meta: { name: 'models', description: 'List the model catalog with parameters per component' },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    const list = await cliAnswer(() => {
      parseModels(requestOf(a, args));
      return modelsAnswer();
    });
    if (a.json) return out.json(list);
    const t = table(['id', 'name', 'denoiser', 'text encoders', 'VAE', 'fp16 total', 'default']);
    for (const m of list) {
      const by = (role: string) => m.components.filter((c) => c.role === role);
      const te = by('text-encoder');
      const main = m.components.filter((c) => c.role !== 'controlnet');
      t.push([
        color.bold(m.id),
        m.name,
        params(by('denoiser')[0]!.parameters),
        te.map((c) => params(c.parameters)).join(' + '),
        params(by('vae')[0]!.parameters),
        gb(main.reduce((s, c) => s + c.fp16Bytes, 0)),
        `${m.defaults.width}² · ${m.defaults.steps} steps · ${m.defaults.cfg ? 'CFG' : 'no CFG'}`,
      ]);
    }
    out.text(t.toString());
    out.text(
      color.dim(
        'Parameters are derived layer by layer from the published configs; `--json` lists each component with its source.',
      ),
    );
  },
});
