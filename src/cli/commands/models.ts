import { defineCommand } from 'citty';
import { components, listModels } from '../../catalog/models.ts';
import { breakdown } from '../../cost/breakdown.ts';
import { makeWorkload } from '../../cost/workload.ts';
import { color, gb, params, table } from '../format.ts';
import type { Output } from '../output.ts';

/** Models with the parameter count the analyzer derives for each component (not the published figure). */
export function modelsJson() {
  return listModels().map((m) => {
    const w = makeWorkload({ model: m, controlnet: m.addons.length > 0 });
    const parts = breakdown(w);
    return {
      id: m.id,
      name: m.name,
      aliases: m.aliases,
      source: m.source,
      defaults: {
        width: m.defaults.width,
        height: m.defaults.height,
        steps: m.defaults.steps,
        guidance: m.defaults.guidance,
        cfg: m.defaults.guidance.kind === 'cfg',
        precision: m.defaults.precision,
        precisions: m.defaults.precisions,
      },
      components: components(m).map((c) => {
        const p = parts.find((x) => x.name === c.name && x.role === c.role)!;
        return {
          role: c.role,
          name: c.name,
          parameters: p.parameters,
          publishedParameters: c.published.parameters,
          source: c.published.source,
          fp16Bytes: Math.round(p.weightBytesByPrecision.fp16),
        };
      }),
    };
  });
}

export const modelsCommand = defineCommand({
  meta: { name: 'models', description: 'List the model catalog with parameters per component' },
  args: { json: { type: 'boolean', description: 'print JSON' } },
  run({ args, data }) {
    const out = data as Output;
    const list = modelsJson();
    if (args.json) return out.json(list);
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
