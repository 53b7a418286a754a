/**
 * The `sepconv` command line: finds the subcommand in the table (commands/index.ts), parses its arguments and runs
 * it. Exit codes: 0 success, 1 runtime error (a SepconvError such as a ShapeError from the model, or a file that
 * cannot be written), 2 usage error. Expected errors print one line to stderr, without a stack trace; anything
 * else is a bug and prints its stack.
 */
import { readFileSync } from 'node:fs';
import { initBackend } from '../backend/select.js';
import { SepconvError } from '../errors.js';
import { UsageError, helpList, parseCommandArgs, type CliIO, type Command } from './command.js';
import { commands } from './commands/index.js';
import { shouldColor } from './table.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  return [
    'sepconv: depthwise-separable convolutional networks: layers, models, training, cost analysis.',
    '',
    'Usage: sepconv <command> [options]',
    '',
    'Commands:',
    helpList(commands.map((c) => [c.name, c.summary])),
    '',
    'Options:',
    helpList([['-h, --help', 'show this help'], ['-V, --version', 'print the version']]),
    '',
    "Run 'sepconv <command> --help' for a command's arguments and options.",
    '',
  ].join('\n');
}

/** Levenshtein distance, to suggest the command meant by a typo. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

function unknownCommand(name: string): string {
  const close = commands.filter((c) => distance(c.name, name) <= 2).map((c) => `'${c.name}'`);
  return `sepconv: unknown command '${name}'${close.length > 0 ? `; did you mean ${close.join(' or ')}?` : ''} ` +
    `Commands: ${commands.map((c) => c.name).join(', ')} (see 'sepconv --help')\n`;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

async function runCommand(c: Command, argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const ctx = parseCommandArgs(c, argv, io, shouldColor(io.stdout, io.env));
    if (ctx !== null) {
      await initBackend(io.env.SEPCONV_BACKEND || undefined);
      await c.run(ctx);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`sepconv ${c.name}: ${oneLine(err.message)} (see 'sepconv ${c.name} --help')\n`);
      return 2;
    }
    if (err instanceof SepconvError) {
      io.stderr.write(`sepconv ${c.name}: ${err.name}: ${oneLine(err.message)}\n`);
      return 1;
    }
    io.stderr.write(`sepconv ${c.name}: internal error (please report it): ${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  }
}

/** The process's streams; a closed pipe (`sepconv cost ... | head`) ends the program quietly. */
function processIO(): CliIO {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Runs `sepconv <argv...>` and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(mainHelp());
    return 2;
  }
  if (name === '--help' || name === '-h') {
    io.stdout.write(mainHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`sepconv ${version()}\n`);
    return 0;
  }
  if (name === 'help') return main(rest.length > 0 ? [rest[0], '--help'] : ['--help'], io);
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(name.startsWith('-')
      ? `sepconv: unknown option '${name}'; options go after the command (see 'sepconv --help')\n`
      : unknownCommand(name));
    return 2;
  }
  return runCommand(command, rest, io);
}
