import { defineCommand } from 'citty';
import { checkAnswer, parseCheck } from '../../answers/check.ts';
import { productionLocal } from '../../answers/local.ts';
import { clockLabel } from '../../probe/clock.ts';
import { cliAnswer, rejectUnknownFlags, requestOf } from '../_args.ts';
import { figure, modelCell, reasonNotes } from '../_verdict-text.ts';
import { type Column, color, gb, rate, seconds, table } from '../format.ts';
import type { Output } from '../output.ts';

const args = {
  as: {
    type: 'string',
    description: 'evaluate a hypothetical machine with this GPU ("RTX 3060 12GB", "Apple M2 16GB", or "none")',
  },
  vram: {
    type: 'string',
    description: 'evaluate a hypothetical GPU with this much memory, in GB (a card not in the catalog)',
  },
  ram: { type: 'string', description: 'system RAM in GiB for --as (default 32)' },
  json: { type: 'boolean', description: 'print JSON (machine, tier, models, failurePatterns)' },
  verbose: { type: 'boolean', description: 'everything: requirements per tier, largest size and best batch per model' },
  report: { type: 'boolean', description: 'one block to paste into a bug report: versions, OS, what the probe saw' },
} as const;

export const checkArgs = args;

export const checkCommand = defineCommand({
  meta: { name: 'check', description: 'What can this machine produce? Tier, per-model verdicts, failure patterns' },
  args,
  async run({ args: a, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, args);
    const out = data as Output;
    if (a.report) return out.text(await (await import('../_report.ts')).bugReport());
    const r = await cliAnswer(async () =>
      checkAnswer(
        parseCheck(requestOf(a, args)),
        productionLocal((msg) => process.stderr.write(`genready: ${msg}\n`)),
      ),
    );
    if (a.json) return out.json(r);
    const mc = r.machine;
    out.text(
      `${color.bold('Machine')}: ${mc.device.note}; ${mc.cpu.model} (${mc.cpu.cores} cores${mc.cpu.clockGHz ? `, ${clockLabel(mc.cpu.clockGHz)}` : ''}), ${mc.ramGiB} GiB RAM`,
    );
    const t = r.tier;
    out.text(`${color.bold(`Tier ${t.level}`)} — ${t.name}`);
    out.text(
      `  rule of thumb by VRAM: tier ${t.ruleOfThumb.level}${t.disagreement ? color.yellow(` — disagrees: ${t.disagreement}`) : ''}`,
    );
    const next = t.requirements.find((x) => x.results.some((y) => !y.met));
    if (next && mc.device.backend !== 'cpu') {
      const miss = next.results.find((y) => !y.met)!;
      out.text(`  next tier (${next.tier}) needs: ${miss.label} — ${miss.why}`);
    }
    if (a.verbose) {
      for (const x of t.requirements)
        for (const y of x.results)
          out.text(color.dim(`  tier ${x.tier}: ${y.met ? 'met' : 'not met'} — ${y.label}: ${y.why}`));
    }
    // Fits 80 columns: the secondary columns stack under each row or drop on a narrow terminal.
    const head: (string | Column)[] = ['model', 'verdict', 'per image', 'images/h', 'peak'];
    head.push({ head: 'size · steps', secondary: 'stack' }, { head: 'usable', secondary: 'drop' });
    if (a.verbose)
      head.push({ head: 'max side on device', secondary: 'stack' }, { head: 'best batch', secondary: 'stack' });
    const tb = table(head);
    for (const v of r.models) {
      const mode = modelCell(v);
      const mark = v.basis === 'measured here' ? ' ◆' : '';
      const onCpu = v.mode === 'cpu-only' || mc.device.backend === 'cpu';
      const row = [
        v.model,
        mode,
        figure(v.secondsPerImage, seconds) + mark,
        figure(v.imagesPerHour, rate) + mark,
        onCpu ? `RAM ${gb(v.peakHostBytes)}` : gb(v.peakRequiredBytes),
        `${v.width}×${v.height} · ${v.steps}`,
        onCpu ? '' : gb(v.usableBytes),
      ];
      if (a.verbose)
        row.push(v.maxSideOnDevice ? `${v.maxSideOnDevice}²` : '—', v.bestBatch ? String(v.bestBatch) : '—');
      tb.push(row);
    }
    out.text(tb.toString());
    for (const l of reasonNotes(r.models.map((v) => ({ name: v.model, verdict: v.verdict })))) out.text(l);
    for (const f of r.failurePatterns) out.text(`${color.yellow('!')} ${f.message} ${color.dim(f.advice)}`);
    if (r.calibration) {
      const f = Object.entries(r.calibration.factors)
        .map(([p, x]) => `${p} ×${x.toFixed(2)}`)
        .join(', ');
      out.text(
        color.green(
          `◆ measured here: times scaled by genready bench on this machine (${r.calibration.source}, ${r.calibration.measuredAt.slice(0, 10)}; measured/estimated ${f}); the rest are estimates.`,
        ),
      );
    }
    out.text(
      color.dim(
        `${r.calibration ? 'Other figures are estimates' : 'Estimates'} from the cost model (genready validate shows its error against published measurements${r.calibration ? '' : '; genready bench measures this machine'}); --json for scripts, --verbose for everything.`,
      ),
    );
  },
});
