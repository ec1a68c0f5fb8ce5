import { defineCommand } from 'citty';
import { constantsAnswer, parseConstants } from '../../answers/constants.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { color, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = { json: { type: 'boolean', description: 'print JSON' } } as const;

export const constantsCommand = defineCommand({
  meta: { name: 'constants', description: 'The cost model’s empirical constants: value, how each was set, and why' },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    const c = await cliAnswer(() => {
      parseConstants(requestOf(a, args));
      return constantsAnswer();
    });
    if (a.json) return out.json(c);
    const t = table(['constant', 'value', 'set by', 'why']);
    for (const x of c.constants) t.push([x.name, `${Number(x.value.toPrecision(3))} ${x.unit}`, x.setBy, x.reason]);
    out.text(t.toString());
    const r = table(['runtime', 'efficiency ×', 'launch ×', 'why']);
    for (const x of c.runtimes)
      r.push([`${x.id} — ${x.label}`, String(x.efficiencyScale), String(x.launchScale), x.reason]);
    out.text(r.toString());
    out.text(
      color.dim(
        'fit = scripts/fit.ts on the training split of data/eval/published.jsonl; the held-out quarter is reported by `genready validate`.',
      ),
    );
  },
});
