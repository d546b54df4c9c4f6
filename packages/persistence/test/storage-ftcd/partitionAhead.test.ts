import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import type { BlockProbeDetail } from '../../src/shared/storage/StorageProbe';
import { ltcCandlesFrom, ltcDayFile, useTempDirs } from './helpers';

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2025, 5, 1);

const candlesFrom = (start: number, count: number, seed = 5) => ltcCandlesFrom(start, count, seed, 6);
const dayFile = ltcDayFile;

describe('.ftcd partitions created ahead (createPartitionsAhead)', () => {
  const tempDir = useTempDirs();

  it('writing the newest partition creates the next one (header only); its first candles then only append', async () => {
    const baseDir = await tempDir();
    const creations: string[] = [];
    const store = await BinaryStorageAdapter.open({
      baseDir,
      probe: (point, detail) => {
        const block = detail as BlockProbeDetail;
        if (point === 'block:before-write' && block.creating) creations.push(block.path);
      },
    });
    const today = candlesFrom(FIRST_DAY + 22 * 3_600_000, 120); // 22:00 to 23:59
    await store.saveMany(today);
    expect(creations).toEqual([dayFile(baseDir, '2025-06-01')]);
    await store.flush();

    // The next day's file appears without any save for it, and is a valid, empty partition.
    await expect.poll(() => existsSync(dayFile(baseDir, '2025-06-02'))).toBe(true);
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(await reader.listSeries()).toMatchObject([{ count: 120, lastOpenTime: today.at(-1)!.t }]);
      const tomorrow = candlesFrom(FIRST_DAY + DAY, 30, 6);
      await store.saveMany(tomorrow);
      // Midnight needed no file creation on the write path: the block was appended to the file made ahead.
      expect(creations).toEqual([dayFile(baseDir, '2025-06-01')]);
      const report = await inspectFtcdFile(dayFile(baseDir, '2025-06-02'));
      expect(report).toMatchObject({ healthy: true, candles: 30 });
      expect(report.blocks.map((block) => block.sequence)).toEqual([0]);
      // A reader opened while the file was still empty sees the new blocks.
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m', { startTime: FIRST_DAY + DAY })).toEqual(
        tomorrow,
      );
    } finally {
      await reader.close();
      await store.close();
    }
    // Writing 2025-06-02 created 2025-06-03 ahead; close() waited for it.
    const ahead = await inspectFtcdFile(dayFile(baseDir, '2025-06-03'));
    expect(ahead).toMatchObject({ healthy: true, candles: 0, blocks: [] });
    expect(ahead.header).toMatchObject({ symbol: 'LTCUSDT', timeframe: '1m', partition: '2025-06-03' });
    expect(await verifyStore(baseDir)).toMatchObject({ healthy: true, candles: 150 });

    const reopened = await BinaryStorageAdapter.open({ baseDir });
    try {
      expect(reopened.health()).toMatchObject({ status: 'ok', problems: [], repairs: [] });
      expect(await reopened.listSeries()).toMatchObject([{ count: 150 }]);
      const later = candlesFrom(FIRST_DAY + 2 * DAY, 10, 7);
      await reopened.saveMany(later);
      expect(
        await reopened.findBySymbol('LTCUSDT', 'binance', '1m', { startTime: FIRST_DAY + 2 * DAY }),
      ).toEqual(later);
    } finally {
      await reopened.close();
    }
  });

  it('rewriting an older partition creates nothing ahead of it, and the option turns it off', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir });
    await store.saveMany(candlesFrom(FIRST_DAY + 5 * DAY, 10));
    await store.saveMany(candlesFrom(FIRST_DAY, 10, 8)); // five days earlier
    await store.close();
    expect(existsSync(dayFile(baseDir, '2025-06-07'))).toBe(true);
    expect(existsSync(dayFile(baseDir, '2025-06-02'))).toBe(false);

    const off = await tempDir();
    const quiet = await BinaryStorageAdapter.open({ baseDir: off, createPartitionsAhead: false });
    await quiet.saveMany(candlesFrom(FIRST_DAY, 10));
    await quiet.close();
    expect(existsSync(dayFile(off, '2025-06-02'))).toBe(false);
  });
});
