import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { StorageWriteError } from '../../src/shared/storage/errors/StorageErrors';
import { useTempDirs } from './helpers';

const candles = generateFootprintCandles({ seed: 21, count: 4, bins: 20, symbol: 'LTCUSDT', emptyRatio: 0 });

/**
 * A failure between the block write and its fsync (the probe throws at
 * 'block:written': the bytes are in the file, the fsync never ran) is what a
 * failed fdatasync leaves behind. Those bytes read back intact, yet they are
 * not durable: a retry must be written and fsync'd again, never answered as
 * "unchanged" from them.
 */
describe('.ftcd retry after a failed fsync', () => {
  const tempDir = useTempDirs();

  it('cuts the undurable block, writes the retry again and reports the repair', async () => {
    const baseDir = await tempDir();
    let failNextSync = false;
    const store = await BinaryStorageAdapter.open({
      baseDir,
      probe: (point) => {
        if (failNextSync && point === 'block:written') {
          failNextSync = false;
          throw new Error('simulated fdatasync failure');
        }
      },
    });
    try {
      await store.saveMany(candles.slice(0, 2));
      const files = await store.listSeries();
      expect(files).toHaveLength(1);
      failNextSync = true;
      await expect(store.save(candles[2]!)).rejects.toBeInstanceOf(StorageWriteError);
      // Still failing for another candle of the same file: the first failure's bytes must not be adopted.
      failNextSync = true;
      await expect(store.save(candles[3]!)).rejects.toBeInstanceOf(StorageWriteError);

      const retried = await store.save(candles[2]!);
      expect(retried).toEqual({ written: 1, unchanged: 0 });
      expect(await store.save(candles[2]!)).toEqual({ written: 0, unchanged: 1 });
      const repairs = store.health().repairs;
      expect(repairs.map((repair) => repair.kind)).toEqual([
        'undurable-tail-discarded',
        'undurable-tail-discarded',
      ]);
      expect(repairs.every((repair) => repair.bytes > 0)).toBe(true);
    } finally {
      await store.close();
    }

    const reopened = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      const stored = await reopened.findBySymbol('LTCUSDT', 'binance', '1m');
      expect(stored).toEqual(candles.slice(0, 3));
      expect(reopened.health().problems).toEqual([]);
    } finally {
      await reopened.close();
    }
    const day = join(baseDir, 'binance', 'LTCUSDT', '1m');
    expect((await stat(day)).isDirectory()).toBe(true);
  });
});
