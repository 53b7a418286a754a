/** Runs the built CLI (bin/sepconv.js) as a child process, as a user would, or one Command in this process. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs, type Command } from '../../src/cli/command.js';

export const BIN = fileURLToPath(new URL('../../../bin/sepconv.js', import.meta.url));

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function sepconv(...args: string[]): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The stderr of a failed run is one line and carries no stack trace. */
export function oneLineError(r: RunResult): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || /\n\s+at /.test(r.stderr)) throw new Error(`expected a one-line error, got:\n${r.stderr}`);
  return lines[0];
}

/** Runs `command` in this process with `argv`, as the CLI would; returns what it wrote to stdout (stderr is dropped). */
export async function runCommand(command: Command, ...argv: string[]): Promise<string> {
  let out = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} };
  const ctx = parseCommandArgs(command, argv, io, false);
  if (ctx !== null) await command.run(ctx);
  return out;
}
