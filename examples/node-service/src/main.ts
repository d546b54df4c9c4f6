/**
 * A Node service that embeds the FlowTrace persistence service. The service is a
 * library: it never exits the process or installs signal handlers, so this
 * program (which owns the process) does both.
 *
 *   FLOWTRACE_HOME=/var/lib/my-service pnpm --filter @flowtrace/example-node-service start
 */
import { join } from 'node:path';
import { startEmbeddedPersistence } from './embeddedPersistence';

const home = process.env.FLOWTRACE_HOME ?? join(process.cwd(), 'data');
const persistence = await startEmbeddedPersistence(home);
console.log(
  `persistence service ready: socket ${persistence.socketPath}, health port ${persistence.healthPort}`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(130); // second signal: give up waiting
    stopping = true;
    await persistence.stop();
    console.log('persistence service stopped; every acknowledged candle is on disk');
    process.exit(0);
  });
}
