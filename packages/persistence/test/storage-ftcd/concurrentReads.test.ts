import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const candles = generateFootprintCandles({
  seed: 41,
  count: 600,
  bins: 12,
  symbol: 'LTCUSDT',
  emptyRatio: 0,
});

describe('.ftcd reads running at the same time as other reads and writes', () => {
  const tempDir = useTempDirs();

  it('a read-only store answers concurrent queries over freshly appended blocks without quarantining', async () => {
    const baseDir = await tempDir();
    const writer = await BinaryStorageAdapter.open({ baseDir });
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      await writer.saveMany(candles.slice(0, 100));
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toHaveLength(100);
      for (let round = 1; round < 6; round += 1) {
        // Several small appends, then many queries at once: each must pick the new blocks up once.
        for (let k = 0; k < 4; k += 1) {
          const from = 100 * round + k * 25;
          await writer.saveMany(candles.slice(from, from + 25));
        }
        const answers = await Promise.all(
          Array.from({ length: 6 }, () => reader.findBySymbol('LTCUSDT', 'binance', '1m')),
        );
        for (const answer of answers) expectSameCandles(answer, candles.slice(0, 100 * (round + 1)));
        expect(reader.health()).toMatchObject({ status: 'ok', problems: [] });
      }
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a range read overlapping a commit that re-saves its keys answers from one consistent version', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir, blockCacheBytes: 0 });
    try {
      await store.saveMany(candles);
      const replaced = candles.map((candle) => ({ ...candle, n: candle.n + 1 }));
      for (let round = 0; round < 5; round += 1) {
        // The read decodes blocks from disk (no cache) while the overwrite commits.
        const reading = store.findBySymbol('LTCUSDT', 'binance', '1m');
        const writing = store.saveMany(round % 2 === 0 ? replaced : candles);
        const [found] = await Promise.all([reading, writing]);
        expect(found).toHaveLength(candles.length);
        expect(found.map((candle) => candle.t)).toEqual(candles.map((candle) => candle.t));
      }
      // The last round (4) wrote the replaced versions.
      expectSameCandles(await store.findBySymbol('LTCUSDT', 'binance', '1m'), replaced);
    } finally {
      await store.close();
    }
  });

  it('a read-only query looks again only at the files it reads, each when it reaches it', async () => {
    const baseDir = await tempDir();
    const DAY = 86_400_000;
    const start = Date.UTC(2025, 2, 1);
    const day = (n: number, count: number, seed: number) =>
      generateFootprintCandles({
        seed,
        count,
        bins: 4,
        symbol: 'LTCUSDT',
        emptyRatio: 0,
        startTime: start + n * DAY,
      });
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    /** Bytes of a partition the reader has looked at (white box: what it has not read must stay untouched). */
    const readerEnd = (partition: string): number => {
      const series = Reflect.get(reader, 'series') as Map<
        string,
        { partitions: Map<string, { end: number }> }
      >;
      return [...series.values()][0]!.partitions.get(partition)!.end;
    };
    try {
      await writer.saveMany([...day(0, 10, 1), ...day(1, 10, 2), ...day(2, 10, 3)]);
      expect(await reader.listSeries()).toMatchObject([{ count: 30 }]);
      const firstDayEnd = readerEnd('2025-03-01');

      // The writer appends to the first and the last day.
      const lateFirst = day(0, 20, 4).slice(10);
      const lateLast = day(2, 20, 5).slice(10);
      await writer.saveMany([...lateFirst, ...lateLast]);
      const lastDay = await reader.findBySymbol('LTCUSDT', 'binance', '1m', {
        startTime: start + 2 * DAY,
        endTime: start + 3 * DAY - 1,
      });
      expect(lastDay.map((candle) => candle.t)).toEqual([...day(2, 10, 3), ...lateLast].map((c) => c.t));
      // The first day's file was not looked at by that query.
      expect(readerEnd('2025-03-01')).toBe(firstDayEnd);
      const firstDay = await reader.findBySymbol('LTCUSDT', 'binance', '1m', { endTime: start + DAY - 1 });
      expect(firstDay).toHaveLength(20);
      expectSameCandles(firstDay.slice(10), lateFirst);
      expect(readerEnd('2025-03-01')).toBeGreaterThan(firstDayEnd);

      // A new partition file is found by the next query, and the latest candles are its.
      const fourth = day(3, 5, 6);
      await writer.saveMany(fourth);
      expectSameCandles(await reader.findLatest('LTCUSDT', 'binance', '1m', 5), fourth);
      expect(await reader.listSeries()).toMatchObject([{ count: 55 }]);
      expect(reader.health()).toMatchObject({ status: 'ok', problems: [] });
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
