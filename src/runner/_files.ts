/**
 * File-system failures a user can cause (a full disk, an output path that is a file or a dangling
 * symlink, a folder on /proc) turned into one-line RunnerErrors naming the path, so the CLI says
 * what is wrong (exit 1) instead of "internal error" (exit 2).
 *
 * `ensureDir` exists because Node's recursive mkdir never returns on procfs (it retries ENOENT
 * forever at 100 % CPU: `mkdirSync('/proc/x', { recursive: true })`); it creates one level at a
 * time and refuses pseudo file systems up front.
 */
import { lstatSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RunnerError } from './errors.ts';

/** statfs magic numbers of kernel pseudo file systems (linux/magic.h): nothing of ours belongs there. */
const PSEUDO_FS: Record<number, string> = {
  40864: 'procfs',
  1650812274: 'sysfs',
  7377: 'devpts',
  1684170528: 'debugfs',
  2613483: 'cgroupfs',
  1667723888: 'cgroup2fs',
};

function describeErrno(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC':
      return 'no space left on the disk';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error';
    default:
      return err.code ?? err.message.split('\n')[0]!;
  }
}

const EXPECTED = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EISDIR',
  'ENOENT',
  'ELOOP',
  'ENAMETOOLONG',
  'EMFILE',
  'ENFILE',
  'EIO',
  'EEXIST',
]);

/** An errno error the user can fix, as a RunnerError; anything else is passed through unchanged. */
export function fileError(err: unknown, what: string, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof RunnerError || !e || typeof e.code !== 'string' || !EXPECTED.has(e.code)) return err;
  const code = e.code === 'ENOSPC' || e.code === 'EDQUOT' ? 'disk-full' : 'file-error';
  return new RunnerError(code, `cannot ${what} ${path}: ${describeErrno(e)}`, { cause: err });
}

/** Run `fn`, turning the user-fixable file errors it throws into RunnerErrors. */
export function withFileErrors<T>(what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fileError(err, what, path);
  }
}

function pseudoFs(path: string): string | null {
  try {
    return PSEUDO_FS[Number(statfsSync(path).type)] ?? null;
  } catch {
    return null;
  }
}

/**
 * Make `dir` (and missing parents) a folder we can write into, or throw one RunnerError saying
 * why not: a part of it is a file, a dangling symbolic link, a pseudo file system, no permission,
 * a full disk. `what` names the folder in the message ("output folder").
 */
export function ensureDir(dir: string, what = 'folder'): string {
  const abs = resolve(dir);
  // The nearest part of the path that exists.
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    let st: ReturnType<typeof lstatSync> | null = null;
    try {
      st = lstatSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR')
        throw fileError(err, `use the ${what}`, abs);
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR')
        throw new RunnerError(
          'file-error',
          `cannot use the ${what} ${abs}: a part of the path is a file, not a folder`,
        );
    }
    if (st) {
      if (st.isSymbolicLink()) {
        try {
          if (!statSync(at).isDirectory())
            throw new RunnerError(
              'file-error',
              `cannot use the ${what} ${abs}: ${at} is a link to a file, not a folder`,
            );
        } catch (err) {
          if (err instanceof RunnerError) throw err;
          throw new RunnerError(
            'file-error',
            `cannot use the ${what} ${abs}: ${at} is a symbolic link to nothing (dangling)`,
          );
        }
      } else if (!st.isDirectory())
        throw new RunnerError('file-error', `cannot use the ${what} ${abs}: ${at} is a file, not a folder`);
      break;
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  const fs = pseudoFs(at);
  if (fs) throw new RunnerError('file-error', `cannot use the ${what} ${abs}: ${at} is on ${fs}, not a disk`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw fileError(err, `create the ${what}`, abs);
    }
  }
  return abs;
}
