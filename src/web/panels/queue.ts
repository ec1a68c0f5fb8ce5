/**
 * The queue panel (`genready serve --queue URL`): each worker with its GPU and tier, images/hour per
 * worker and in total, each run's progress, time left and failures. Only what GET /api/queue says;
 * the panel has no control (the API has no route that changes the queue).
 */
import type { QueueJson } from '../api.ts';
import { fill, h, table } from '../dom.ts';
import { rate, seconds, TIER_COLORS } from '../format.ts';

const perHour = (x: number) => (x > 0 ? rate(x) : '—');

export function renderQueue(target: HTMLElement, q: QueueJson): void {
  const failed = q.failures.images + q.failures.chunks;
  fill(
    target,
    h(
      'dl',
      { class: 'kpis' },
      h(
        'div',
        {},
        h('dt', {}, 'images / hour'),
        h('dd', { id: 'queue-iph', 'data-value': String(q.imagesPerHour) }, perHour(q.imagesPerHour)),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'workers active'),
        h('dd', { id: 'queue-active', 'data-value': String(q.workersActive) }, String(q.workersActive)),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'failures'),
        h(
          'dd',
          { id: 'queue-failures', 'data-value': String(failed), class: failed ? 'bad' : '' },
          `${q.failures.images} image(s), ${q.failures.chunks} chunk(s)`,
        ),
      ),
    ),
    q.workers.length
      ? table(
          ['worker', 'GPU', 'planned for', 'tier', 'provider', 'images', 'images / hour', 'last heartbeat', 'chunk'],
          q.workers.map((w) => ({
            attrs: { 'data-worker': w.id, 'data-active': String(w.active) },
            cells: [
              w.active ? w.id : `${w.id} (silent)`,
              w.gpu ?? `none (${w.cpu})`,
              w.plannedFor,
              h(
                'span',
                {
                  class: 'tier',
                  style: `background:${TIER_COLORS[w.tier.level]}`,
                  'data-tier': String(w.tier.level),
                  title: w.tier.name,
                },
                `tier ${w.tier.level}`,
              ),
              w.provider,
              w.images,
              perHour(w.imagesPerHour),
              `${seconds(w.secondsSinceBeat)} ago`,
              w.job ?? '—',
            ],
          })),
          [5, 6],
        )
      : h('p', { class: 'muted' }, 'No worker has a heartbeat. Start one: genready worker --queue URL'),
    q.runs.length
      ? table(
          ['run', 'recipe', 'done', 'failed', 'chunks waiting / active / failed', 'images / hour', 'time left'],
          q.runs.map((r) => ({
            attrs: { 'data-run': r.runId },
            cells: [
              r.runId,
              r.recipe,
              `${r.done} / ${r.total}`,
              r.failed,
              `${r.chunks.waiting + r.chunks.delayed} / ${r.chunks.active} / ${r.chunks.failed}`,
              perHour(r.imagesPerHour),
              r.finished ? 'finished' : r.etaSeconds === null ? '—' : seconds(r.etaSeconds),
            ],
          })),
          [2, 3, 5],
        )
      : h('p', { class: 'muted' }, 'No runs in the queue.'),
    h(
      'p',
      { class: 'muted' },
      `Redis ${q.redis.version}, ${(q.redis.usedMemoryBytes / 2 ** 20).toFixed(1)} MiB used · as of ${q.at}`,
    ),
  );
}
