#!/usr/bin/env node
/**
 * flowtrace-persistence: the FlowTrace candle persistence daemon. This file owns
 * the process: it runs the daemon and exits with its code.
 */
import { runDaemon } from './main';

process.on('uncaughtException', (error) => {
  process.stderr.write(`flowtrace-persistence: uncaught exception: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `flowtrace-persistence: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`,
  );
  process.exit(1);
});

const code = await runDaemon({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Exit explicitly: a stuck handle must not keep a stopped daemon alive under systemd.
process.exit(code);
