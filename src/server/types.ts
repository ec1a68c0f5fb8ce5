/**
 * The server's ports: every answer the HTTP API gives comes in through `ServerDeps`, as a function
 * of a request already parsed by the question's schema (src/answers/), so tests build the app with
 * fakes and production wires the answers (`productionDeps`).
 */
import type { Hono } from 'hono';
import type { CheckRequest } from '../answers/check.ts';
import type { DevicesAnswer, DevicesRequest } from '../answers/devices.ts';
import type { EstimateRequest } from '../answers/estimate.ts';
import type { GpusRequest } from '../answers/gpus.ts';
import type { PlanRequest } from '../answers/plan.ts';
import type { RunPlanRequest } from '../answers/run-plan.ts';
import type { SweepRequest } from '../answers/sweep.ts';
import type { QueuePanel } from '../queue/admin.ts';

export interface ServerDeps {
  /** `genready models --json`. */
  models(): readonly { id: string }[];
  /** `genready devices [--match NAME] --json`. */
  devices(req: DevicesRequest): DevicesAnswer;
  /** `genready estimate --json`. */
  estimate(req: EstimateRequest): Promise<unknown>;
  /** Peak memory against resolution (the dashboard's chart). */
  sweep(req: SweepRequest): Promise<unknown>;
  /** `genready check --json`: this machine without `as`, a catalog GPU with it. */
  check(req: CheckRequest): Promise<unknown>;
  /** `genready validate --json`. */
  validate(): unknown;
  /** `genready constants --json`. */
  constants(): unknown;
  /** `genready plan --json`; absent: the route answers 501. */
  plan?(req: PlanRequest): Promise<unknown>;
  /** `genready gpus --json`; absent: the route answers 501. */
  gpus?(req: GpusRequest): unknown;
  /** The queue panel (`genready queue status` + `workers`, read-only); absent: GET /api/queue answers 204 (no content). */
  queue?(): Promise<QueuePanel>;
  /** `genready run RECIPE --plan --json`: what a run of a recipe on this machine would do; absent: 501. */
  runPlan?(req: RunPlanRequest): unknown;
  /** Usable bytes of a discrete desktop GPU with this many GB (for the "common sizes" lines). */
  usableForSize(memoryGiB: number): { bytes: number; reason: string };
}

export interface AppOptions {
  deps: ServerDeps;
  /**
   * The built dashboard (dist/web); null serves the API alone. Only files found there when the app
   * is built are served: a request can never name a path outside that list.
   */
  webRoot?: string | null;
  /**
   * Host names the server answers to. A server bound to 127.0.0.1 lists the loopback names, so a
   * web page elsewhere cannot reach it through DNS rebinding; undefined accepts any Host.
   */
  allowedHostnames?: readonly string[];
  /** Largest request body in bytes (default 64 KiB: the biggest real body is well under 1 KiB). */
  bodyLimitBytes?: number;
  /** More route groups (e.g. the review gallery of `genready run`), mounted before the 404 fallback. */
  extraRoutes?: (app: Hono) => void;
  /** Where internal errors are logged (default stderr). */
  log?: (line: string) => void;
}
