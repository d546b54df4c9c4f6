import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { HybridPublisher } from '@flowtrace/ipc';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { DaemonProcess, daemonPaths, sleep } from '../../scripts/lib/daemon';
import { daemonEntryArgs } from '../../scripts/lib/repo';

/**
 * Disk full, for real: the candle store lives on a 1 MiB tmpfs that fills up
 * while producers publish. Needs root (mount); skips with a message otherwise.
 */
const root = mkdtempSync(join(tmpdir(), 'flowtrace-disk-full-'));
const storeDir = join(root, 'store');
mkdirSync(storeDir);
const canMount =
  process.getuid?.() === 0 &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', storeDir]).status === 0;
if (!canMount) console.warn('disk-full test skipped: mounting a tmpfs needs root and the mount command');

afterAll(() => {
  if (canMount) spawnSync('umount', [storeDir]);
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!canMount)(`disk full on the store's filesystem (${daemonEntryArgs('daemon').label})`, () => {
  it('acknowledges nothing it could not store, turns unhealthy, spills to the queue, and recovers with nothing lost', async () => {
    const paths = daemonPaths(join(root, 'data'));
    const daemon = new DaemonProcess(paths, ['--storage-base-dir', storeDir, '--poll-interval', '100']);
    await daemon.waitReady();
    const health = async () => (await fetch(`http://127.0.0.1:${daemon.healthPort}/health`)).status;
    expect(await health()).toBe(200);

    const publisher = new HybridPublisher({ socketPath: paths.socketPath, queuePath: paths.queuePath });
    expect(await publisher.waitForConnection(5_000)).toBe(true);
    // ~240 B per 50-bin candle on disk: 20,000 candles need several times the 1 MiB available.
    const candles: FootprintCandleDTO[] = generateFootprintCandles({
      seed: 99,
      count: 20_000,
      bins: 50,
      symbol: 'LTCUSDT',
    });
    const via = { socket: 0, queue: 0 };
    let sawUnhealthy = false;
    for (let i = 0; i < candles.length; i += 200) {
      const results = await Promise.all(
        candles.slice(i, i + 200).map((payload) => publisher.publish({ type: 'candle:complete', payload })),
      );
      for (const r of results) via[r.via]++;
      if (via.queue > 0 && !sawUnhealthy) sawUnhealthy = (await health()) === 503;
    }
    expect(via.queue, 'the store never filled up: the test proves nothing').toBeGreaterThan(0);
    expect(sawUnhealthy).toBe(true);

    // Space comes back: the daemon recovers by itself and drains what was queued.
    expect(spawnSync('mount', ['-o', 'remount,size=64m', storeDir]).status).toBe(0);
    const queue = new SQLiteQueue({ dbPath: paths.queuePath });
    try {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const stats = queue.stats();
        if (stats.pending === 0 && stats.inFlight === 0 && (await health()) === 200) break;
        await sleep(200);
      }
      expect(queue.stats()).toMatchObject({ pending: 0, inFlight: 0, dead: 0 });
    } finally {
      queue.close();
    }
    expect(await health()).toBe(200);
    await publisher.close();
    expect((await daemon.stop()).code, daemon.output()).toBe(0);

    const store = await openCandleStore({ baseDir: storeDir, readOnly: true });
    try {
      const stored = await store.findBySymbol('LTCUSDT', 'binance', '1m');
      expect(stored.length).toBe(candles.length);
      expect(stored).toEqual(candles);
    } finally {
      await store.close();
    }
    console.log(
      `disk full: ${via.socket} acknowledged over the socket, ${via.queue} spilled to the queue, 0 lost`,
    );
  }, 240_000);
});
