import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { ltcCandlesFrom, useTempDirs } from './helpers';

/**
 * A series keeps the granularity its partition files are named in, whatever
 * `partitioning` says when the store is opened: `partitioning` applies to new
 * series. So a store is read whole by any reader (the CLI, a dashboard opening
 * it with defaults) and changing the setting on an existing store hides
 * nothing. A series directory holding several granularities (copied in by
 * hand) is read in one; the other files are reported, never touched.
 */
describe('.ftcd store opened with another partitioning than it was written with', () => {
  const tempDir = useTempDirs();

  const problemsOf = (store: BinaryStorageAdapter, dir: string) =>
    store
      .problems()
      .map(({ code, path, message }) => ({ code, file: path.slice(dir.length + 1), message }))
      .sort((a, b) => (a.file < b.file ? -1 : 1));

  it('reads and extends each series in the granularity of its files; new series get the new setting', async () => {
    const baseDir = await tempDir();
    // Two UTC days of 1m candles: two day files by default.
    const ltc = ltcCandlesFrom(Date.UTC(2025, 2, 1, 23, 0), 120, 5, 8);
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    await writer.saveMany(ltc);
    await writer.close();
    const ltcDir = join(baseDir, 'binance', 'LTCUSDT', '1m');
    await writeFile(join(ltcDir, 'notes.ftcd'), 'not a partition');

    const monthlyReader = await BinaryStorageAdapter.open({
      baseDir,
      readOnly: true,
      partitioning: { '1m': 'month' },
    });
    try {
      expect(await monthlyReader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(ltc);
      expect(problemsOf(monthlyReader, ltcDir)).toEqual([
        { code: 'FTCD_UNEXPECTED_FILE', file: 'notes.ftcd', message: 'Not a day partition name' },
      ]);
    } finally {
      await monthlyReader.close();
    }

    // A writer set to month: the day series goes on in days, a new series is by month.
    const ltcNextDay = ltcCandlesFrom(Date.UTC(2025, 2, 3, 0, 0), 30, 6, 8);
    const btc = generateFootprintCandles({
      seed: 7,
      count: 90,
      bins: 4,
      symbol: 'BTCUSDT',
      startTime: Date.UTC(2025, 2, 31, 23, 0),
    });
    const monthlyWriter = await BinaryStorageAdapter.open({
      baseDir,
      createPartitionsAhead: false,
      partitioning: { '1m': 'month' },
    });
    try {
      await monthlyWriter.saveMany(ltcNextDay);
      await monthlyWriter.saveMany(btc);
      expect(await monthlyWriter.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([...ltc, ...ltcNextDay]);
    } finally {
      await monthlyWriter.close();
    }
    expect((await readdir(ltcDir)).sort()).toEqual([
      '2025-03-01.ftcd',
      '2025-03-02.ftcd',
      '2025-03-03.ftcd',
      'notes.ftcd',
    ]);
    const btcDir = join(baseDir, 'binance', 'BTCUSDT', '1m');
    expect((await readdir(btcDir)).sort()).toEqual(['2025-03.ftcd', '2025-04.ftcd']);

    // A reader with the defaults (day for 1m) reads the month series too.
    const defaultReader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(await defaultReader.findBySymbol('BTCUSDT', 'binance', '1m')).toEqual(btc);
      expect(await defaultReader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([...ltc, ...ltcNextDay]);
      const series = await defaultReader.listSeries();
      expect(series.map(({ symbol, count }) => [symbol, count])).toEqual([
        ['BTCUSDT', btc.length],
        ['LTCUSDT', ltc.length + ltcNextDay.length],
      ]);
    } finally {
      await defaultReader.close();
    }
  });

  it('reads a series holding several granularities in one, reports the other files and leaves them as they are', async () => {
    const baseDir = await tempDir();
    const days = ltcCandlesFrom(Date.UTC(2025, 2, 1, 23, 0), 120, 5, 8);
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    await writer.saveMany(days);
    await writer.close();
    // A month file of the same series written elsewhere, copied in by hand.
    const elsewhere = await tempDir();
    const april = ltcCandlesFrom(Date.UTC(2025, 3, 10, 0, 0), 20, 9, 8);
    const monthly = await BinaryStorageAdapter.open({
      baseDir: elsewhere,
      createPartitionsAhead: false,
      partitioning: { '1m': 'month' },
    });
    await monthly.saveMany(april);
    await monthly.close();
    const seriesDir = join(baseDir, 'binance', 'LTCUSDT', '1m');
    await copyFile(
      join(elsewhere, 'binance', 'LTCUSDT', '1m', '2025-04.ftcd'),
      join(seriesDir, '2025-04.ftcd'),
    );
    const bytesBefore = await Promise.all(
      ['2025-03-01.ftcd', '2025-03-02.ftcd', '2025-04.ftcd'].map((name) => readFile(join(seriesDir, name))),
    );

    // Configured day (the default), which the series' day files are in: those are read.
    const dayWriter = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    try {
      expect(await dayWriter.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(days);
      expect(problemsOf(dayWriter, seriesDir)).toEqual([
        {
          code: 'FTCD_UNEXPECTED_FILE',
          file: '2025-04.ftcd',
          message:
            'A month partition in a series partitioned by day: a series is read in one granularity, so its candles are not read',
        },
      ]);
      expect(dayWriter.health().status).toBe('degraded');
    } finally {
      await dayWriter.close();
    }

    // Configured month: the month file is read, the day files are reported.
    const monthReader = await BinaryStorageAdapter.open({
      baseDir,
      readOnly: true,
      partitioning: { '1m': 'month' },
    });
    try {
      expect(await monthReader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(april);
      expect(problemsOf(monthReader, seriesDir).map(({ file }) => file)).toEqual([
        '2025-03-01.ftcd',
        '2025-03-02.ftcd',
      ]);
    } finally {
      await monthReader.close();
    }
    const bytesAfter = await Promise.all(
      ['2025-03-01.ftcd', '2025-03-02.ftcd', '2025-04.ftcd'].map((name) => readFile(join(seriesDir, name))),
    );
    expect(bytesAfter).toEqual(bytesBefore);
  });
});
