#!/usr/bin/env node
/** flowtrace: look inside FlowTrace candle stores. Owns the process: exits with the command's code. */
import { runCli } from './cli/runCli';

const code = await runCli(
  process.argv.slice(2),
  { isTTY: process.stdout.isTTY === true, write: (text) => void process.stdout.write(text) },
  (text) => void process.stderr.write(text),
);
// Let stdout drain (it may be a pipe) before exiting with the command's code.
process.exitCode = code;
