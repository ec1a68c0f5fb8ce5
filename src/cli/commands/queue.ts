/**
 * `genready queue status|workers|retry|gc --queue URL`, and the coordinator behind
 * `genready run RECIPE --queue URL` (called from run.ts).
 */
import { relative } from 'node:path';
import { defineCommand } from 'citty';
import { SingleBar } from 'cli-progress';
import { queueGc, queueRetry, queueStatus, queueWorkers } from '../../queue/admin.ts';
import { type CoordinatorProgress, runCoordinator } from '../../queue/coordinator.ts';
import { QueueError } from '../../queue/errors.ts';
import { resolveQueueUrl } from '../../queue/url.ts';
import type { Recipe } from '../../runner/recipe.ts';
import { num, rejectUnknownFlags } from '../_args.ts';
import { table } from '../format.ts';
import type { Output } from '../output.ts';

const queueArgs = {
  action: { type: 'positional', description: 'status | workers | retry | gc', required: false },
  queue: { type: 'string', description: 'Redis URL redis://[:password@]host:port[/db] (or GENREADY_QUEUE_URL)' },
  run: { type: 'string', description: 'retry / gc: only this run id' },
  json: { type: 'boolean', description: 'print JSON' },
} as const;

const ACTIONS = ['status', 'workers', 'retry', 'gc'] as const;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export const queueCommand = defineCommand({
  meta: {
    name: 'queue',
    description: 'Runs, chunks and workers of the queue; retry failed chunks; remove finished runs',
  },
  args: queueArgs,
  async run({ args, data, rawArgs }) {
    rejectUnknownFlags(rawArgs, queueArgs);
    const out = data as Output;
    const action = (args.action ?? 'status') as (typeof ACTIONS)[number];
    if (!ACTIONS.includes(action))
      throw new QueueError('bad-action', `genready queue ${action}: use one of ${ACTIONS.join(', ')}`);
    const address = resolveQueueUrl(args.queue);
    const runId = typeof args.run === 'string' && args.run ? args.run : undefined;
    if (action === 'status') {
      const s = await queueStatus(address);
      if (args.json) return out.json(s);
      const t = table([
        'run',
        'queue',
        { head: 'done', align: 'right' },
        { head: 'failed', align: 'right' },
        { head: 'chunks waiting/active/failed', align: 'right' },
        { head: 'images/hour', align: 'right' },
        { head: 'state', secondary: 'stack' },
      ]);
      for (const r of s.runs)
        t.push([
          r.runId,
          r.queue,
          `${r.done}/${r.total}`,
          String(r.failed),
          `${r.chunks.waiting + r.chunks.delayed}/${r.chunks.active}/${r.chunks.failed}`,
          r.imagesPerHour.toLocaleString('en-US'),
          r.finished ? 'finished' : `updated ${r.updatedAt}`,
        ]);
      out.text(
        `${s.runs.length ? t.toString() : 'no runs'}\n${s.workersActive} worker(s) active · Redis ${s.redis.version}, ${mib(s.redis.usedMemoryBytes)} used`,
      );
      return;
    }
    if (action === 'workers') {
      const ws = await queueWorkers(address);
      if (args.json) return out.json(ws);
      if (!ws.length) return out.text('no workers');
      const t = table([
        'worker',
        'GPU',
        'planned for',
        'tier',
        'provider',
        { head: 'images', align: 'right' },
        { head: 'images/hour', align: 'right' },
        { head: 'job', secondary: 'stack' },
        { head: 'onnxruntime', secondary: 'drop' },
        { head: 'last heartbeat', secondary: 'stack' },
      ]);
      for (const w of ws)
        t.push([
          `${w.id}${w.active ? '' : ' (silent)'}`,
          w.gpu ?? 'none',
          // Workers of earlier versions did not probe their machine.
          w.plannedFor ?? `${w.device.cpu} (${w.device.cores} cores)`,
          w.tier ? String(w.tier.level) : '?',
          w.provider,
          String(w.images),
          w.imagesPerHour.toLocaleString('en-US'),
          w.job ?? '-',
          w.onnxruntime,
          w.lastBeat,
        ]);
      return out.text(t.toString());
    }
    if (action === 'retry') {
      const n = await queueRetry(address, runId);
      return args.json ? out.json({ retried: n }) : out.text(`${n} failed chunk(s) back in line`);
    }
    const g = await queueGc(address, runId);
    return args.json
      ? out.json(g)
      : out.text(`removed ${g.runs.length} run(s) and ${g.jobs} job(s); images stay in their folders`);
  },
});

function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** `genready run RECIPE --queue URL [--chunk N] [--attempts N] [--mixed] [--provider P]`. */
export async function runQueued(
  recipe: Recipe,
  flags: { queue: unknown; chunk?: unknown; attempts?: unknown; mixed?: boolean; provider?: unknown; json?: boolean },
  out: Output,
): Promise<void> {
  const address = resolveQueueUrl(flags.queue);
  const chunk = num('chunk', flags.chunk);
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1 || chunk > 10_000))
    throw new QueueError('bad-flag', `--chunk must be a whole number from 1 to 10000, got ${flags.chunk}`);
  const attempts = num('attempts', flags.attempts);
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 100))
    throw new QueueError('bad-flag', `--attempts must be a whole number from 1 to 100, got ${flags.attempts}`);
  // Tuning knob (tests, impatient people): seconds between offers of missing chunks (default 10).
  const requeue = num('GENREADY_QUEUE_REQUEUE_SECONDS', process.env.GENREADY_QUEUE_REQUEUE_SECONDS);
  const ctl = new AbortController();
  const onInt = () => {
    process.stderr.write('genready run: stopping (workers finish their chunks; run again to resume)\n');
    ctl.abort();
  };
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onInt);
  const tty = process.stderr.isTTY === true && !flags.json;
  let bar: SingleBar | null = null;
  let lastLine = 0;
  const show = (p: CoordinatorProgress) => {
    const fields = {
      perHour: Math.round(p.imagesPerHour).toLocaleString('en-US'),
      left: clock(p.etaSeconds),
      workers: p.workers ?? '?',
      redis: p.redis === 'up' ? '' : ' | Redis unreachable, waiting',
    };
    if (bar) bar.update(p.done, fields);
    else if (!flags.json && (performance.now() - lastLine > 10_000 || p.done + p.failed >= p.total)) {
      lastLine = performance.now();
      process.stderr.write(
        `[${p.done}/${p.total}] ${fields.perHour} images/hour · ${fields.left} left · ${fields.workers} worker(s)${fields.redis}\n`,
      );
    }
  };
  try {
    const summary = await runCoordinator(recipe, {
      address,
      ...(chunk !== undefined ? { chunk } : {}),
      ...(attempts !== undefined ? { attempts } : {}),
      ...(requeue !== undefined && requeue > 0
        ? { requeueMs: requeue * 1000, tickMs: Math.min(1000, requeue * 1000) }
        : {}),
      ...(typeof flags.provider === 'string' ? { provider: flags.provider } : {}),
      mixed: flags.mixed === true,
      signal: ctl.signal,
      events: {
        onPlan(p) {
          process.stderr.write(
            `genready run: run ${p.runId} on ${address.redacted} (${p.queue}): ${p.total - p.done} to make, ${p.done} already done, ${p.chunks} chunk(s), model ${p.model}\n`,
          );
          if (tty) {
            bar = new SingleBar({
              format: '{bar} {value}/{total} images | {perHour} images/hour | {left} left | {workers} worker(s){redis}',
              hideCursor: true,
              stream: process.stderr,
            });
            bar.start(p.total, p.done, { perHour: '0', left: '--:--', workers: '?', redis: '' });
          }
        },
        onProgress: show,
      },
    });
    (bar as SingleBar | null)?.stop();
    if (flags.json) out.json(summary);
    else {
      const where = relative(process.cwd(), summary.outputDir) || '.';
      out.text(
        `${summary.stopped ? 'stopped: ' : ''}${summary.done}/${summary.total} image(s) in ${where}/ (manifest.jsonl), ${summary.made} recorded now` +
          (summary.made ? ` (${Math.round(summary.imagesPerHour).toLocaleString('en-US')} images/hour)` : '') +
          (summary.conflicts.length ? `; ${summary.conflicts.length} conflict(s) in .genready-queue/conflicts` : ''),
      );
    }
    if (summary.failed.length)
      throw new QueueError(
        'images-failed',
        `${summary.failed.length} image(s) failed after every attempt (${summary.failed
          .slice(0, 5)
          .map((f) => `${f.index}: ${f.error}`)
          .join(
            '; ',
          )}${summary.failed.length > 5 ? '; …' : ''}); the rest is done: fix and run \`genready queue retry\`, then run again`,
      );
    if (summary.conflicts.length)
      throw new QueueError(
        'image-conflicts',
        `${summary.conflicts.length} image(s) were made with different bytes by another worker (kept the first; see ${summary.outputDir}/.genready-queue/conflicts)`,
      );
  } finally {
    (bar as SingleBar | null)?.stop();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
  }
}
