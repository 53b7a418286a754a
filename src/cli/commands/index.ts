/**
 * The command table. To add a command, write commands/<name>.ts exporting a `Command` and add it here; `sepconv
 * --help` lists commands in this order.
 */
import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { compareCommand } from './compare.js';
import { costCommand } from './cost.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { inspectCommand } from './inspect.js';
import { predictCommand } from './predict.js';
import { runModelCommand } from './run.js';
import { serveCommand } from './serve.js';
import { trainCommand } from './train.js';

export const commands: readonly Command[] = [
  demoCommand,
  costCommand,
  compareCommand,
  trainCommand,
  evalCommand,
  predictCommand,
  inspectCommand,
  runModelCommand,
  exportCommand,
  benchCommand,
  serveCommand,
];
