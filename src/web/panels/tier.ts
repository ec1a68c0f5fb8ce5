/** A machine's tier (from the reference workloads), the requirements behind it and the failure patterns. */
import type { CheckJson } from '../api.ts';
import { fill, h } from '../dom.ts';
import { TIER_COLORS } from '../format.ts';

export function renderTier(target: HTMLElement, title: string, c: CheckJson): void {
  const t = c.tier;
  const reqs = t.requirements.flatMap((r) =>
    r.results.map((x) =>
      h('li', { class: x.met ? '' : 'muted' }, `${x.met ? '✓' : '✗'} tier ${r.tier}: ${x.label} — ${x.why}`),
    ),
  );
  fill(
    target,
    h('h3', {}, title),
    h(
      'p',
      {},
      h(
        'span',
        { class: 'tier', style: `background:${TIER_COLORS[t.level]}`, 'data-tier': String(t.level) },
        `tier ${t.level}`,
      ),
      ` ${t.name}`,
    ),
    h('p', { class: 'muted' }, `${c.machine.device.name}${c.machine.device.note ? ` — ${c.machine.device.note}` : ''}`),
    h(
      'p',
      { class: 'muted' },
      `VRAM rule of thumb: tier ${t.ruleOfThumb.level}${t.disagreement ? ` — disagrees: ${t.disagreement}` : ''}`,
    ),
    reqs.length ? h('ul', { class: 'patterns' }, ...reqs) : null,
    c.failurePatterns.length
      ? h(
          'div',
          {},
          h('h4', {}, 'Failure patterns'),
          h(
            'ul',
            { class: 'patterns' },
            ...c.failurePatterns.map((f) =>
              h(
                'li',
                { 'data-pattern': f.id },
                h('strong', {}, f.message),
                ' ',
                h('span', { class: 'muted' }, f.advice),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No failure patterns.'),
  );
}
