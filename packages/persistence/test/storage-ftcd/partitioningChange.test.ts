import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { ltcCandlesFrom, useTempDirs } from './helpers';

/**
 * Partition files are found by name, in the granularity `partitioning` gives
 * the timeframe. A store written with one granularity and opened with
 * another leaves its files alone, says exactly why they are not read, and
 * reads them again once the setting is back.
 */
describe('.ftcd store opened with another partitioning than it was written with', () => {
  const tempDir = useTempDirs();

  it('reports each unread file with the reason, changes nothing, and reads it all again when set back', async () => {
    const baseDir = await tempDir();
    // Two UTC days of 1m candles: two day files by default.
    const candles = ltcCandlesFrom(Date.UTC(2025, 2, 1, 23, 0), 120, 5, 8);
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    await writer.saveMany(candles);
    await writer.close();
    const seriesDir = join(baseDir, 'binance', 'LTCUSDT', '1m');
    await writeFile(join(seriesDir, 'notes.ftcd'), 'not a partition');

    const monthly = await BinaryStorageAdapter.open({
      baseDir,
      readOnly: true,
      partitioning: { '1m': 'month' },
    });
    try {
      expect(await monthly.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([]);
      const problems = monthly
        .problems()
        .map(({ code, path, message }) => ({ code, file: path.slice(seriesDir.length + 1), message }))
        .sort((a, b) => (a.file < b.file ? -1 : 1));
      const moved =
        'A day partition, but 1m is partitioned by month (partitioning): its candles are not read until partitioning is set back';
      expect(problems).toEqual([
        { code: 'FTCD_UNEXPECTED_FILE', file: '2025-03-01.ftcd', message: moved },
        { code: 'FTCD_UNEXPECTED_FILE', file: '2025-03-02.ftcd', message: moved },
        { code: 'FTCD_UNEXPECTED_FILE', file: 'notes.ftcd', message: 'Not a month partition name' },
      ]);
    } finally {
      await monthly.close();
    }

    const daily = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(await daily.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await daily.close();
    }
  });
});
