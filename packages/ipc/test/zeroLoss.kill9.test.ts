import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLiteQueue } from '../src/features/sqlite-queue/index';
import { spawnFixture, waitForExit, waitForLine } from './helpers/child';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
const children: Array<ReturnType<typeof spawnFixture>> = [];

beforeEach(() => {
  tmp = makeTempDir('ftzl-');
});
afterEach(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  tmp.cleanup();
});

describe('zero loss across a daemon killed with SIGKILL', () => {
  it('every published message is acknowledged-and-stored or in the queue; none lost', async () => {
    const socketPath = join(tmp.dir, 'daemon.sock');
    const queuePath = join(tmp.dir, 'fallback.db');
    const idsFile = join(tmp.dir, 'stored-ids.txt');
    const resultFile = join(tmp.dir, 'publisher.json');

    const server1 = spawnFixture('durableAckServer.ts', [socketPath, idsFile]);
    children.push(server1);
    await waitForLine(server1, (l) => l === 'READY');

    const publisher = spawnFixture('publisherLoop.ts', [socketPath, queuePath, resultFile, '300', '200000']);
    children.push(publisher);
    const done = waitForLine(publisher, (l) => l.startsWith('DONE'), 60_000);
    await waitForLine(publisher, (l) => l.startsWith('ACKED'));

    server1.kill('SIGKILL');
    expect((await waitForExit(server1)).signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));

    // The restarted daemon replaces the stale socket file left by the killed one.
    const server2 = spawnFixture('durableAckServer.ts', [socketPath, idsFile]);
    children.push(server2);
    await waitForLine(server2, (l) => l === 'READY');

    await done;
    expect((await waitForExit(publisher)).code).toBe(0);
    server2.kill('SIGKILL');

    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as {
      published: number;
      via: Record<string, 'socket' | 'queue'>;
      failures: string[];
    };
    expect(existsSync(idsFile)).toBe(true);
    const stored = new Set(readFileSync(idsFile, 'utf8').split('\n').filter(Boolean));
    const queue = new SQLiteQueue({ dbPath: queuePath });
    const queued = new Set(queue.dequeue(1_000_000).map((m) => m.id));
    queue.close();

    const published = Array.from({ length: result.published }, (_, n) => `pub-${n}`);
    const lost = published.filter((id) => !stored.has(id) && !queued.has(id));
    const ackedNotStored = published.filter((id) => result.via[id] === 'socket' && !stored.has(id));
    const queuedNotInQueue = published.filter((id) => result.via[id] === 'queue' && !queued.has(id));
    const viaQueue = published.filter((id) => result.via[id] === 'queue').length;
    const viaSocket = published.filter((id) => result.via[id] === 'socket').length;
    console.info(
      `zero-loss: published ${published.length}, acked ${viaSocket}, queued ${viaQueue}, stored by daemons ${stored.size}, duplicates ${[...queued].filter((id) => stored.has(id)).length}`,
    );

    expect(result.failures).toEqual([]);
    expect(lost).toEqual([]);
    expect(ackedNotStored).toEqual([]);
    expect(queuedNotInQueue).toEqual([]);
    expect(viaQueue).toBeGreaterThan(0); // the kill really happened mid-stream
    expect(viaSocket).toBeGreaterThan(200 + 300 - 1); // and the publisher resumed on the new daemon
  }, 90_000);
});
