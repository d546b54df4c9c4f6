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
});
