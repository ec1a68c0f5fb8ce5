/** The worker's side of its inference child: one request at a time, respawned if it dies. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InferReply, InferRequest } from './_infer-protocol.ts';

const CHILD = fileURLToPath(new URL('./_infer-child.ts', import.meta.url));

export class InferenceChild {
  private proc: ChildProcess | null = null;
  private seq = 0;
  private pending: { id: number; resolve: (r: InferReply) => void; reject: (e: Error) => void } | null = null;

  private spawn(): ChildProcess {
    // The child runs TypeScript through the same tsx loader as this process.
    const p = fork(CHILD, [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    p.on('message', (m: InferReply) => {
      if (this.pending?.id === m.id) {
        const { resolve } = this.pending;
        this.pending = null;
        resolve(m);
      }
    });
    p.on('exit', (code, signal) => {
      if (this.proc === p) this.proc = null;
      const waiting = this.pending;
      this.pending = null;
      waiting?.reject(new Error(`inference process ended (${signal ?? `exit ${code}`})`));
    });
    return p;
  }

  run(req: Omit<InferRequest, 'id'>): Promise<InferReply> {
    if (this.pending) return Promise.reject(new Error('inference child is busy'));
    this.proc ??= this.spawn();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.proc!.send({ ...req, id });
    });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Stop the child (a running generation is abandoned; its images were never stored). */
  close(): void {
    this.proc?.kill('SIGKILL');
    this.proc = null;
  }
}
