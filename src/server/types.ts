/**
 * The server's ports: every library function the HTTP API calls comes in through `ServerDeps`, so
 * tests build the app with fakes and production wires the real library (`productionDeps`).
 */
import type { Hono } from 'hono';
import type { Device, DeviceMatch } from '../catalog/devices.types.ts';

export type Flags = Record<string, unknown>;

export interface ServerDeps {
  /** `genready models --json`. */
  models(): unknown[];
  /** `genready devices --json`. */
  devices(): Device[];
  /** `genready devices --match NAME --json`: never a wrong device, `unknown` with suggestions. */
  matchDevice(name: string): DeviceMatch;
  /** `genready estimate --json` for these flags. */
  estimate(flags: Flags): unknown;
  /** `genready check --json`: this machine without `as`, a catalog GPU with it. */
  check(opts: { as?: string; ram?: string; verbose?: boolean }): Promise<unknown>;
  /** `genready validate --json`. */
  validate(): unknown;
  /** `genready plan --json`; absent until the planner provides it (the route answers 501). */
  plan?(flags: Flags): Promise<unknown>;
  /** `genready gpus --json`; absent until the planner provides it (the route answers 501). */
  gpus?(flags: Flags): unknown;
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
