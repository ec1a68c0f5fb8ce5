/** The headline: does it fit on the device, and how many images an hour. */
import type { EstimateJson } from '../api.ts';
import { $ } from '../dom.ts';
import { gb, rate, seconds } from '../format.ts';

/** Write a number as text, keeping the exact value in data-value for scripts and tests. */
function put(id: string, text: string, value: number | string) {
  const e = $(id);
  e.textContent = text;
  e.dataset.value = String(value);
}

/** No answer for these inputs: blank the numbers rather than leave the previous ones standing. */
export function clearAnswer(why: string): void {
  const v = $('answer-verdict');
  v.textContent = 'No answer';
  v.className = 'nofit';
  v.dataset.value = '';
  $('answer-what').textContent = why;
  for (const id of ['answer-iph', 'answer-spi', 'answer-strategy', 'answer-peak', 'answer-usable']) put(id, '—', '');
}

export function renderAnswer(e: EstimateJson): void {
  const v = $('answer-verdict');
  v.textContent = e.fits ? 'Yes — it fits' : 'No — it does not fit';
  v.className = e.fits ? 'fits' : 'nofit';
  v.dataset.value = String(e.fits);
  const w = e.workload;
  $('answer-what').textContent =
    `${e.model.name} at ${w.width}×${w.height}, batch ${w.batch}, ${w.steps} steps, ${w.precision.denoiser} on ${e.device.name}${e.fits ? '' : ` (even with ${e.strategy})`}.`;
  put('answer-iph', rate(e.time.imagesPerHour), e.time.imagesPerHour);
  put('answer-spi', seconds(e.time.secondsPerImage), e.time.secondsPerImage);
  put('answer-strategy', e.strategy, e.strategy);
  put('answer-peak', gb(e.memory.peakDeviceBytes), e.memory.peakDeviceBytes);
  put('answer-usable', gb(e.usableDeviceBytes), e.usableDeviceBytes);
  $('answer-usable').title = e.usableReason;
}
