import { basename } from 'node:path';
import { defineCommand } from 'citty';
import { parseValidate, validateAnswer, validation } from '../../answers/validate.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { validationMarkdown } from '../../validate/markdown.ts';
import { ownCpuLabel } from '../../validate/own-cpu.ts';
import type { Stats } from '../../validate/stats.ts';
import { cliAnswer, rejectUnknownFlags, requestOf, UsageError } from '../_args.ts';
import { color, pct, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  json: { type: 'boolean', description: 'print the whole report as JSON' },
  verbose: { type: 'boolean', description: 'print every row' },
  markdown: { type: 'string', description: 'also write the report as markdown to this file (atomically)' },
} as const;

const cell = (s: Stats) => (s.n ? `${pct(s.median)} / ${pct(s.p90)}  n=${s.n}` : '—');

export const validateCommand = defineCommand({
  meta: {
    name: 'validate',
    description: 'Predicted vs published measurements: median and p90 error for speed and memory',
  },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    if (a.markdown !== undefined && !String(a.markdown).trim())
      throw new UsageError('empty-value', '--markdown needs a file name (it is empty)');
    const v = await cliAnswer(() => {
      parseValidate(requestOf(a, args, ['json', 'verbose', 'markdown']));
      return validation();
    });
    const { report: r, own, ownCpu } = v;
    if (a.markdown) {
      const file = String(a.markdown);
      try {
        writeFileAtomic(file, validationMarkdown(r, new Date().toISOString().slice(0, 10), own, ownCpu));
      } catch (err) {
        // A folder that cannot take a file (read-only, /proc, a path through a file, a full disk) is the
        // user's to fix: one line naming the file and the system's reason.
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new UsageError('cannot-write', `--markdown: cannot write ${file} (${code})`, { cause: err });
      }
    }
    if (a.json) return out.json(validateAnswer(v));
    if (a.verbose) {
      const t = table(['id', 'model', 'device', 'field', 'measured', 'predicted', 'error']);
      for (const x of r.rows)
        t.push([
          x.row.id,
          x.row.model,
          x.row.device,
          x.row.compare,
          x.row.value.toPrecision(4),
          x.predicted?.toPrecision(4) ?? 'failed',
          pct(x.error),
        ]);
      out.text(t.toString());
    }
    const s = r.summary;
    const t = table(['', 'speed median / p90', 'memory median / p90']);
    t.push(
      ['all rows', cell(s.speed.all), cell(s.memory.all)],
      ['training split', cell(s.speed.train), cell(s.memory.train)],
      ['held-out split', cell(s.speed.holdout), cell(s.memory.holdout)],
    );
    for (const [k, v] of Object.entries(s.byModel)) t.push([`model ${k}`, cell(v.speed), cell(v.memory)]);
    for (const [k, v] of Object.entries(s.byVendor)) t.push([`vendor ${k}`, cell(v.speed), cell(v.memory)]);
    out.text(t.toString());
    const oom =
      s.oomViolations === 0 ? color.green(`0 of ${r.oom.length}`) : color.red(`${s.oomViolations} of ${r.oom.length}`);
    out.text(`published out-of-memory cases predicted to fit: ${oom}`);
    const rep = s.replication;
    if (rep.pairs)
      out.text(
        `sources of one setup disagree (${rep.pairs} pairs in ${rep.setups} setups): a perfect model would still miss speed by ${pct(rep.floor.median)} median / ${pct(rep.floor.p90)} p90 (pair gaps ÷ √2, docs/accuracy.md)`,
      );
    if (own.length) {
      // Our own runs of the real architectures (random weights) on a GPU: never used to fit.
      const o = table([
        'own GPU run (not fitted)',
        'component time',
        'activations',
        'pipeline allocated',
        'pipeline reserved',
        'pipeline device',
      ]);
      for (const c of own) {
        const { cases: k, pipelines: p } = c.summary;
        o.push([
          `${c.device.name}: ${basename(c.path, '.json')} (${c.cases.length} components, ${c.pipelines.length} pipelines)`,
          cell(k.seconds),
          cell(k.activation),
          cell(p.allocated),
          cell(p.reserved),
          cell(p.device),
        ]);
      }
      out.text(o.toString());
      if (a.verbose) for (const c of own) out.text(c.text);
    }
    if (ownCpu.rows.length) {
      // Our own onnxruntime runs of SD 1.5's phases on CPUs, predicted from each CPU's cores, clock and vector units.
      const o = table(['own CPU runs (onnxruntime)', 'phase time median / p90']);
      o.push(['never fitted', cell(ownCpu.checked)]);
      if (ownCpu.fitted.n) o.push([`fitted (set ${ownCpu.fittedConstants.join(', ')})`, cell(ownCpu.fitted)]);
      out.text(o.toString());
      out.text(
        color.dim(
          `  rows: data/eval/own-cpu.jsonl, each predicted from its CPU's cores, clock and vector units (--verbose lists them)`,
        ),
      );
      if (a.verbose) {
        const t = table(['run', 'measured', 'predicted / measured']);
        for (const c of ownCpu.rows)
          t.push([`${ownCpuLabel(c)}${c.row.fitted ? ' (fitted)' : ''}`, seconds(c.row.seconds), c.ratio.toFixed(2)]);
        out.text(t.toString());
      }
    }
    if (a.markdown) out.text(color.dim(`wrote ${a.markdown}`));
  },
});
