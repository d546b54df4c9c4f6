import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { encodeBlock } from '../../src/shared/storage/ftcd/ftcdLayout';
import { inspectFtcdFile } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { BinarySerializer } from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const partitionPath = (baseDir: string, day = '2025-06-01') =>
  join(baseDir, 'binance', 'BTCUSDT', '1m', `${day}.ftcd`);

describe('BinaryStorageAdapter', () => {
  const tempDir = useTempDirs();

  it('honours maxCandlesPerBlock: a big saveMany writes several blocks', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 100 });
    const candles = generateFootprintCandles({ seed: 1, count: 1000, bins: { min: 1, max: 5 } });
    await store.saveMany(candles);
    await store.close();
    const report = await inspectFtcdFile(partitionPath(baseDir));
    expect(report.blocks.map((block) => block.candleCount)).toEqual(Array(10).fill(100));
    expect(report.blocks.map((block) => block.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('group-commits concurrent saves: one append per file per cycle', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir });
    const candles = generateFootprintCandles({ seed: 2, count: 200, bins: { min: 1, max: 5 } });
    const results = await Promise.all(candles.map((candle) => store.save(candle)));
    expect(results.every((result) => result.written === 1)).toBe(true);
    await store.close();
    const report = await inspectFtcdFile(partitionPath(baseDir));
    expect(report.blocks.length).toBeLessThanOrEqual(2);
    expect(report.candles).toBe(200);
  });

  it('concurrent saves beyond one set of staging columns: each stored once, an invalid one fails alone, columns reused', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 10_000 });
    // Six saves of 150 fifty-bin candles (~450 KB of columns each, the chunk holding ~2 MB) share
    // one cycle across several sets of staging columns; the second round reuses the first's.
    for (const seed of [3, 4]) {
      const candles = generateFootprintCandles({ seed, count: 900, bins: 50, symbol: 'BTCUSDT' });
      const saves = Array.from({ length: 6 }, (_, k) =>
        store.saveMany(candles.slice(k * 150, (k + 1) * 150)),
      );
      const invalid = store.saveMany([{ ...candles[0]!, s: '../escape' }]);
      const more = store.saveMany(candles.slice(0, 1)); // staged after the invalid one: unaffected
      await expect(invalid).rejects.toThrow();
      const results = await Promise.all(saves);
      expect(results.reduce((sum, result) => sum + result.written, 0)).toBe(900);
      expect(await more).toEqual({ written: 0, unchanged: 1 });
      expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
    }
    await store.close();
    // One append per cycle for the six saves (and one for the candle saved again, unchanged: none).
    const report = await inspectFtcdFile(partitionPath(baseDir));
    expect(report.blocks.map((block) => block.candleCount)).toEqual([900, 900]);
  });

  it('partitions 1m candles by day and reads a range across partitions', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir });
    const candles = generateFootprintCandles({
      seed: 3,
      count: 3000,
      bins: 2,
      startTime: Date.UTC(2025, 5, 1, 23),
    });
    await store.saveMany(candles);
    expectSameCandles(
      await store.findBySymbol('BTCUSDT', 'binance', '1m', {
        startTime: candles[30]!.t,
        endTime: candles[2000]!.t,
      }),
      candles.slice(30, 2001),
    );
    await store.close();
    for (const day of ['2025-06-01', '2025-06-02', '2025-06-03'])
      expect((await inspectFtcdFile(partitionPath(baseDir, day))).healthy).toBe(true);
  });

  it('lets a read-only reader follow a live writer, seeing only whole CRC-valid blocks', async () => {
    const baseDir = await tempDir();
    const candles = generateFootprintCandles({ seed: 4, count: 40, bins: 3 });
    const writer = await BinaryStorageAdapter.open({ baseDir });
    await writer.saveMany(candles.slice(0, 10));
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 10));
    await writer.saveMany(candles.slice(10, 20));
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 20));
    await expect(reader.save(candles[0]!)).rejects.toMatchObject({ code: 'FLOWTRACE_STORAGE_READ_ONLY' });
    await writer.close();

    // The writer is mid-append: half a block is on disk. The reader stops before it, then sees it once whole.
    const path = partitionPath(baseDir);
    const { codec, payload } = BinarySerializer.encodeBlock(candles.slice(20, 30));
    const block = encodeBlock(
      { sequence: 2, candleCount: 10, firstOpenTime: candles[20]!.t, lastOpenTime: candles[29]!.t, codec },
      payload,
    );
    await appendFile(path, block.subarray(0, 70));
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 20));
    expect(reader.problems()).toEqual([]);
    await appendFile(path, block.subarray(70));
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 30));
    expect((await reader.listSeries())[0]?.count).toBe(30);
    expect(reader.problems()).toEqual([]);
    await reader.close();
  });

  it('allows one writer per directory; a second writer gets FLOWTRACE_STORAGE_LOCKED', async () => {
    const baseDir = await tempDir();
    const first = await BinaryStorageAdapter.open({ baseDir });
    await expect(BinaryStorageAdapter.open({ baseDir })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORAGE_LOCKED',
    });
    await first.close();
    const second = await BinaryStorageAdapter.open({ baseDir });
    await second.close();
  });

  it('rejects invalid options with FLOWTRACE_INVALID_STORAGE_CONFIG', async () => {
    const baseDir = await tempDir();
    await expect(BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 0 })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
    });
  });

  it('never writes outside baseDir', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir });
    const [candle] = generateFootprintCandles({ seed: 5, count: 1, bins: 1 });
    await expect(store.save({ ...candle!, ex: '..' })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_CANDLE_KEY',
    });
    await expect(store.save({ ...candle!, s: 'x/../../y' })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_CANDLE_KEY',
    });
    await store.close();
  });
});

describe('openCandleStore', () => {
  const tempDir = useTempDirs();

  it('opens .ftcd files by default and SQLite with useDatabase, both readable read-only', async () => {
    const candles = generateFootprintCandles({ seed: 6, count: 20, bins: 4 });
    for (const useDatabase of [false, true]) {
      const baseDir = await tempDir();
      const store = await openCandleStore({ baseDir, useDatabase, maxCandlesPerBlock: 8 });
      await store.saveMany(candles);
      await using reader = await openCandleStore({ baseDir, useDatabase, readOnly: true });
      expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
      await store.close();
      const ftcdFiles = await readFile(partitionPath(baseDir)).then(
        () => true,
        () => false,
      );
      expect(ftcdFiles).toBe(!useDatabase);
    }
  });

  it('passes the .ftcd writer options through, and rejects a bad one', async () => {
    const candles = generateFootprintCandles({ seed: 7, count: 3, bins: 2 });
    const nextDay = partitionPath('', '2025-06-02');
    for (const createPartitionsAhead of [true, false]) {
      const baseDir = await tempDir();
      const store = await openCandleStore({ baseDir, createPartitionsAhead, verifyInBackground: false });
      await store.saveMany(candles);
      await store.close();
      const created = await readFile(join(baseDir, nextDay)).then(
        () => true,
        () => false,
      );
      expect(created).toBe(createPartitionsAhead);
    }
    await expect(
      openCandleStore({ baseDir: await tempDir(), verifyInBackground: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'FLOWTRACE_INVALID_STORAGE_CONFIG' });
  });
});
