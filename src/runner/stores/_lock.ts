/**
 * One writer per run folder, without a native module (the project installs no build scripts, and
 * Node has no flock):
 *
 * 1. On Linux, an abstract-namespace Unix socket named after the folder's real path is bound and
 *    held while the run lives. Binding is atomic and the kernel frees the name the moment the process
 *    dies (kill -9, OOM killer; a zombie has already closed its sockets), so a crash never blocks a
 *    resume and two resumes never both win. It covers processes of one host and network namespace.
 * 2. The lock file `.genready.lock` says who holds the run (host, pid, process start time): written
 *    to a temp file and link()ed into place, so it never exists half-written. It is what other hosts
 *    sharing the folder (or other network namespaces) see. An owner is dead when its process is
 *    gone, is a zombie, or its pid now belongs to a process that started at another time (a pid
 *    reused after a reboot); a dead owner's lock is taken over. An owner on another host cannot be
 *    checked, so the message names the lock file to delete if that run is gone.
 *
 * Outside Linux only the lock file is used, with `kill(pid, 0)` for liveness.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunnerError } from '../errors.ts';

export const LOCK_FILE = '.genready.lock';

export interface LockOwner {
  v: 1;
  host: string;
  pid: number;
  /** Process identity that survives pid reuse: `linux:BOOT_ID:START_TICKS`, or null where unknown. */
  start: string | null;
  since: string;
}

/** /proc/PID/stat: state (field 3) and start time in clock ticks since boot (field 22). */
function procStat(pid: number | 'self'): { state: string; startTicks: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0]!, startTicks: rest[19]! };
  } catch {
    return null;
  }
}

let bootId: string | null | undefined;
function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/** This process's identity for the lock file. */
export function processStart(pid: number | 'self' = 'self'): string | null {
  const st = procStat(pid);
  const boot = readBootId();
  return st && boot ? `linux:${boot}:${st.startTicks}` : null;
}

/** Whether the process that wrote `owner` (on this host) still runs. */
export function ownerAlive(owner: Pick<LockOwner, 'pid' | 'start'>): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (process.platform === 'linux' && existsSync('/proc/self/stat')) {
    const st = procStat(owner.pid);
    if (!st) return false;
    // Z: a zombie (killed, not yet reaped) holds nothing; X: dead.
    if (st.state === 'Z' || st.state === 'X') return false;
    if (owner.start !== null && owner.start !== processStart(owner.pid)) return false;
    return true;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Read a lock file: the JSON owner, or a bare pid (the format of earlier versions). */
export function readOwner(path: string): LockOwner | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  if (/^\d+$/.test(text))
    return { v: 1, host: hostname(), pid: Number(text), start: null, since: statSync(path).mtime.toISOString() };
  try {
    const o = JSON.parse(text) as LockOwner;
    if (typeof o.pid === 'number' && typeof o.host === 'string') return o;
  } catch {
    // An unreadable lock file is nobody's: taken over below.
  }
  return null;
}

function describe(o: LockOwner, dir: string, path: string): string {
  const where = o.host === hostname() ? '' : `, host ${o.host}`;
  return `another genready run (pid ${o.pid}) is writing to ${dir} (lock file ${path}${where}, since ${o.since})`;
}

async function bindAbstract(name: string): Promise<Server | 'busy'> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? res('busy') : rej(err)));
    server.listen({ path: `\0${name}`, exclusive: true }, () => {
      // Held for its name only: it must not keep the process alive.
      server.unref();
      res(server);
    });
  });
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A takeover lasts milliseconds; a sentinel this old was left by a process killed in the middle of one. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Replace the lock file whose content is `staleText` (judged dead), under the sentinel
 * `LOCK.takeover` (created exclusively). Under it the lock file is read again: only if it still
 * holds the dead owner is it removed. Nobody else can change it meanwhile: a lock file that exists
 * is only ever removed by a takeover (under the sentinel) or by its live owner. Returns without
 * taking anything; the caller's next link() attempt decides.
 */
function takeOver(path: string, staleText: string | null): void {
  const sentinel = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(sentinel, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(sentinel).mtimeMs > TAKEOVER_STALE_MS) rmSync(sentinel, { force: true });
    } catch {
      // Gone already.
    }
    // Another process is taking over: wait a moment (synchronously: this is a few milliseconds).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
    return;
  }
  try {
    if (readText(path) === staleText) rmSync(path, { force: true });
  } finally {
    closeSync(fd);
    rmSync(sentinel, { force: true });
  }
}

/** A held run lock; `release` is idempotent. */
export interface HeldLock {
  path: string;
  owner: LockOwner;
  release(): void;
  /** True while the lock file still names this holder. */
  holds(): boolean;
}

function writeOwnerTemp(dir: string, owner: LockOwner): string {
  const tmp = join(dir, `.genready.lock.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/**
 * Take the run folder's lock or throw RunnerError 'run-locked' naming the lock file and its owner.
 * `dir` must exist.
 */
export async function acquireRunLock(
  dir: string,
  opts: { now?: () => Date /** Use the abstract socket (default: on Linux). */; socket?: boolean } = {},
): Promise<HeldLock> {
  const now = opts.now ?? (() => new Date());
  const path = join(dir, LOCK_FILE);
  let server: Server | null = null;
  if (opts.socket ?? process.platform === 'linux') {
    const key = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 40);
    const got = await bindAbstract(`genready-run-${key}`).catch(() => null);
    if (got === 'busy') {
      const o = readOwner(path);
      throw new RunnerError(
        'run-locked',
        o
          ? `${describe(o, dir, path)}; wait for it or stop it`
          : `another genready run is writing to ${dir} (lock file ${path}); wait for it or stop it`,
      );
    }
    server = got;
  }
  const owner: LockOwner = {
    v: 1,
    host: hostname(),
    pid: process.pid,
    start: processStart(),
    since: now().toISOString(),
  };
  const tmp = writeOwnerTemp(dir, owner);
  const mine = readFileSync(tmp, 'utf8');
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(tmp, path);
        let released = false;
        return {
          path,
          owner,
          holds: () => {
            try {
              return readFileSync(path, 'utf8') === mine;
            } catch {
              return false;
            }
          },
          release: () => {
            if (released) return;
            released = true;
            try {
              if (readFileSync(path, 'utf8') === mine) rmSync(path, { force: true });
            } catch {
              // Already gone.
            }
            server?.close();
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const staleText = readText(path);
      const o = readOwner(path);
      if (o) {
        const sameHost = o.host === hostname();
        // A legacy bare-pid lock naming this very process cannot be ours (ours is JSON): stale.
        const self = o.pid === process.pid && o.start === null;
        if (!sameHost || (!self && ownerAlive(o))) {
          throw new RunnerError(
            'run-locked',
            sameHost
              ? `${describe(o, dir, path)}; wait for it or stop it`
              : `${describe(o, dir, path)}; if that run is gone, delete ${path}`,
          );
        }
      }
      // Dead owner: take over under the takeover sentinel, so two resumes that both found the stale
      // lock cannot both replace it (the second would move the first one's fresh lock aside).
      takeOver(path, staleText);
    }
    throw new RunnerError('run-locked', `cannot take the lock ${path}; is another run starting?`);
  } catch (err) {
    server?.close();
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}
