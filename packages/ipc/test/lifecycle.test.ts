import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, IpcErrorCode, SQLiteQueue, SQLiteQueuePoller } from '../src/index';
import { spawnFixture, waitForExit, waitForLine } from './helpers/child';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('ftlife-');
});
afterEach(() => tmp.cleanup());

describe('lifecycle and documentation', () => {
  it('a process using server, client, publisher, queue and poller exits by itself after closing them', async () => {
    const child = spawnFixture('exitsByItself.ts', [tmp.dir]);
    await waitForLine(child, (l) => l === 'CLOSED');
    const exit = await Promise.race([
      waitForExit(child),
      new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 5_000)),
    ]);
    if (exit === 'stuck') child.kill('SIGKILL');
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('a producer process and a consumer process share one queue file without losing a message', async () => {
    const dbPath = join(tmp.dir, 'shared.db');
    const consumerQueue = new SQLiteQueue({ dbPath });
    const seen = new Set<string>();
    const errors: unknown[] = [];
    const poller = new SQLiteQueuePoller({
      queue: consumerQueue,
      pollInterval: 5,
      batchSize: 100,
      onBatch: async (messages) => {
        for (const m of messages) seen.add(m.id);
      },
      onError: (e) => errors.push(e),
    });
    await poller.start();
    const count = 1_500;
    const producer = spawnFixture('producerLoop.ts', [dbPath, String(count)]);
    await waitForLine(producer, (l) => l === 'PRODUCED', 30_000);
    expect((await waitForExit(producer)).code).toBe(0);
    await expect.poll(() => seen.size, { timeout: 10_000 }).toBe(count);
    await poller.stop();
    expect(errors).toEqual([]);
    expect(consumerQueue.stats()).toMatchObject({ pending: 0, inFlight: 0, processed: count });
    consumerQueue.close();
  });

  it('docs/ipc-protocol.md shows the real wire bytes and documents every error code', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'ipc-protocol.md'), 'utf8');
    const frame = encodeFrame({ id: '1', type: 't', payload: null, timestamp: 1 });
    const header = [...frame.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(doc).toContain(`\`${header}\` followed by those ${frame.length - 4} bytes`);
    for (const code of Object.values(IpcErrorCode)) expect(doc).toContain(code);
    for (const code of [
      'FLOWTRACE_QUEUE_MESSAGE_INVALID',
      'FLOWTRACE_QUEUE_CLOSED',
      'FLOWTRACE_PUBLISH_REJECTED',
      'FLOWTRACE_PUBLISHER_CLOSED',
      'FLOWTRACE_INVALID_OPTIONS',
      'FLOWTRACE_DUPLICATE_REQUEST_ID',
    ]) {
      expect(doc).toContain(code);
    }
  });
});
