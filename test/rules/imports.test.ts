/**
 * The house rules as a test: every import in src/, data/, bench/ and scripts/ goes down the layer
 * order written once below, no file takes part in an import circle, and the interfaces (cli,
 * server, web) never import each other, except the CLI starting the server (`genready serve`).
 *
 * Imports are read with TypeScript's own pre-processor (static, type-only, re-exports and dynamic
 * `import()` alike), so a lazily loaded command counts as much as an eager one.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Which room may import which. A room is a folder of src/; data/ (the model descriptions) belongs
 * to the catalog. Reading down: a room may import only the rooms listed for it.
 */
/** Every room below the answers, in order from the top. */
const LIBRARY = [
  'queue',
  'runner',
  'bench',
  'ort',
  'graph',
  'checkpoint',
  'planner',
  'validate',
  'cost',
  'probe',
  'catalog',
  'text',
  'io',
] as const;

const MAY_IMPORT: Record<string, readonly string[]> = {
  text: [],
  io: [],
  catalog: ['text', 'io'],
  probe: ['catalog', 'text', 'io'],
  cost: ['catalog', 'text'],
  validate: ['cost', 'catalog', 'text', 'io'],
  planner: ['validate', 'cost', 'probe', 'catalog', 'text', 'io'],
  checkpoint: ['catalog', 'text', 'io'],
  graph: ['checkpoint', 'catalog', 'text', 'io'],
  ort: ['graph', 'probe', 'catalog', 'text', 'io'],
  bench: ['ort', 'graph', 'checkpoint', 'planner', 'validate', 'cost', 'probe', 'catalog', 'text', 'io'],
  runner: ['ort', 'graph', 'checkpoint', 'planner', 'cost', 'probe', 'catalog', 'text', 'io'],
  queue: ['runner', 'ort', 'graph', 'checkpoint', 'planner', 'cost', 'probe', 'catalog', 'text', 'io'],
  answers: LIBRARY,
  // Interfaces. The CLI may start the server (`genready serve`); nothing else crosses between them.
  server: ['answers', 'runner', 'queue', 'catalog', 'cost', 'planner', 'validate', 'probe', 'text', 'io'],
  cli: ['server', 'answers', ...LIBRARY],
  // The dashboard talks to the HTTP API only: it may share the answers' types and the number formatting.
  web: ['answers', 'text'],
  // The public barrel re-exports the library rooms, never an interface.
  index: ['answers', ...LIBRARY],
};

/** Dev-time tools: they may import anything in src/, and nothing in src/ may import them. */
const TOOLS = new Set(['bench', 'scripts']);

const SOURCE = /\.(ts|mts|mjs|js)$/;

function files(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * `src/cost/time.ts` → `cost`; `data/checkpoint/x.ts` → `checkpoint` (a room's own data), other data
 * (`data/models/`) → `catalog`; `bench/x.ts` → `tool:bench`.
 */
function roomOf(file: string): string {
  const [top, second] = relative(ROOT, file).split(sep);
  if (top === 'src') return second!.replace(SOURCE, '');
  if (top === 'data') return second && MAY_IMPORT[second] ? second : 'catalog';
  if (TOOLS.has(top!)) return `tool:${top}`;
  return top!;
}

interface Edge {
  from: string;
  to: string;
  /** Every import of `to` in `from` is `import type` (erased: no code crosses). */
  typeOnly: boolean;
}

/** Rooms that may take types (only) from any library room: the dashboard shows the API's answers. */
const TYPES_FROM_ANY = new Set(['web']);
const LIBRARY_ROOMS = new Set(Object.keys(MAY_IMPORT).filter((r) => !['cli', 'server', 'web'].includes(r)));

function importsOf(file: string): { to: string; typeOnly: boolean }[] {
  const source = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(source, true, true);
  const specs = [...new Set(info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.')))];
  return specs.map((s) => {
    const quoted = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const statements = source.match(new RegExp(`^(?:import|export)\\b[^;]*?from '${quoted}'`, 'gms')) ?? [];
    const typeOnly = statements.length > 0 && statements.every((st) => /^(?:import|export) type\b/.test(st));
    return { to: resolve(dirname(file), s), typeOnly };
  });
}

const scanned = ['src', 'data', 'bench', 'scripts'].flatMap((d) => files(join(ROOT, d)));
const edges: Edge[] = scanned.flatMap((from) => importsOf(from).map((i) => ({ from, ...i })));
const rel = (f: string) => relative(ROOT, f);

test('every import goes down the layer order', () => {
  const wrong = edges
    .filter(({ from, to, typeOnly }) => {
      const a = roomOf(from);
      const b = roomOf(to);
      if (a === b || a.startsWith('tool:')) return false;
      if (b.startsWith('tool:')) return true;
      if (typeOnly && TYPES_FROM_ANY.has(a) && LIBRARY_ROOMS.has(b)) return false;
      const allowed = MAY_IMPORT[a];
      assert.ok(allowed, `${rel(from)}: room "${a}" is not in the layer table`);
      return !allowed.includes(b);
    })
    .map(({ from, to }) => `${rel(from)} (${roomOf(from)}) imports ${rel(to)} (${roomOf(to)})`);
  assert.deepEqual(wrong, []);
});

test('the interfaces do not import each other (except the CLI starting the server)', () => {
  const interfaces = new Set(['cli', 'server', 'web']);
  const crossing = edges
    .filter(({ from, to }) => {
      const a = roomOf(from);
      const b = roomOf(to);
      return a !== b && interfaces.has(a) && interfaces.has(b) && !(a === 'cli' && b === 'server');
    })
    .map(({ from, to }) => `${rel(from)} imports ${rel(to)}`);
  assert.deepEqual(crossing, []);
});

test('no import circle between files', () => {
  // Tarjan's strongly connected components over the file graph; any component of two or more files
  // (or a file importing itself) is a circle.
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) circles.push(component.sort());
    }
  };
  for (const f of scanned) if (!index.has(f)) visit(f);
  assert.deepEqual(circles, []);
});

test('the layer table names every room of src/', () => {
  const rooms = new Set(scanned.map(roomOf).filter((r) => !r.startsWith('tool:')));
  const missing = [...rooms].filter((r) => !MAY_IMPORT[r]);
  assert.deepEqual(missing, []);
});
