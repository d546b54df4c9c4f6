/**
 * The daemon with a slow start-up, for signal tests: `runDaemon` (like
 * src/daemon.ts) with a probe that, once the store is open, writes the marker
 * file `SLOW_START_MARKER` and then holds the event loop for
 * `SLOW_START_HOLD_MS` (a large store being opened, as far as signals are
 * concerned: they arrive while start() is still under way and are handled
 * once it yields).
 */
import { writeFileSync } from 'node:fs';
import { runDaemon } from '../src/main';

const marker = process.env.SLOW_START_MARKER ?? '';
const holdMs = Number(process.env.SLOW_START_HOLD_MS ?? '1000');

const code = await runDaemon(
  {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  {
    probe: (point) => {
      if (point !== 'startup:storage-opened') return;
      writeFileSync(marker, 'storage opened\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
    },
  },
);
process.exit(code);
