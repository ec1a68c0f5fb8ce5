/** `models`: the model catalog with the parameter count the analyzer derives for each component. */
import { z } from 'zod';
import { components, listModels } from '../catalog/models.ts';
import { breakdown } from '../cost/breakdown.ts';
import { makeWorkload } from '../cost/workload.ts';
import { parseRequest } from './request.ts';

export const modelsRequest = z.strictObject({});
export const parseModels = (input: unknown) => parseRequest(modelsRequest, input, 'models');

function modelsJson() {
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

export type ModelsAnswer = ReturnType<typeof modelsJson>;

let cached: ModelsAnswer | undefined;

/** `genready models --json` and `GET /api/models` (pure over the catalog: computed once per process). */
export function modelsAnswer(): ModelsAnswer {
  return (cached ??= modelsJson());
}
