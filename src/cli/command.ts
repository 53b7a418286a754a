/**
 * What a CLI subcommand is: a name, help text, declared positionals and options (parsed by node's util.parseArgs)
 * and a `run` function. Commands live one per file in commands/ and are listed in commands/index.ts.
 */
import { parseArgs } from 'node:util';
import { SepconvError } from '../errors.js';

/** Bad command-line usage (unknown option, malformed value, missing argument): exit code 2. */
export class UsageError extends SepconvError {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One-letter alias, e.g. 'o' for -o. */
  short?: string;
  /** One line for the help text. */
  description: string;
  /** Placeholder for the value in the help text, e.g. 'HxWxC' (string options). */
  valueName?: string;
  /** Shown in the help as "(default ...)"; applied by the command, so that it can tell "not given" apart. */
  defaultText?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
}

/** Where a command writes; the process streams in real use, buffers in tests. */
export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface CommandContext {
  /** Declared positionals, in order (absent optional ones are undefined). */
  positionals: (string | undefined)[];
  io: CliIO;
  /** A string option's value, if given. */
  string(name: string): string | undefined;
  /** Whether a boolean option was given. */
  flag(name: string): boolean;
  /** Whether stdout should get colour (a terminal, and NO_COLOR unset). */
  color: boolean;
}

export interface Command {
  name: string;
  /** One line for `sepconv --help`. */
  summary: string;
  /** Paragraph(s) for `sepconv <name> --help`. */
  description: string;
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Example invocations (without the leading 'sepconv '). */
  examples: readonly string[];
  run(ctx: CommandContext): void | Promise<void>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines.map((l) => (l === '' ? '' : indent + l)).join('\n');
}

/** Two-column "  name   description" lines, descriptions wrapped and aligned. */
export function helpList(rows: readonly [string, string][]): string {
  const width = Math.min(28, Math.max(...rows.map(([n]) => n.length)) + 2);
  return rows.map(([name, desc]) => {
    const body = wrap(desc, 78 - width - 2, ' '.repeat(width + 2)).trimStart();
    return name.length + 2 > width ? `  ${name}\n${' '.repeat(width + 2)}${body}` : `  ${name.padEnd(width)}${body}`;
  }).join('\n');
}

/** The text of `sepconv <name> --help`. */
export function commandHelp(c: Command): string {
  const synopsis = [...c.positionals.map((p) => (p.required === true ? `<${p.name}>` : `[${p.name}]`)), '[options]'].join(' ');
  const options = Object.entries({ ...c.options, help: HELP_OPTION }).map(([name, o]): [string, string] => [
    `${o.short !== undefined ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`,
    `${o.description}${o.defaultText !== undefined ? ` (default ${o.defaultText})` : ''}`,
  ]);
  const parts = [`Usage: sepconv ${c.name} ${synopsis}`, '', wrap(c.description, 78, '')];
  if (c.positionals.length > 0) parts.push('', 'Arguments:', helpList(c.positionals.map((p) => [`<${p.name}>`, p.description])));
  parts.push('', 'Options:', helpList(options));
  if (c.examples.length > 0) parts.push('', 'Examples:', ...c.examples.map((e) => `  sepconv ${e}`));
  return parts.join('\n') + '\n';
}

/** node's parseArgs message; for unknown options only its first sentence (the rest is about '--' and positionals). */
function parseArgsMessage(err: Error & { code?: unknown }): string {
  return err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? err.message.split(/\.\s/)[0] : err.message.replace(/\.$/, '');
}

/**
 * Parses argv for `c`. Returns null when --help was asked (after printing it). Throws UsageError for unknown
 * options, missing values and wrong positional counts.
 */
export function parseCommandArgs(c: Command, argv: readonly string[], io: CliIO, color: boolean): CommandContext | null {
  const options = Object.fromEntries(Object.entries({ ...c.options, help: HELP_OPTION })
    .map(([name, o]) => [name, o.short === undefined ? { type: o.type } : { type: o.type, short: o.short }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    if (err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(parseArgsMessage(err));
    throw err;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) {
    io.stdout.write(commandHelp(c));
    return null;
  }
  const given = parsed.positionals;
  if (given.length > c.positionals.length)
    throw new UsageError(`unexpected argument '${given[c.positionals.length]}'` +
      (c.positionals.length === 0 ? '; this command takes only options' : `; it takes ${c.positionals.map((p) => `<${p.name}>`).join(' ')}`));
  const missing = c.positionals.find((p, i) => p.required === true && given[i] === undefined);
  if (missing !== undefined) throw new UsageError(`missing <${missing.name}>: ${missing.description}`);
  return {
    positionals: c.positionals.map((_, i) => given[i]),
    io,
    color,
    string: (name) => {
      const v = values[name];
      return typeof v === 'string' ? v : undefined;
    },
    flag: (name) => values[name] === true,
  };
}
