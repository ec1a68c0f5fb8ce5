/**
 * A shared maker in a child process, for the RunStore conformance suite's concurrency case:
 *
 *   node --import tsx store-conformance-writer.ts FACTORY_MODULE KEY TAG N
 *
 * Opens the store's shared side (no lock), prints `ready`, waits for one line on stdin (so both
 * makers start at once), then stores images 0..N-1: even ones with bytes every maker agrees on,
 * odd ones with bytes of its own (TAG), each followed by its record when the bytes are the stored
 * ones, as a queue worker does. Prints one JSON line per image: { index, kind, sha256 }.
 */
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import type { RunStore } from '../../src/runner/ports.ts';
import { manifestEntry } from './_manifest-entry.ts';
import { bytesOf } from './store-conformance-data.ts';

const [factory, key, tag, nText] = process.argv.slice(2) as [string, string, string, string];
const { makeStore } = (await import(pathToFileURL(factory).href)) as { makeStore(key: string): RunStore };
const shared = makeStore(key).openShared?.();
if (!shared) throw new Error('the store has no shared side');

process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
for (let index = 0; index < Number(nText); index++) {
  const png = bytesOf(index, tag);
  const put = await shared.putImage(`${index}.png`, png);
  if (put.kind !== 'conflict')
    await shared.putRecord({ ...manifestEntry(index), sha256: put.sha256, bytes: png.length, maker: tag } as never);
  process.stdout.write(`${JSON.stringify({ index, kind: put.kind, sha256: put.sha256 })}\n`);
}
