#!/usr/bin/env node
/** flowtrace: look inside FlowTrace candle stores. Owns the process: exits with the command's code. */
import { runCli } from './cli/runCli';
import { StdoutOutput } from './cli/stdoutOutput';

const stdout = new StdoutOutput(process.stdout);
// stderr gone too (`2>&1 | head`): nobody is left to tell, and its unhandled 'error' would be a crash.
process.stderr.on('error', () => undefined);
const code = await runCli(process.argv.slice(2), stdout, (text) => void process.stderr.write(text));
await stdout.flushed();
const lost = stdout.lostOutput;
if (lost) process.stderr.write(`flowtrace: cannot write to stdout: ${lost.message}\n`);
// Not process.exit(): stderr may still hold what a slow reader has not taken yet.
process.exitCode = lost && code === 0 ? 1 : code;
