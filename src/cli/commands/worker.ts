/** `genready worker --queue URL`: one per GPU; generates queued chunks into the shared output folder. */
import { defineCommand } from 'citty';
import { QueueError } from '../../queue/errors.ts';
import { resolveQueueUrl } from '../../queue/url.ts';
import { startWorker, type WorkerEvent, type WorkerHandle } from '../../queue/worker.ts';
import { num, rejectUnknownFlags } from '../_args.ts';

const workerArgs = {
  queue: { type: 'string', description: 'Redis URL redis://[:password@]host:port[/db] (or GENREADY_QUEUE_URL)' },
  provider: { type: 'string', description: 'onnxruntime execution provider: cpu (default), cuda, dml, coreml' },
  threads: { type: 'string', description: 'onnxruntime threads (default: one per core); the images do not change' },
  models: { type: 'string', description: 'folder holding model folders by name (else the coordinator’s path)' },
  id: { type: 'string', description: 'worker name shown by `genready queue workers` (default host-pid)' },
  lockSeconds: { type: 'string', description: 'seconds a silent worker keeps its chunk before another takes it (30)' },
  redisDeadline: { type: 'string', description: 'seconds Redis may stay unreachable before the worker stops (60)' },
  json: { type: 'boolean', description: 'one JSON line per event on stdout' },
} as const;

function line(e: WorkerEvent): string {
  switch (e.event) {
    case 'ready':
      return `worker ${e.id} ready on ${e.queues.join(', ')}; plans for ${e.note} (tier ${e.tier})`;
    case 'start':
      return `chunk ${e.job} (attempt ${e.attempt})`;
    case 'image':
      return `  image ${e.index}: ${e.outcome}`;
    case 'chunk':
      return `chunk ${e.job}: ${e.made} made, ${e.same} already there, ${e.skipped} skipped, ${e.conflicts} conflict(s)`;
    case 'chunk-failed':
      return `chunk ${e.job} failed: ${e.error}`;
    case 'redis':
      return `Redis ${e.state}`;
    case 'stop':
      return `stopped (${e.reason})${e.clean ? '' : ': a running chunk was abandoned; it will be made again'}`;
  }
}

export const workerCommand = defineCommand({
  meta: { name: 'worker', description: 'Generate queued images for `genready run --queue` (one per GPU)' },
  args: workerArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, workerArgs);
    const address = resolveQueueUrl(args.queue);
    const threads = num('threads', args.threads);
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 256))
      throw new QueueError('bad-flag', `--threads must be a whole number from 1 to 256, got ${args.threads}`);
    const lock = num('lock-seconds', args.lockSeconds);
    if (lock !== undefined && !(lock >= 1)) throw new QueueError('bad-flag', '--lock-seconds must be at least 1');
    const deadline = num('redis-deadline', args.redisDeadline);
    if (deadline !== undefined && !(deadline >= 1))
      throw new QueueError('bad-flag', '--redis-deadline must be at least 1');
    // Progress goes to stderr (stdout is for --json lines).
    const print = (e: WorkerEvent) =>
      args.json
        ? process.stdout.write(`${JSON.stringify({ t: Date.now(), ...e })}\n`)
        : process.stderr.write(`${line(e)}\n`);
    // Signals are taken from the start: 'ready' reaches whoever watches stdout before startWorker
    // returns, and a SIGTERM sent at once must still stop the worker rather than kill the process.
    let handle: WorkerHandle | null = null;
    let asked: 'SIGTERM' | 'SIGINT' | null = null;
    const onSignal = (sig: 'SIGTERM' | 'SIGINT') => () => {
      asked ??= sig;
      if (handle) void handle.stop(sig);
    };
    const onTerm = onSignal('SIGTERM');
    const onInt = onSignal('SIGINT');
    process.once('SIGTERM', onTerm);
    process.once('SIGINT', onInt);
    try {
      handle = await startWorker({
        address,
        ...(typeof args.provider === 'string' ? { provider: args.provider } : {}),
        ...(threads !== undefined ? { threads } : {}),
        ...(typeof args.models === 'string' && args.models ? { modelsDir: args.models } : {}),
        ...(typeof args.id === 'string' && args.id ? { id: args.id } : {}),
        ...(lock !== undefined ? { lockMs: lock * 1000 } : {}),
        ...(deadline !== undefined ? { redisDeadlineMs: deadline * 1000 } : {}),
        onEvent: print,
      });
      if (asked) void handle.stop(asked);
      // The worker closes everything it opened, so the process ends by itself once `done` settles.
      await handle.done;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
  },
});
