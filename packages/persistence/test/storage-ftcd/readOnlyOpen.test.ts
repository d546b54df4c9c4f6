import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const START = Date.UTC(2025, 3, 1);
const series = (symbol: string, seed: number) =>
  generateFootprintCandles({ seed, count: 30, bins: 3, symbol, emptyRatio: 0, startTime: START });

/** The series a store has loaded (white box: a reader loads a series when it first needs it). */
const loadedSeries = (store: BinaryStorageAdapter): string[] =>
  [...(Reflect.get(store, 'series') as Map<string, unknown>).keys()].sort();

describe('.ftcd read-only stores load a series when it is first used', () => {
  const tempDir = useTempDirs();

  it('opens without reading the store, and loads only the series a query asks for', async () => {
    const baseDir = await tempDir();
    const btc = series('BTCUSDT', 1);
    const eth = series('ETHUSDT', 2);
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    await writer.saveMany(btc);
    // ETHUSDT in three blocks, the middle one damaged below.
    for (let k = 0; k < 30; k += 10) await writer.saveMany(eth.slice(k, k + 10));
    await writer.close();
    const ethFile = join(baseDir, 'binance', 'ETHUSDT', '1m', '2025-04-01.ftcd');
    const middle = (await inspectFtcdFile(ethFile)).blocks[1]!;
    const damaged = await readFile(ethFile);
    damaged[middle.offset + middle.totalLength - 3]! ^= 1;
    await writeFile(ethFile, damaged);

    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(loadedSeries(reader)).toEqual([]);
      expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), btc);
      expect(loadedSeries(reader)).toHaveLength(1);
      // The damage is in a series nobody asked for yet.
      expect(reader.health()).toMatchObject({ status: 'ok', problems: [] });

      // Listing looks at every series, and reports what it finds.
      expect((await reader.listSeries()).map((info) => [info.symbol, info.count])).toEqual([
        ['BTCUSDT', 30],
        ['ETHUSDT', 20],
      ]);
      expect(loadedSeries(reader)).toHaveLength(2);
      expect(reader.problems()).toMatchObject([{ code: 'FTCD_CORRUPT_BLOCK', path: ethFile }]);
    } finally {
      await reader.close();
    }
  });

  it('a query loads only the partition files it reads', async () => {
    const baseDir = await tempDir();
    const DAY = 86_400_000;
    const days = [0, 1, 2, 3].map((day) =>
      generateFootprintCandles({
        seed: 10 + day,
        count: 5,
        bins: 2,
        emptyRatio: 0,
        startTime: START + day * DAY,
      }),
    );
    const writer = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
    await writer.saveMany(days.flat());
    await writer.close();

    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    /** Partition names the reader knows of, and which of them it has loaded. */
    const partitions = () => {
      const [state] = (
        Reflect.get(reader, 'series') as Map<string, { partitions: Map<string, { exists: boolean }> }>
      ).values();
      const all = [...state!.partitions].sort(([a], [b]) => (a < b ? -1 : 1));
      return { known: all.length, loaded: all.filter(([, file]) => file.exists).map(([name]) => name) };
    };
    try {
      expectSameCandles(await reader.findLatest('BTCUSDT', 'binance', '1m', 5), days[3]!);
      expect(partitions()).toEqual({ known: 4, loaded: ['2025-04-04'] });
      const second = await reader.findBySymbol('BTCUSDT', 'binance', '1m', {
        startTime: START + DAY,
        endTime: START + 2 * DAY - 1,
      });
      expectSameCandles(second, days[1]!);
      expect(partitions()).toEqual({ known: 4, loaded: ['2025-04-02', '2025-04-04'] });
      // Queries at once over files nobody loaded yet: each file is loaded once, answers are exact.
      const answers = await Promise.all([0, 1, 2].map(() => reader.findBySymbol('BTCUSDT', 'binance', '1m')));
      for (const answer of answers) expectSameCandles(answer, days.flat());
      expect(partitions().loaded).toHaveLength(4);
      expect(reader.health()).toMatchObject({ status: 'ok', problems: [] });
    } finally {
      await reader.close();
    }
  });

  it('a store written after the reader opened is found by its first query', async () => {
    const baseDir = await tempDir();
    const writer = await BinaryStorageAdapter.open({ baseDir });
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(await reader.findBySymbol('BTCUSDT', 'binance', '1m')).toEqual([]);
      const btc = series('BTCUSDT', 3);
      await writer.saveMany(btc);
      expectSameCandles(await reader.findLatest('BTCUSDT', 'binance', '1m', 30), btc);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('refuses a path that is not a directory with FLOWTRACE_STORE_NOT_FOUND', async () => {
    const baseDir = await tempDir();
    const missing = join(baseDir, 'no-such-store');
    await expect(BinaryStorageAdapter.open({ baseDir: missing, readOnly: true })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORE_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    await expect(openCandleStore({ baseDir: missing, readOnly: true })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORE_NOT_FOUND',
    });
    const aFile = join(baseDir, 'a-file');
    await writeFile(aFile, 'not a store');
    await expect(BinaryStorageAdapter.open({ baseDir: aFile, readOnly: true })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORE_NOT_FOUND',
    });
    // A writer creates a missing store, but a file in its place (or on its path) is a config error, typed.
    for (const path of [aFile, join(aFile, 'inside')])
      await expect(BinaryStorageAdapter.open({ baseDir: path })).rejects.toMatchObject({
        code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
        message: expect.stringContaining(`${path} is not a directory`),
      });
  });
});
