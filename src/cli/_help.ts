/**
 * Help text, written from the command definitions: flags in the kebab-case people type
 * (`--vae-tiling`), wrapped to the terminal, with an example per command. citty's own usage prints
 * the camelCase keys and colour codes even into a pipe, so the CLI renders its own.
 */
import type { ArgsDef, CommandDef } from 'citty';
import { color, outputWidth, visibleWidth, wrapWords } from './format.ts';

/** What main.ts knows about a command without loading it. */
export interface CommandEntry {
  summary: string;
  example: string;
  /** The citty command (its args type differs per command, hence unknown here). */
  load: () => Promise<unknown>;
}

export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const GLOBAL = 'Global options: --wide (tables take the width they need), --version, -h/--help.';

/** Two columns: a term and its description, wrapped to the width. */
function definitions(items: [string, string][], width: number): string[] {
  const termWidth = Math.min(30, Math.max(...items.map(([t]) => visibleWidth(t))));
  const descWidth = Math.max(30, width - termWidth - 4);
  const lines: string[] = [];
  for (const [term, desc] of items) {
    const wrapped = wrapWords(desc, descWidth);
    if (visibleWidth(term) > termWidth) {
      lines.push(`  ${term}`);
      for (const l of wrapped) lines.push(`${' '.repeat(termWidth + 4)}${l}`);
    } else {
      const [first = '', ...rest] = wrapped;
      lines.push(`  ${term}${' '.repeat(termWidth - visibleWidth(term) + 2)}${first}`.trimEnd());
      for (const l of rest) lines.push(`${' '.repeat(termWidth + 4)}${l}`);
    }
  }
  return lines;
}

export function mainHelp(version: string, commands: Readonly<Record<string, CommandEntry>>): string {
  const width = Math.min(outputWidth(), 100);
  return [
    `${color.bold('genready')} ${version} — can this machine establish this image-generation production?`,
    '',
    'Usage: npx genready [COMMAND] [OPTIONS]   (no command runs check)',
    '',
    'Commands:',
    ...definitions(
      [
        ...Object.entries(commands).map(([name, c]) => [name, c.summary] as [string, string]),
        ['help', 'help for one command, e.g. npx genready help plan'],
      ],
      width,
    ),
    '',
    ...wrapWords(GLOBAL, width),
    '',
    'Examples:',
    '  npx genready check',
    '  npx genready help estimate',
  ].join('\n');
}

function flagTerm(name: string, def: ArgsDef[string]): string {
  const alias = 'alias' in def && def.alias ? [def.alias].flat().map((a) => (a.length === 1 ? `-${a}` : `--${a}`)) : [];
  const hint =
    def.type === 'enum' && 'options' in def && def.options
      ? ` ${def.options.join('|')}`
      : def.type === 'string'
        ? ` ${('valueHint' in def && def.valueHint) || kebab(name).toUpperCase().replace(/-/g, '_')}`
        : '';
  const flag = `--${kebab(name)}${hint}`;
  const negated = def.type === 'boolean' && def.default === true ? `, --no-${kebab(name)}` : '';
  return [...alias, flag].join(', ') + negated;
}

export async function commandHelp(name: string, entry: CommandEntry): Promise<string> {
  const width = Math.min(outputWidth(), 100);
  const cmd = (await entry.load()) as CommandDef | undefined;
  const meta = (typeof cmd?.meta === 'function' ? await cmd.meta() : await cmd?.meta) ?? {};
  const args = ((typeof cmd?.args === 'function' ? await cmd.args() : await cmd?.args) ?? {}) as ArgsDef;
  const positionals = Object.entries(args).filter(([, d]) => d.type === 'positional');
  const options = Object.entries(args).filter(([, d]) => d.type !== 'positional');
  const usage = [
    `npx genready ${name}`,
    ...positionals.map(([n, d]) => ('required' in d && d.required ? n.toUpperCase() : `[${n.toUpperCase()}]`)),
    options.length ? '[OPTIONS]' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return [
    ...wrapWords(`${color.bold(`genready ${name}`)} — ${meta.description ?? entry.summary}`, width),
    '',
    `Usage: ${usage}`,
    ...(positionals.length
      ? [
          '',
          'Arguments:',
          ...definitions(
            positionals.map(([n, d]) => [n.toUpperCase(), d.description ?? '']),
            width,
          ),
        ]
      : []),
    '',
    'Options:',
    ...definitions(
      [
        ...options.map(([n, d]) => {
          const req = 'required' in d && d.required ? ' (required)' : '';
          return [flagTerm(n, d), `${d.description ?? ''}${req}`] as [string, string];
        }),
        ['-h, --help', 'this help'],
      ],
      width,
    ),
    '',
    ...wrapWords(GLOBAL, width),
    '',
    'Example:',
    `  ${entry.example}`,
  ].join('\n');
}
