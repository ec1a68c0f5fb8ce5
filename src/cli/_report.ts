/**
 * `genready check --report`: one plain-text block to paste into a bug report, in the manner of
 * `llmfit doctor` and AUTOMATIC1111's System Info: versions, OS, what each probe adapter concluded
 * and the raw tool output it read (trimmed), how the machine was read, the calibration in use and
 * the onnxruntime providers installed.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { calibrationPath, loadCalibration, loadStore, measuredOnCpu } from '../bench/calibration.ts';
import { machineFromProbe } from '../planner/machine.ts';
import { tierOf } from '../planner/verdict.ts';
import { clockLabel } from '../probe/clock.ts';
import { type ProbeCall, probeRecorded } from '../probe/recorded.ts';

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

function callLines(c: ProbeCall): string[] {
  const head = `  ${c.what} → ${c.outcome}`;
  return [head, ...c.excerpt.map((l) => `    | ${l}`), ...(c.more ? [`    | … ${c.more} more lines`] : [])];
}

export async function bugReport(
  version: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
): Promise<string> {
  const { probe: p, calls } = await probeRecorded();
  const m = machineFromProbe(p);
  const lines: string[] = ['```', `genready ${version} — check --report`];
  lines.push(`Node ${process.version} · ${process.platform} ${process.arch} · kernel ${release()}`);
  lines.push(`OS (probe): ${p.os.platform} ${p.os.release} ${p.os.arch}`);
  const simd = Object.entries(p.cpu.simd)
    .filter(([, v]) => v)
    .map(([k]) => k);
  lines.push(
    `CPU: ${p.cpu.model} · ${p.cpu.cores} cores / ${p.cpu.threads} threads · ${p.cpu.clockGHz ? clockLabel(p.cpu.clockGHz) : 'clock unknown'} · ${simd.join(', ') || 'no SIMD flags read'} (${p.cpu.from.source})`,
  );
  lines.push(`RAM: ${gib(p.ramBytes.value)} (${p.ramBytes.from.source})`);
  lines.push('', `Probe: ${p.status}, ${p.gpus.length} GPU(s)`);
  for (const g of p.gpus)
    lines.push(
      `  GPU ${g.index}: ${g.name.value} · ${g.vendor} · ${g.memoryTotalBytes ? gib(g.memoryTotalBytes.value) : 'memory unknown'}${g.driverVersion ? ` · driver ${g.driverVersion}` : ''} · ${g.integrated ? 'integrated' : 'discrete'} (${g.name.from.source})`,
    );
  for (const a of p.adapters) lines.push(`  adapter ${a.name}: ${a.outcome}${a.detail ? ` — ${a.detail}` : ''}`);
  for (const n of p.notes) lines.push(`  note: ${n}`);
  lines.push('', 'Tool output (trimmed):');
  const reads = calls.filter((c) => c.what.startsWith('read '));
  for (const c of calls.filter((x) => !x.what.startsWith('read '))) lines.push(...callLines(c));
  for (const c of reads.filter((x) => x.outcome === 'ok')) lines.push(...callLines(c));
  const absent = reads.filter((x) => x.outcome !== 'ok').length;
  if (absent) lines.push(`  (${absent} file(s) absent)`);
  lines.push('', `Read as: ${m.deviceNote}; tier ${tierOf(m).level}`);

  const cal = loadCalibration(m.device, undefined, p.cpu.model);
  if (cal.calibration) {
    const c = cal.calibration;
    let cpu: string | null = null;
    try {
      cpu = measuredOnCpu(m.device, loadStore());
    } catch {}
    lines.push(
      `Calibration: ${c.deviceId} · ${Object.entries(c.factors)
        .map(([k, v]) => `${k} ×${v.toFixed(2)}`)
        .join(
          ', ',
        )} · models ${c.models?.join(', ') ?? 'all'} · ${c.source} · ${c.measuredAt}${cpu ? ` · on ${cpu}` : ''}`,
    );
  } else lines.push(`Calibration: none for ${m.device.id}${cal.warning ? ` (${cal.warning})` : ''}`);
  if (cal.calibration && cal.warning) lines.push(`  ${cal.warning}`);
  lines.push(`  store: ${calibrationPath()}`);

  try {
    const { ortLayout, runtimeStatus, systemLibraries } = await import('../ort/gpu-runtimes.ts');
    const layout = ortLayout();
    const rs = runtimeStatus(p, layout, undefined, systemLibraries());
    lines.push(
      `onnxruntime-node ${layout.version}: ${rs.map((r) => `${r.id} ${r.state}${r.suits ? '' : ' (not for this machine)'}`).join(', ')}`,
    );
  } catch (err) {
    lines.push(`onnxruntime-node: not readable (${(err as Error).message.split('\n')[0]})`);
  }
  lines.push('```');
  return lines.join('\n');
}
