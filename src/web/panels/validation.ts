/** The validation table: genready's estimate beside each published measurement. */
import type { ValidationReport } from '../api.ts';
import { $, fill, h, table } from '../dom.ts';
import { pct } from '../format.ts';

type Stats = ValidationReport['summary']['speed']['all'];
const cell = (s: Stats) => (s.n ? `${pct(s.median)} / ${pct(s.p90)} (n=${s.n})` : '—');
const num = (x: number) => (Math.abs(x) >= 1e8 ? `${(x / 1e9).toFixed(2)} GB` : x.toPrecision(3));

export function renderValidation(v: ValidationReport, model: string, onlyModel: boolean): void {
  const s = v.summary;
  const rows = v.rows.filter((r) => !onlyModel || r.row.model === model);
  fill(
    $('validation-text'),
    table(
      ['', 'speed error median / p90', 'memory error median / p90'],
      [
        { cells: ['all rows', cell(s.speed.all), cell(s.memory.all)] },
        { cells: ['held-out rows (not used to fit)', cell(s.speed.holdout), cell(s.memory.holdout)] },
        ...(s.byModel[model]
          ? [{ cells: [`model ${model}`, cell(s.byModel[model]!.speed), cell(s.byModel[model]!.memory)], chosen: true }]
          : []),
      ],
    ),
    h(
      'p',
      { class: 'muted' },
      `Published out-of-memory cases predicted to fit: ${s.oomViolations} of ${v.oom.length}. ` +
        (s.replication.pairs
          ? `Sources of one setup disagree so much that a perfect model would still miss speed by ${pct(s.replication.floor.median)} median / ${pct(s.replication.floor.p90)} p90 (${s.replication.pairs} pairs; their gaps ÷ √2, as docs/accuracy.md explains). `
          : '') +
        `${rows.length} rows shown.`,
    ),
    table(
      ['model', 'device', 'size · batch', 'measured', 'estimated', 'error', 'split', 'source'],
      rows.map((r) => ({
        cells: [
          r.row.model,
          r.row.device,
          `${r.row.width}×${r.row.height} · ${r.row.batch}`,
          `${r.row.compare} ${num(r.row.value)}`,
          r.predicted === null ? 'failed' : num(r.predicted),
          pct(r.error),
          r.split,
          h('span', { title: r.row.source }, r.row.source.slice(0, 40)),
        ],
        attrs: { 'data-row': r.row.id },
      })),
      [3, 4, 5],
    ),
  );
}
