/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a server this
 * test starts on a free port: every number the page shows must be the number the API gives.
 * Screenshots of each step go to test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../src/server/app.ts';
import { productionDeps } from '../../src/server/deps.ts';
import { type Listening, LOOPBACK_HOSTNAMES, listen } from '../../src/server/node.ts';
import { ensureWebBuilt } from '../../src/server/web-build.ts';
import { gb, rate } from '../../src/web/format.ts';
import { chromiumMissing, launchChromium } from './_chromium.ts';

const SHOTS = 'test-artifacts/dashboard';

let server: Listening;
let browser: Browser;
let base: string;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(
    base + path.slice(1),
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
  );
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** Run `act`, then wait until the page has redrawn for it (a newer generation, ready). */
async function after_(page: Page, act: () => Promise<unknown>) {
  const gen = Number(await page.evaluate(() => document.body.dataset.generation ?? '0'));
  await act();
  await page.waitForFunction(
    (g) => Number(document.body.dataset.generation ?? '0') > g && document.body.dataset.state === 'ready',
    gen,
    { timeout: 20_000 },
  );
}

async function open(path: string, init?: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
  page.setDefaultTimeout(10_000);
  const outside: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) outside.push(r.url());
  });
  page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  (page as Page & { consoleErrors?: string[] }).consoleErrors = consoleErrors;
  await init?.(page);
  await page.goto(base + path.replace(/^\//, ''));
  await page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 30_000 });
  (page as Page & { outside?: string[] }).outside = outside;
  return page;
}

const value = (page: Page, sel: string) => page.locator(sel).getAttribute('data-value');
const chart = async (page: Page, id: string) =>
  JSON.parse((await page.locator(`#${id}`).getAttribute('data-chart'))!) as {
    labels: string[];
    datasets: { label: string; data: number[] }[];
    lines: { label: string; value: number }[];
  };

interface Estimate {
  fits: boolean;
  strategy: string;
  usableDeviceBytes: number;
  time: { imagesPerHour: number };
  memory: { peakDeviceBytes: number; phases: { phase: string; weightBytes: number; activationBytes: number }[] };
}

const missing = chromiumMissing;

describe('dashboard in chromium', { skip: missing }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const web = await ensureWebBuilt();
    server = await listen(
      createApp({ deps: productionDeps(), webRoot: web.out, allowedHostnames: LOOPBACK_HOSTNAMES }),
      { port: 0 },
    );
    base = `http://127.0.0.1:${server.port}/`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('one click answers "SDXL 1024 px in batches of 4 on an RTX 4060 Ti 16 GB: how many an hour?"', async () => {
    const page = await open('/');
    assert.deepEqual((page as Page & { outside?: string[] }).outside, [], 'nothing is fetched from outside the server');
    assert.deepEqual(
      (page as Page & { consoleErrors?: string[] }).consoleErrors,
      [],
      'no console errors (a CSP violation, a failed request)',
    );
    await after_(page, () =>
      page.getByRole('button', { name: /SDXL 1024² in batches of 4 on an RTX 4060 Ti 16 GB/ }).click(),
    );
    const e = await api<Estimate>('/api/estimate', {
      model: 'sdxl',
      width: 1024,
      height: 1024,
      batch: 4,
      strategy: 'auto',
      ram: 32,
      vaeTiling: true,
      device: 'nvidia-geforce-rtx-4060-ti-16gb',
    });
    // Decoded in tiles, batches of 4 fit 16 GB (the whole batch's fp32 decode would not).
    assert.equal(e.fits, true);
    assert.equal(await page.locator('#vae-tiling').isChecked(), true);
    assert.equal(await page.locator('#answer-iph').textContent(), rate(e.time.imagesPerHour));
    assert.equal(Number(await value(page, '#answer-iph')), e.time.imagesPerHour);
    assert.equal(await value(page, '#answer-verdict'), String(e.fits));
    assert.equal(await page.locator('#answer-strategy').textContent(), e.strategy);
    assert.equal(await page.locator('#answer-usable').textContent(), gb(e.usableDeviceBytes));
    // The memory chart: one stacked bar per phase, the chosen device's usable memory as a line.
    const mem = await chart(page, 'memory-chart');
    assert.deepEqual(
      mem.labels.slice(0, e.memory.phases.length),
      e.memory.phases.map((p) => p.phase),
    );
    assert.deepEqual(
      mem.datasets[0]!.data.slice(0, e.memory.phases.length),
      e.memory.phases.map((p) => p.weightBytes / 1e9),
    );
    assert.ok(mem.lines.some((l) => l.value === e.usableDeviceBytes / 1e9 && /RTX 4060 Ti 16GB/.test(l.label)));
    assert.deepEqual(
      mem.lines.filter((l) => / GB card$/.test(l.label)).map((l) => l.label),
      ['6 GB card', '8 GB card', '12 GB card', '16 GB card', '24 GB card', '32 GB card', '48 GB card', '80 GB card'],
    );
    // The state is in the URL: the same link shows the same view.
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('device'), 'nvidia-geforce-rtx-4060-ti-16gb');
    assert.equal(url.searchParams.get('batch'), '4');
    assert.equal(url.searchParams.get('tiling'), 'true');
    await page.screenshot({ path: `${SHOTS}/1-preset-sdxl-4060ti.png`, fullPage: true });
    assert.deepEqual((page as Page & { consoleErrors?: string[] }).consoleErrors, []);
    assert.deepEqual((page as Page & { outside?: string[] }).outside, []);
    await page.close();
  });

  test('changing the device changes the numbers and charts to what the API says for it', async () => {
    const page = await open('/?model=sdxl&batch=4&device=nvidia-geforce-rtx-4060-ti-16gb');
    const before = Number(await value(page, '#answer-iph'));
    const beforeRes = await chart(page, 'resolution-chart');
    await after_(page, async () => {
      await page.getByLabel('Device', { exact: true }).fill('GeForce RTX 4090');
      await page.getByLabel('Device', { exact: true }).press('Tab');
    });
    const e = await api<Estimate>('/api/estimate', {
      model: 'sdxl',
      batch: 4,
      strategy: 'auto',
      ram: 32,
      device: 'nvidia-geforce-rtx-4090',
    });
    const shown = Number(await value(page, '#answer-iph'));
    assert.equal(shown, e.time.imagesPerHour);
    assert.notEqual(shown, before);
    assert.equal(new URL(page.url()).searchParams.get('device'), 'nvidia-geforce-rtx-4090');
    // Peak memory against resolution: each point is the sweep's, the usable line is the 4090's.
    const s = await api<{
      usableDeviceBytes: number;
      points: { strategies: { strategy: string; peakDeviceBytes: number }[] }[];
      largestFitting: Record<string, number | null>;
    }>('/api/sweep', { model: 'sdxl', batch: 4, strategy: 'auto', ram: 32, device: 'nvidia-geforce-rtx-4090' });
    const res = await chart(page, 'resolution-chart');
    assert.equal(res.labels[0], '256');
    assert.equal(res.labels.at(-1), '2048');
    assert.deepEqual(
      res.datasets.find((d) => d.label === 'all on the GPU')!.data,
      s.points.map((p) => p.strategies.find((x) => x.strategy === 'gpu')!.peakDeviceBytes / 1e9),
    );
    assert.equal(res.lines[0]!.value, s.usableDeviceBytes / 1e9);
    assert.notDeepEqual(res.lines, beforeRes.lines);
    assert.equal(
      await page.locator('#resolution-largest').getAttribute('data-gpu'),
      String(s.largestFitting.gpu ?? ''),
    );
    // The tier of the chosen GPU is the check of that GPU.
    const t = await api<{ tier: { level: number } }>('/api/check?as=nvidia-geforce-rtx-4090&ram=32');
    assert.equal(await page.locator('#tier-device .tier').getAttribute('data-tier'), String(t.tier.level));
    await page.screenshot({ path: `${SHOTS}/2-device-4090.png`, fullPage: true });
    await page.close();
  });

  test('a model change starts from its native size; a bad size shows the library message', async () => {
    const page = await open('/?device=nvidia-geforce-rtx-3060-12gb');
    await after_(page, () => page.locator('#model').selectOption('sd15'));
    assert.equal(await page.getByLabel('Width', { exact: true }).inputValue(), '512');
    const e = await api<Estimate>('/api/estimate', {
      model: 'sd15',
      batch: 1,
      strategy: 'auto',
      ram: 32,
      device: 'nvidia-geforce-rtx-3060-12gb',
    });
    assert.equal(Number(await value(page, '#answer-iph')), e.time.imagesPerHour);
    await after_(page, () => page.locator('#model').selectOption('flux1-dev'));
    await after_(page, async () => {
      await page.getByLabel('Width', { exact: true }).fill('1000');
      await page.getByLabel('Width', { exact: true }).press('Enter');
    });
    assert.match((await page.locator('#error').textContent())!, /multiple of 16/);
    assert.equal(await page.locator('#error').isVisible(), true);
    // No stale numbers stand beside the error.
    assert.equal(await page.locator('#answer-iph').textContent(), '—');
    assert.equal(await page.locator('#memory-chart').getAttribute('data-chart'), null);
    await page.screenshot({ path: `${SHOTS}/3-bad-size.png`, fullPage: true });
    await page.close();
  });

  test('system RAM decides whether offloading can run FLUX on a 12 GB card', async () => {
    const page = await open('/?model=flux1-dev&device=nvidia-geforce-rtx-3060-12gb');
    const at = (ram: number) =>
      api<Estimate>('/api/estimate', {
        model: 'flux1-dev',
        batch: 1,
        strategy: 'auto',
        ram,
        device: 'nvidia-geforce-rtx-3060-12gb',
      });
    const e32 = await at(32);
    assert.equal(await value(page, '#answer-verdict'), String(e32.fits));
    await after_(page, async () => {
      await page.getByLabel('RAM GiB', { exact: true }).fill('64');
      await page.getByLabel('RAM GiB', { exact: true }).press('Enter');
    });
    const e64 = await at(64);
    assert.notEqual(e64.fits, e32.fits, 'the fixture question still separates 32 from 64 GiB');
    assert.equal(await value(page, '#answer-verdict'), String(e64.fits));
    assert.equal(await page.locator('#answer-strategy').textContent(), e64.strategy);
    assert.equal(new URL(page.url()).searchParams.get('ram'), '64');
    await page.close();
  });

  test('a shared link restores every input', async () => {
    const page = await open('/?model=sd15&w=768&h=512&batch=2&strategy=gpu&device=nvidia-geforce-rtx-3060-12gb');
    assert.equal(await page.locator('#model').inputValue(), 'sd15');
    assert.equal(await page.getByLabel('Width', { exact: true }).inputValue(), '768');
    assert.equal(await page.getByLabel('Height', { exact: true }).inputValue(), '512');
    assert.equal(await page.getByLabel('Batch', { exact: true }).inputValue(), '2');
    assert.equal(await page.locator('#strategy').inputValue(), 'gpu');
    assert.equal(await page.getByLabel('Device', { exact: true }).inputValue(), 'GeForce RTX 3060 12GB');
    const e = await api<Estimate>('/api/estimate', {
      model: 'sd15',
      width: 768,
      height: 512,
      batch: 2,
      strategy: 'gpu',
      ram: 32,
      device: 'nvidia-geforce-rtx-3060-12gb',
    });
    assert.equal(Number(await value(page, '#answer-iph')), e.time.imagesPerHour);
    await page.close();
  });

  test('the ranking, the cost comparison and the validation table show the API answers', async () => {
    const page = await open('/?model=sdxl&batch=4&device=nvidia-geforce-rtx-4060-ti-16gb');
    const g = await api<{
      devices: {
        device: { id: string; name: string; segment: string };
        fits: boolean;
        imagesPerHour: number;
        tier: number;
      }[];
    }>('/api/gpus', { model: 'sdxl', batch: 4 });
    const row = g.devices.find((d) => d.device.id === 'nvidia-geforce-rtx-4060-ti-16gb')!;
    assert.equal(
      Number(
        await page
          .locator('#devices-text tr[data-device="nvidia-geforce-rtx-4060-ti-16gb"]')
          .getAttribute('data-value'),
      ),
      row.imagesPerHour,
    );
    // By default the ranking shows devices like the chosen one (desktop cards), in the API's order.
    const desktop = g.devices.filter((d) => d.fits && d.device.segment === 'consumer_desktop').slice(0, 24);
    const bars = await chart(page, 'devices-chart');
    assert.deepEqual(
      bars.labels,
      desktop.some((d) => d === row)
        ? desktop.map((d) => d.device.name)
        : [...desktop.slice(0, 23), row].map((d) => d.device.name),
    );
    assert.deepEqual(
      bars.datasets[0]!.data,
      desktop.some((d) => d === row)
        ? desktop.map((d) => d.imagesPerHour)
        : [...desktop.slice(0, 23), row].map((d) => d.imagesPerHour),
    );
    await page.locator('#devices-filter').selectOption('all');
    assert.equal((await chart(page, 'devices-chart')).labels[0], g.devices.find((d) => d.fits)!.device.name);
    assert.equal(new URL(page.url()).searchParams.get('rank'), 'all');
    const p = await api<{ machine: { local: { costPer1000Usd: number } }; breakEven: { images: number | null } }>(
      '/api/plan',
      { model: 'sdxl', batch: 4, ram: 32, images: 1000, within: '8h', as: 'nvidia-geforce-rtx-4060-ti-16gb' },
    );
    assert.equal(Number(await page.locator('#cost-owned').getAttribute('data-value')), p.machine.local.costPer1000Usd);
    assert.equal(await page.locator('#cost-breakeven').getAttribute('data-value'), String(p.breakEven.images ?? ''));
    await after_(page, async () => {
      await page.getByLabel('Images', { exact: true }).fill('20000');
      await page.getByLabel('Images', { exact: true }).press('Enter');
    });
    assert.match((await page.locator('#cost-machine').textContent())!, /^20000 images/);
    const v = await api<{ rows: { row: { model: string } }[] }>('/api/validate');
    await page.waitForSelector('#validation-text tr[data-row]');
    assert.equal(
      await page.locator('#validation-text tr[data-row]').count(),
      v.rows.filter((r) => r.row.model === 'sdxl').length,
    );
    await page.screenshot({ path: `${SHOTS}/4-ranking-cost-validation.png`, fullPage: true });
    await page.close();
  });

  test('a link may name the device instead of giving its id', async () => {
    const page = await open('/?device=RTX%204090&batch=2');
    assert.equal(await page.getByLabel('Device', { exact: true }).inputValue(), 'GeForce RTX 4090');
    assert.equal(new URL(page.url()).searchParams.get('device'), 'nvidia-geforce-rtx-4090');
    await page.close();
  });

  test("the browser's WebGPU adapter preselects the visitor's GPU, said as a guess", async () => {
    const page = await open('/', (p) =>
      // A string, not a function: tsx would wrap a function with helpers the page does not have.
      p.addInitScript(
        `Object.defineProperty(navigator, 'gpu', { value: { requestAdapter: async () => ({ info: { vendor: 'nvidia', architecture: 'ada', device: '', description: 'NVIDIA GeForce RTX 4070 SUPER' } }) } });`,
      ),
    );
    assert.equal(await page.getByLabel('Device', { exact: true }).inputValue(), 'GeForce RTX 4070 Super');
    assert.match(
      (await page.locator('#device-note').textContent())!,
      /Guessed from your browser.*RTX 4070 SUPER.*guess/,
    );
    await page.close();
  });
});
