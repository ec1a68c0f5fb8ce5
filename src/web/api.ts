/**
 * The dashboard's only view of genready: the HTTP API. Types are the answers' types (src/answers/),
 * imported type-only: nothing of the library is bundled.
 */

import type { CheckAnswer } from '../answers/check.ts';
import type { EstimateOnDevice } from '../answers/estimate.ts';
import type { GpusAnswer } from '../answers/gpus.ts';
import type { PlanAnswer } from '../answers/plan.ts';
import type { SweepJson } from '../answers/sweep.ts';
import type { ValidateAnswer } from '../answers/validate.ts';
import type { Device, DeviceMatch } from '../catalog/devices.types.ts';
import type { QueuePanel } from '../queue/admin.ts';

export type { Device, SweepJson };
export type CheckJson = CheckAnswer;
export type EstimateJson = EstimateOnDevice;
export type GpusJson = GpusAnswer;
export type PlanJson = PlanAnswer;
export type ValidationReport = ValidateAnswer;
export type QueueJson = QueuePanel;

export interface ModelJson {
  id: string;
  name: string;
  defaults: { width: number; height: number; steps: number; precision: string; precisions: string[]; cfg: boolean };
}

export interface UsableJson {
  memoryGiB: number;
  bytes: number;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(
    path,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
  );
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
  if (!res.ok)
    throw new ApiError(
      res.status,
      data?.error?.code ?? 'http',
      data?.error?.message ?? `${res.status} ${res.statusText}`,
    );
  return data as T;
}

export type Flags = Record<string, string | number | boolean>;

export const api = {
  models: () => call<ModelJson[]>('/api/models'),
  devices: () => call<Device[]>('/api/devices'),
  match: (name: string) => call<DeviceMatch>(`/api/devices?match=${encodeURIComponent(name)}`),
  usable: () => call<UsableJson[]>('/api/usable'),
  check: (as?: string, ram?: number) =>
    call<CheckJson>(as ? `/api/check?as=${encodeURIComponent(as)}${ram ? `&ram=${ram}` : ''}` : '/api/check'),
  estimate: (f: Flags) => call<EstimateJson>('/api/estimate', f),
  sweep: (f: Flags) => call<SweepJson>('/api/sweep', f),
  gpus: (f: Flags) => call<GpusJson>('/api/gpus', f),
  plan: (f: Flags) => call<PlanJson>('/api/plan', f),
  validate: () => call<ValidationReport>('/api/validate'),
  /** null: the server watches no queue (204). */
  queue: () => call<QueueJson | null>('/api/queue'),
};
