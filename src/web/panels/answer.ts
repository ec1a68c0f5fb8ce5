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
  v.dataset.grade = '';
  $('answer-what').textContent = why;
  for (const id of ['answer-iph', 'answer-spi', 'answer-strategy', 'answer-peak', 'answer-usable']) put(id, '—', '');
}

/**
 * The verdict by the answer's fit grade, the one the CLI prints for the same request (`estimate`:
 * green comfortable, amber tight, red does not fit): tight means the need is within the memory
 * model's measured error of what is usable, so an out-of-memory is a real risk.
 */
const VERDICT: Record<EstimateJson['fitGrade'], { text: string; className: string }> = {
  comfortable: { text: 'Yes — it fits', className: 'fits' },
  tight: { text: 'Yes, but tight — it fits within the memory model’s error', className: 'tight' },
  'does-not-fit': { text: 'No — it does not fit', className: 'nofit' },
};

export function renderAnswer(e: EstimateJson): void {
  const v = $('answer-verdict');
  const verdict = VERDICT[e.fitGrade];
  v.textContent = verdict.text;
  v.className = verdict.className;
  v.dataset.value = String(e.fits);
  v.dataset.grade = e.fitGrade;
  const w = e.workload;
  // For tight, the figures the CLI prints ("needs 12.3 GB of 12.4 GB usable") and the rung that is comfortable.
  const better = e.verdict.comfortableRung;
  const need =
    e.fitGrade === 'tight'
      ? ` It needs ${gb(e.memory.peakRequiredBytes)} of ${gb(e.usableDeviceBytes)} usable, within the memory model’s ${Math.round(e.verdict.memoryErrorP90 * 100)} % error${better ? `; comfortable ${better.label}` : ''}.`
      : '';
  // Where the attention kernel that runs is not the one asked (SDPA on Intel GPUs, a script's on AMD's consumer
  // GPUs), say so: the time and memory assume it.
  const reason = e.attention.reason;
  const attention = reason ? ` Attention: ${reason}.` : '';
  $('answer-what').textContent =
    `${e.model.name} at ${w.width}×${w.height}, batch ${w.batch}, ${w.steps} steps, ${w.precision.denoiser} on ${e.device.name}${e.fits ? '' : ` (even with ${e.strategy})`}.${need}${attention}`;
  put('answer-iph', rate(e.time.imagesPerHour), e.time.imagesPerHour);
  put('answer-spi', seconds(e.time.secondsPerImage), e.time.secondsPerImage);
  put('answer-strategy', e.strategy, e.strategy);
  put('answer-peak', gb(e.memory.peakDeviceBytes), e.memory.peakDeviceBytes);
  put('answer-usable', gb(e.usableDeviceBytes), e.usableDeviceBytes);
  $('answer-usable').title = e.usableReason;
}
