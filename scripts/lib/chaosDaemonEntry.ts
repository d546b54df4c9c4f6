/**
 * The daemon as the chaos harness runs it: `runDaemon` (apps/daemon) with a
 * probe that SIGKILLs this very process at the Nth hit of one named point.
 * The production entry (apps/daemon/src/daemon.ts) has no such switch; this
 * program owns its process the same way.
 *
 *   node --conditions=flowtrace-source --import tsx chaosDaemonEntry.ts \
 *     --chaos-kill-at <point> --chaos-kill-hit <N> --chaos-marker <file> [daemon options…]
 *
 * Before dying it writes `<point> <N>` to the marker file (synchronously), so the
 * harness can tell its own kill from any other death. At `block:before-write` it
 * first writes a prefix of the append's bytes itself (no fsync), leaving the torn
 * block a crash inside pwritev leaves.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PersistenceProbe, PersistenceProbeDetail } from '@flowtrace/persistence';
import { runDaemon } from '../../apps/daemon/src/main';
import { type ChaosKillArgs, parseChaosKillArgs } from './chaosKillArgs';

const { kill, rest } = parseChaosKillArgs(process.argv.slice(2));

process.on('uncaughtException', (error) => {
  process.stderr.write(`chaos daemon: uncaught exception: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`chaos daemon: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
  process.exit(1);
});

const code = await runDaemon(
  {
    argv: rest,
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  { probe: kill ? killingProbe(kill) : undefined },
);
process.exit(code);

function killingProbe(args: ChaosKillArgs): PersistenceProbe {
  let hits = 0;
  return (point, detail) => {
    if (point !== args.point) return;
    hits += 1;
    if (hits < args.hit) return;
    if (point === 'block:before-write') writeTornPrefix(detail);
    writeFileSync(args.marker, `${point} ${hits}\n`);
    process.kill(process.pid, 'SIGKILL');
    // SIGKILL to oneself is delivered before the call returns to JavaScript; never continue regardless.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
}

/** Writes between 1 byte and all but 1 byte of the append, where the store would have. */
function writeTornPrefix(detail: PersistenceProbeDetail): void {
  if (!('chunks' in detail)) throw new Error('block:before-write without chunks');
  const bytes = Buffer.concat(detail.chunks);
  if (bytes.length < 2) return;
  const length = 1 + Math.floor(Math.random() * (bytes.length - 1));
  // A new file is written as {path}.tmp (in a directory maybe not created yet) and renamed once synced.
  if (detail.creating) mkdirSync(dirname(detail.path), { recursive: true });
  const fd = openSync(detail.creating ? `${detail.path}.tmp` : detail.path, detail.creating ? 'w' : 'r+');
  try {
    writeSync(fd, bytes, 0, length, detail.position);
  } finally {
    closeSync(fd);
  }
}
