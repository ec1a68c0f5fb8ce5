/**
 * The dashboard: one form whose state is the URL, and panels redrawn from the HTTP API on every
 * change. `body[data-state]` is "loading" while answers are pending and "ready" when the panels
 * show the current inputs (scripts and the browser tests wait on it).
 */
import {
  ApiError,
  api,
  type CheckJson,
  type Device,
  type GpusJson,
  type ModelJson,
  type UsableJson,
  type ValidationReport,
} from './api.ts';
import { clear } from './charts.ts';
import { $, fill, h } from './dom.ts';
import { clearAnswer, renderAnswer } from './panels/answer.ts';
import { renderCost } from './panels/cost.ts';
import { renderDevices } from './panels/devices.ts';
import { renderMemory } from './panels/memory.ts';
import { renderQueue } from './panels/queue.ts';
import { renderResolution } from './panels/resolution.ts';
import { renderTier } from './panels/tier.ts';
import { renderValidation } from './panels/validation.ts';
import { DEFAULT_STATE, estimateFlags, readState, type State, writeState } from './state.ts';
import { adapterInfo } from './webgpu.ts';

/** When nothing says which GPU: a common 16 GB card, said as an example. */
const EXAMPLE_DEVICE = 'nvidia-geforce-rtx-4060-ti-16gb';

const PRESETS: { label: string; state: Partial<State> }[] = [
  // The whole batch's fp32 decode would need ~18 GB of activations: batches of 4 fit 16 GB with the VAE tiled.
  {
    label: 'SDXL 1024² in batches of 4 on an RTX 4060 Ti 16 GB, VAE tiled',
    state: {
      model: 'sdxl',
      width: 1024,
      height: 1024,
      batch: 4,
      steps: null,
      precision: null,
      strategy: 'auto',
      vaeTiling: true,
      device: 'nvidia-geforce-rtx-4060-ti-16gb',
    },
  },
  {
    label: 'FLUX.1-dev fp8 on an RTX 4090',
    state: {
      model: 'flux1-dev',
      width: 1024,
      height: 1024,
      batch: 1,
      steps: null,
      precision: 'fp8',
      strategy: 'auto',
      vaeTiling: false,
      device: 'nvidia-geforce-rtx-4090',
    },
  },
  {
    label: 'SD 1.5 512² on an RTX 3060 8 GB',
    state: {
      model: 'sd15',
      width: 512,
      height: 512,
      batch: 1,
      steps: null,
      precision: null,
      strategy: 'auto',
      vaeTiling: false,
      device: 'nvidia-geforce-rtx-3060-8gb',
    },
  },
  {
    label: 'SDXL on an Apple M2 Pro',
    state: {
      model: 'sdxl',
      width: 1024,
      height: 1024,
      batch: 1,
      steps: null,
      precision: null,
      strategy: 'auto',
      vaeTiling: false,
      device: 'apple-m2-pro',
    },
  },
];

let state: State = readState(location.search);
let models: ModelJson[] = [];
let devices: Device[] = [];
let usable: UsableJson[] = [];
let validation: ValidationReport | null = null;
let ranking: GpusJson | null = null;
let generation = 0;
/** A message about the link itself, shown with the first answers. */
let notice: string | null = null;

const model = () => models.find((m) => m.id === state.model) ?? models[0]!;
const deviceById = (id: string | null) => devices.find((d) => d.id === id);

function showError(msg: string | null) {
  const e = $('error');
  e.hidden = !msg;
  e.textContent = msg ?? '';
}

/** A panel without an answer: say why, and drop its chart so no stale numbers remain. */
function panelMessage(id: string, msg: string, chart?: string) {
  fill($(id), h('p', { class: 'muted', 'data-unavailable': 'true' }, msg));
  if (chart) clear($<HTMLCanvasElement>(chart));
}

/** Put the state into the form (after a preset, a model change or loading a shared link). */
function toForm() {
  const m = model();
  $<HTMLSelectElement>('model').value = m.id;
  $<HTMLInputElement>('width').value = String(state.width ?? m.defaults.width);
  $<HTMLInputElement>('height').value = String(state.height ?? m.defaults.height);
  $<HTMLInputElement>('batch').value = String(state.batch);
  $<HTMLInputElement>('steps').value = String(state.steps ?? m.defaults.steps);
  const p = $<HTMLSelectElement>('precision');
  p.replaceChildren(
    ...m.defaults.precisions.map((x) => h('option', { value: x }, x === m.defaults.precision ? `${x} (default)` : x)),
  );
  p.value = state.precision ?? m.defaults.precision;
  $<HTMLSelectElement>('strategy').value = state.strategy;
  $<HTMLInputElement>('vae-tiling').checked = state.vaeTiling;
  $<HTMLSelectElement>('devices-filter').value = state.rank;
  $<HTMLInputElement>('device').value = deviceById(state.device)?.name ?? '';
  $<HTMLInputElement>('ram').value = String(state.ram);
  $<HTMLInputElement>('images').value = String(state.images);
  $<HTMLInputElement>('within').value = state.within;
  $<HTMLInputElement>('electricity').value = state.electricity === null ? '' : String(state.electricity);
}

/** Read the form into the state; values equal to the model's defaults stay implicit (short URLs). */
function fromForm() {
  const m = model();
  const n = (id: string) => {
    const v = $<HTMLInputElement>(id).value.trim();
    return v === '' ? null : Number(v);
  };
  const w = n('width');
  const hh = n('height');
  const steps = n('steps');
  const precision = $<HTMLSelectElement>('precision').value;
  state = {
    ...state,
    width: w === m.defaults.width ? null : w,
    height: hh === m.defaults.height ? null : hh,
    batch: n('batch') ?? 1,
    ram: n('ram') ?? DEFAULT_STATE.ram,
    steps: steps === m.defaults.steps ? null : steps,
    precision: precision === m.defaults.precision ? null : precision,
    strategy: $<HTMLSelectElement>('strategy').value,
    vaeTiling: $<HTMLInputElement>('vae-tiling').checked,
    images: n('images') ?? DEFAULT_STATE.images,
    within: $<HTMLInputElement>('within').value.trim() || DEFAULT_STATE.within,
    electricity: n('electricity'),
  };
}

function saveUrl() {
  const q = writeState(state);
  history.replaceState(null, '', q ? `?${q}` : location.pathname);
}

async function refresh() {
  // The device box still names an unknown card: other inputs changing must not bring back the
  // answers of the previous one under that name.
  const typed = $<HTMLInputElement>('device').value.trim();
  if ($('device-note').dataset.unknown === 'true' && typed && typed !== deviceById(state.device)?.name) {
    showUnknownDevice(lastUnknown ?? `Unknown device “${typed}”.`);
    return;
  }
  const gen = ++generation;
  document.body.dataset.state = 'loading';
  saveUrl();
  const flags = estimateFlags(state);
  const m = model();
  const side = Math.max(state.width ?? m.defaults.width, state.height ?? m.defaults.height);
  const { device: _d, strategy: _s, ...workload } = flags;
  const { ram: _ram, ...rankFlags } = workload;
  const planFlags = {
    ...workload,
    images: state.images,
    within: state.within,
    ...(state.device ? { as: state.device } : {}),
    ...(state.electricity !== null ? { electricity: state.electricity } : {}),
  };
  // Each panel draws as soon as its answer arrives (the estimate in milliseconds, the plan in about
  // a second), unless a newer change has been made meanwhile: then the newer answers win.
  const stale = () => gen !== generation;
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
  const panel = <T>(p: Promise<T>, ok: (v: T) => void, ko: (msg: string) => void) =>
    p.then(
      (v) => void (stale() || ok(v)),
      (err: unknown) => void (stale() || ko(message(err))),
    );
  const linkNotice = notice;
  notice = null;
  await Promise.all([
    panel(
      api.estimate(flags),
      (e) => {
        showError(linkNotice);
        renderAnswer(e);
        renderMemory(e, usable);
      },
      (msg) => {
        showError([linkNotice, msg].filter(Boolean).join(' '));
        clearAnswer(msg);
        panelMessage('memory-text', 'No memory breakdown for these inputs.', 'memory-chart');
      },
    ),
    panel(
      api.sweep(flags),
      (s) => renderResolution(s, side),
      (msg) => panelMessage('resolution-text', `No resolution sweep: ${msg}`, 'resolution-chart'),
    ),
    state.device
      ? panel(
          api.check(state.device, state.ram),
          (c) => renderTier($('tier-device'), `Chosen GPU: ${c.machine.device.name}`, c),
          (msg) => panelMessage('tier-device', `No tier for the chosen device: ${msg}`),
        )
      : null,
    panel(
      api.gpus(rankFlags),
      (g) => {
        ranking = g;
        renderDevices(g, state.device, state.rank);
      },
      (msg) => {
        ranking = null;
        panelMessage('devices-text', `No ranking: ${msg}`, 'devices-chart');
      },
    ),
    panel(api.plan(planFlags), renderCost, (msg) =>
      panelMessage('cost-text', `No cost comparison: ${msg}`, 'cost-chart'),
    ),
  ]);
  if (stale()) return;
  if (validation) renderValidation(validation, state.model, $<HTMLInputElement>('validation-only-model').checked);
  document.body.dataset.state = 'ready';
  document.body.dataset.generation = String(gen);
}

/** A name the catalog does not know, said with its closest entries. */
function unknownDevice(name: string, suggestions: readonly string[]): string {
  const close = suggestions.slice(0, 4);
  return `Unknown device “${name.slice(0, 80)}”${close.length ? ` — did you mean ${close.join(', ')}?` : '.'}`;
}
/** Why the last chooseDevice() found nothing (its sentence), or null. */
let lastUnknown: string | null = null;

/**
 * The device box names nothing the catalog knows: no panel may keep answering for the previous
 * card (its "Yes — it fits" would read as the answer for the typed one).
 */
function showUnknownDevice(msg: string) {
  const gen = ++generation; // answers still on their way are for the old device: drop them
  const note = $('device-note');
  note.textContent = msg;
  note.dataset.unknown = 'true';
  clearAnswer(`${msg} Choose a device from the list.`);
  panelMessage('memory-text', 'No memory breakdown: choose a known device.', 'memory-chart');
  panelMessage('resolution-text', 'No resolution sweep: choose a known device.', 'resolution-chart');
  panelMessage('tier-device', 'No tier: choose a known device.');
  document.body.dataset.state = 'ready';
  document.body.dataset.generation = String(gen);
}

/** Resolve what was typed in the device box to a catalog device (exact name, then the matcher). */
async function chooseDevice(text: string): Promise<boolean> {
  lastUnknown = null;
  delete $('device-note').dataset.unknown;
  const t = text.trim();
  const exact = devices.find((d) => d.name.toLowerCase() === t.toLowerCase() || d.id === t);
  if (exact) {
    state.device = exact.id;
    $('device-note').textContent = '';
    return true;
  }
  try {
    const m = await api.match(t);
    if (m.kind !== 'unknown') {
      state.device = m.device.id;
      $<HTMLInputElement>('device').value = m.device.name;
      $('device-note').textContent =
        m.kind === 'matched' && m.note ? `“${t}” read as ${m.device.name} (${m.note})` : '';
      return true;
    }
    lastUnknown = unknownDevice(t, m.suggestions);
  } catch (err) {
    // The API answers an unknown name with 404 and its suggestions in the message.
    if (err instanceof ApiError && err.status === 404) lastUnknown = err.message.replace(/^unknown/, 'Unknown');
    $('device-note').textContent = err instanceof ApiError ? err.message : String(err);
    return false;
  }
  return false;
}

/** The link named a device the catalog does not know: said above the answers, never silently replaced. */
let linkUnknown: string | null = null;

/** Which device to show first: the link's, the browser's GPU (a guess), this machine's, an example. */
async function initialDevice(machine: Promise<CheckJson | null>) {
  if (state.device && deviceById(state.device)) return;
  const note = $('device-note');
  // A hand-written link may name the device ("?device=RTX 4090") rather than give its id.
  if (state.device) {
    const named = state.device;
    state.device = null;
    if (await chooseDevice(named)) return;
    linkUnknown = `${lastUnknown ?? unknownDevice(named, [])} (from the link)`;
  }
  const info = await adapterInfo();
  if (info?.description) {
    try {
      const m = await api.match(info.description);
      if (m.kind !== 'unknown') {
        state.device = m.device.id;
        note.textContent = `Guessed from your browser (WebGPU reports “${info.description}”): ${m.device.name}. A guess — change it if it is wrong.`;
        note.dataset.guess = 'webgpu';
        return;
      }
    } catch {
      /* an unmatched name falls through to the next source */
    }
  }
  const hint =
    info && !info.description && info.vendor
      ? ` Your browser reports a ${info.vendor} GPU${info.architecture ? ` (${info.architecture})` : ''}; choose the exact card.`
      : '';
  const mc = await machine;
  const own = mc && deviceById(mc.machine.device.id);
  if (own && own.backend !== 'cpu') {
    state.device = own.id;
    note.textContent = `This machine's GPU: ${own.name}.${hint}`;
    return;
  }
  state.device = EXAMPLE_DEVICE;
  note.textContent = `Example device (this machine has ${mc ? mc.machine.device.name : 'no detected GPU'}).${hint}`;
}

function bind() {
  const form = $<HTMLFormElement>('controls');
  form.addEventListener('submit', (e) => e.preventDefault());
  $<HTMLFormElement>('cost-controls').addEventListener('submit', (e) => e.preventDefault());
  $('model').addEventListener('change', () => {
    // A new model starts from its own native size, steps and precision.
    state = {
      ...state,
      model: $<HTMLSelectElement>('model').value,
      width: null,
      height: null,
      steps: null,
      precision: null,
    };
    toForm();
    void refresh();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  for (const id of [
    'width',
    'height',
    'batch',
    'ram',
    'steps',
    'precision',
    'strategy',
    'vae-tiling',
    'images',
    'within',
    'electricity',
  ]) {
    const el = $(id);
    el.addEventListener('change', () => {
      clearTimeout(timer);
      fromForm();
      void refresh();
    });
    // Typing refreshes after a pause; the change event (Enter, leaving the field) refreshes at once.
    el.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        fromForm();
        void refresh();
      }, 400);
    });
  }
  $('device').addEventListener('change', async () => {
    const typed = $<HTMLInputElement>('device').value;
    if (await chooseDevice(typed)) void refresh();
    else showUnknownDevice(lastUnknown ?? $('device-note').textContent ?? `Unknown device “${typed}”.`);
  });
  $('devices-filter').addEventListener('change', () => {
    state.rank = $<HTMLSelectElement>('devices-filter').value;
    saveUrl();
    if (ranking) renderDevices(ranking, state.device, state.rank);
  });
  $('validation-only-model').addEventListener(
    'change',
    () => validation && renderValidation(validation, state.model, $<HTMLInputElement>('validation-only-model').checked),
  );
  const nav = $('presets');
  for (const p of PRESETS) {
    nav.append(h('button', { type: 'button', 'data-preset': p.label }, p.label));
    nav.lastElementChild!.addEventListener('click', () => {
      state = { ...state, ...p.state };
      $('device-note').textContent = '';
      toForm();
      void refresh();
    });
  }
}

async function boot() {
  [models, devices, usable] = await Promise.all([api.models(), api.devices(), api.usable()]);
  if (!models.some((m) => m.id === state.model)) {
    notice = `Unknown model “${state.model}” in the link; showing ${DEFAULT_STATE.model}.`;
    state.model = DEFAULT_STATE.model;
  }
  $('model').replaceChildren(...models.map((m) => h('option', { value: m.id }, m.name)));
  $('device-list').replaceChildren(
    ...devices.map((d) => h('option', { value: d.name }, `${d.vendor} · ${d.memoryGiB ?? '—'} GB`)),
  );
  // Probing this machine takes a second the first time; the page does not wait longer than 3 s for it.
  const machine = api.check().then(
    (c) => {
      renderTier($('tier-machine'), `This machine: ${c.machine.device.name}`, c);
      return c;
    },
    (err: unknown) => {
      panelMessage('tier-machine', `Could not probe this machine: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    },
  );
  const soon = Promise.race([machine, new Promise<null>((done) => setTimeout(() => done(null), 3000))]);
  await initialDevice(soon);
  if (linkUnknown) {
    const shown = deviceById(state.device)?.name ?? 'another device';
    notice = [notice, `${linkUnknown} Showing ${shown} instead; choose the card you meant.`].filter(Boolean).join(' ');
    const note = $('device-note');
    note.textContent = `${linkUnknown} ${note.textContent ?? ''}`;
    note.dataset.unknown = 'true';
  }
  void api.validate().then((v) => {
    validation = v;
    renderValidation(v, state.model, $<HTMLInputElement>('validation-only-model').checked);
  });
  void watchQueue();
  toForm();
  bind();
  await refresh();
}

/** The queue panel, shown only when the server watches a queue (GET /api/queue is 204 otherwise). */
const QUEUE_POLL_MS = 5000;
async function watchQueue() {
  const panel = $('panel-queue');
  try {
    const q = await api.queue();
    if (!q) return;
    renderQueue($('queue-text'), q);
    panel.hidden = false;
  } catch (err) {
    panel.hidden = false;
    panelMessage('queue-text', `The queue could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  panel.dataset.polls = String(Number(panel.dataset.polls ?? '0') + 1);
  setTimeout(() => void watchQueue(), QUEUE_POLL_MS);
}

boot().catch((err: unknown) => {
  showError(`The dashboard could not start: ${err instanceof Error ? err.message : String(err)}`);
  document.body.dataset.state = 'error';
});
