/**
 * The dashboard's files. The list is read once from the built folder, and a request is answered
 * only when its path is exactly one of those names: there is no path joining, so `..`, encoded
 * dots or absolute paths cannot reach anything else on disk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  body: Uint8Array;
  type: string;
}

/** URL path ("/app.js") → file, for every servable file under `root` (at most 2 levels, 200 files). */
export function loadStatic(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, depth: number) => {
    // Dirents do not follow symbolic links: a link in the folder cannot expose a file elsewhere.
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const name = e.name;
      const p = join(dir, name);
      if (e.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (e.isFile() && TYPES[extname(name)] && files.size < 200) {
        files.set(`/${relative(root, p).split(sep).join('/')}`, { body: readFileSync(p), type: TYPES[extname(name)]! });
      }
    }
  };
  walk(root, 0);
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}
