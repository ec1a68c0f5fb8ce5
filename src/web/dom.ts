/** Tiny DOM helpers: text goes in as text (never as HTML), so catalog strings cannot inject markup. */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

type Child = Node | string | number | null | undefined | false;

export function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, v);
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) e.append(typeof c === 'number' ? String(c) : c);
  return e;
}

/**
 * A table; `num` columns are right-aligned; a row may be marked as the chosen one. It comes in its
 * own scroll box (keyboard-focusable, labelled), so a table wider than its panel scrolls sideways
 * inside the panel instead of being cut off at the panel's edge.
 */
export function table(
  head: string[],
  rows: { cells: Child[]; chosen?: boolean; attrs?: Record<string, string> }[],
  num: number[] = [],
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': `table: ${head.join(', ')}`.slice(0, 120) },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...head.map((x, i) => h('th', num.includes(i) ? { class: 'num', scope: 'col' } : { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((r) =>
          h(
            'tr',
            { ...(r.chosen ? { class: 'chosen' } : {}), ...r.attrs },
            ...r.cells.map((c, i) => h('td', num.includes(i) ? { class: 'num' } : {}, c)),
          ),
        ),
      ),
    ),
  );
}

export function fill(target: HTMLElement, ...children: Child[]): void {
  target.replaceChildren(
    ...children
      .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  );
}
