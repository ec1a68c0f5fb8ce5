/**
 * How many intra-op threads onnxruntime should use, and whether its pool may spin, given how busy
 * the machine is. Pure.
 *
 * Why: onnxruntime's default (one thread per core, spinning workers) assumes the cores are free.
 * On a busy 2-core machine (load ≥ 2) two spinning threads made each SD 1.5 UNet call 2–3× slower
 * than one thread (issue 14): spinning workers burn the time slices the other processes need and
 * then wait for them. So: leave the cores other processes are using, and stop spinning when any
 * core is contended.
 */

export interface ThreadPlan {
  /** onnxruntime's intraOpNumThreads. */
  threads: number;
  /** session.intra_op.allow_spinning: spin-wait between ops (fast when the cores are free). */
  spinning: boolean;
  reason: string;
}

/** Below this 1-minute load average per core the machine counts as quiet. */
export const QUIET_LOAD_PER_CORE = 0.25;

export function threadPlan(load1: number, cores: number, asked?: number): ThreadPlan {
  const c = Math.max(1, Math.floor(cores));
  const load = Number.isFinite(load1) && load1 > 0 ? load1 : 0;
  const quiet = load <= QUIET_LOAD_PER_CORE * c;
  if (asked !== undefined)
    return {
      threads: asked,
      spinning: quiet,
      reason: `${asked} thread${asked === 1 ? '' : 's'} as asked${quiet ? '' : `, no spinning (load ${load.toFixed(1)} on ${c} cores)`}`,
    };
  if (quiet) return { threads: c, spinning: true, reason: `${c} threads (quiet machine, load ${load.toFixed(1)})` };
  const free = Math.max(1, Math.min(c, Math.round(c - load)));
  return {
    threads: free,
    spinning: false,
    reason: `${free} thread${free === 1 ? '' : 's'}, no spinning: load ${load.toFixed(1)} on ${c} cores`,
  };
}

/**
 * What a session is opened with under a plan: a thread count only where it differs from
 * onnxruntime's own choice (asked for, or fewer on a busy machine; absent leaves one per core),
 * and whether its pool may spin.
 */
export function sessionThreads(p: ThreadPlan, asked?: number): { threads?: number; spinning: boolean } {
  const threads = asked ?? (p.spinning ? undefined : p.threads);
  return { ...(threads !== undefined ? { threads } : {}), spinning: p.spinning };
}

/** The session options that carry a plan (onnxruntime-node passes `extra` as config entries). */
export function sessionThreadOptions(p: Pick<ThreadPlan, 'threads' | 'spinning'>): {
  intraOpNumThreads: number;
  extra: Record<string, unknown>;
} {
  return {
    intraOpNumThreads: p.threads,
    extra: { session: { intra_op: { allow_spinning: p.spinning ? '1' : '0' } } },
  };
}
