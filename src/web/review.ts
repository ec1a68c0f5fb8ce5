/**
 * The review gallery page: talks only to /api/review. Keyboard first: j / → next, k / ← previous,
 * y keep, n or x reject, u clear; a mark moves on to the next image. Marks are saved at once
 * (the server writes review.json beside the run's manifest).
 */
type Mark = 'keep' | 'reject' | null;
interface Img {
  index: number;
  file: string;
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  guidance: number;
  sampler: string;
  width: number;
  height: number;
  model: string;
  modelHash: string;
  redoOf?: number;
  mark: Mark;
}
interface Run {
  id: string;
  name: string;
  images: number;
  keep: number;
  reject: number;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let runId = '0';
let images: Img[] = [];
let shown: Img[] = [];
let at = 0;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(path, init);
  const body = await r.json();
  if (!r.ok) throw new Error(body?.error?.message ?? r.statusText);
  return body as T;
}

const imageUrl = (im: Img) => `/api/review/runs/${runId}/image/${encodeURIComponent(im.file)}`;

function counts(): void {
  const keep = images.filter((i) => i.mark === 'keep').length;
  const reject = images.filter((i) => i.mark === 'reject').length;
  $('counts').textContent =
    `${images.length} images · ${keep} kept · ${reject} rejected · ${images.length - keep - reject} to review`;
}

function detail(): void {
  const im = shown[at];
  const big = $<HTMLImageElement>('big');
  const dl = $('params');
  dl.replaceChildren();
  if (!im) {
    big.removeAttribute('src');
    return;
  }
  big.src = imageUrl(im);
  big.alt = im.prompt;
  const rows: [string, string][] = [
    ['image', `#${im.index} ${im.file}`],
    ['mark', im.mark ?? '—'],
    ['prompt', im.prompt],
    ['negative', im.negativePrompt || '—'],
    ['seed', String(im.seed)],
    ['sampler', `${im.sampler}, ${im.steps} steps, CFG ${im.guidance}`],
    ['size', `${im.width}×${im.height}`],
    ['model', `${im.model} (${im.modelHash})`],
  ];
  if (im.redoOf !== undefined) rows.push(['redo of', `#${im.redoOf}`]);
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
}

function render(): void {
  const f = $<HTMLSelectElement>('filter').value;
  shown = images.filter((i) => f === 'all' || (f === 'unmarked' ? i.mark === null : i.mark === f));
  at = Math.min(at, Math.max(0, shown.length - 1));
  const grid = $('grid');
  grid.replaceChildren(
    ...shown.map((im, n) => {
      const b = document.createElement('button');
      b.className = 'tile';
      b.setAttribute('role', 'option');
      b.setAttribute('aria-current', String(n === at));
      b.setAttribute('aria-label', `image ${im.index}, seed ${im.seed}, ${im.mark ?? 'unmarked'}`);
      if (im.mark) b.dataset.mark = im.mark;
      const img = document.createElement('img');
      img.loading = 'lazy';
      img.src = imageUrl(im);
      img.alt = '';
      const tag = document.createElement('span');
      tag.textContent = `#${im.index}`;
      b.append(img, tag);
      b.addEventListener('click', () => select(n));
      return b;
    }),
  );
  counts();
  detail();
}

function select(n: number): void {
  if (shown.length === 0) return;
  at = Math.max(0, Math.min(shown.length - 1, n));
  const tiles = $('grid').children;
  for (let i = 0; i < tiles.length; i++) tiles[i]!.setAttribute('aria-current', String(i === at));
  (tiles[at] as HTMLElement | undefined)?.scrollIntoView({ block: 'nearest' });
  detail();
}

async function mark(m: Mark): Promise<void> {
  const im = shown[at];
  if (!im) return;
  const keepPlace = $<HTMLSelectElement>('filter').value === 'all';
  // Move on before the server answers, so a key pressed right after applies to the next image.
  if (keepPlace) select(at + 1);
  await api(`/api/review/runs/${runId}/marks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ index: im.index, mark: m }),
  });
  im.mark = m;
  render();
}

async function loadRun(id: string): Promise<void> {
  runId = id;
  images = (await api<{ images: Img[] }>(`/api/review/runs/${id}`)).images;
  at = 0;
  render();
}

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  const action: Record<string, () => unknown> = {
    j: () => select(at + 1),
    ArrowRight: () => select(at + 1),
    ArrowDown: () => select(at + 1),
    k: () => select(at - 1),
    ArrowLeft: () => select(at - 1),
    ArrowUp: () => select(at - 1),
    y: () => mark('keep'),
    n: () => mark('reject'),
    x: () => mark('reject'),
    u: () => mark(null),
  };
  const f = action[k];
  if (f) {
    e.preventDefault();
    void Promise.resolve(f()).catch((err: Error) => ($('counts').textContent = `error: ${err.message}`));
  }
});

$('keep').addEventListener('click', () => void mark('keep'));
$('reject').addEventListener('click', () => void mark('reject'));
$('clear').addEventListener('click', () => void mark(null));
$('filter').addEventListener('change', () => render());
$('run').addEventListener('change', (e) => void loadRun((e.target as HTMLSelectElement).value));

void (async () => {
  const runs = await api<Run[]>('/api/review/runs');
  const sel = $<HTMLSelectElement>('run');
  for (const r of runs) {
    const o = document.createElement('option');
    o.value = r.id;
    o.textContent = `${r.name} (${r.images})`;
    sel.append(o);
  }
  if (runs.length) await loadRun(runs[0]!.id);
  else $('counts').textContent = 'no runs';
})();
