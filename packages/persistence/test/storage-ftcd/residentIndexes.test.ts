import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { PartitionIndex } from '../../src/shared/storage/ftcd/PartitionIndex';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const DAY = 86_400_000;
const START = Date.UTC(2025, 5, 1);

/** Every partition file the store tracks (white box: the bound is on what it keeps in memory). */
function partitionFiles(store: BinaryStorageAdapter): { index: PartitionIndex; loaded: boolean }[] {
  const series = Reflect.get(store, 'series') as Map<
    string,
    { partitions: Map<string, { index: PartitionIndex; loaded: boolean }> }
  >;
  return [...series.values()].flatMap((state) => [...state.partitions.values()]);
}

const residentCount = (store: BinaryStorageAdapter): number =>
  partitionFiles(store).filter((file) => file.loaded && file.index.resident).length;
const loadedCount = (store: BinaryStorageAdapter): number =>
  partitionFiles(store).filter((file) => file.loaded).length;

// Partitions created ahead would add an empty index outside the budget's count; not what is tested here.

/** `days` days of 1m candles, `perDay` per day, spread over each day. */
function candlesOverDays(seed: number, days: number, perDay: number): FootprintCandleDTO[] {
  const candles = generateFootprintCandles({ seed, count: days * perDay, bins: { min: 1, max: 4 } });
  const step = Math.floor(1440 / perDay) * 60_000;
  return candles.map((candle, i) => ({
    ...candle,
    t: START + Math.floor(i / perDay) * DAY + (i % perDay) * step,
    ct: START + Math.floor(i / perDay) * DAY + (i % perDay) * step + 59_999,
  }));
}

describe('.ftcd partition indexes within a memory budget (ResidentIndexes)', () => {
  const tempDir = useTempDirs();

  it('PartitionIndex.release() keeps size and time bounds, refuses key lookups, leaves the original usable', () => {
    const index = new PartitionIndex();
    const block = (offset: number, times: number[]) => ({
      offset,
      totalLength: 10,
      sequence: offset,
      candleCount: times.length,
      firstOpenTime: times[0]!,
      lastOpenTime: times.at(-1)!,
      codec: 0,
    });
    index.addBlock(block(0, [60_000, 120_000]), [60_000, 120_000]);
    index.addBlock(block(1, [180_000]), [180_000]);
    const summary = index.release();
    expect(summary.resident).toBe(false);
    expect([summary.size, summary.firstTime, summary.lastTime]).toEqual([3, 60_000, 180_000]);
    expect(summary.approximateBytes).toBeLessThan(index.approximateBytes);
    expect(() => summary.positionOf(60_000)).toThrow(/released summary/);
    expect(() => summary.addBlock(block(2, [240_000]), [240_000])).toThrow(/released summary/);
    expect(index.resident).toBe(true);
    expect(index.blockAt(index.positionOf(180_000)).sequence).toBe(1);

    // A summary grows by keys after its last one (a live append), into a new summary object.
    const grown = summary.extendedSummary([240_000, 300_000]);
    expect(grown).not.toBe(summary);
    expect([grown.resident, grown.size, grown.firstTime, grown.lastTime]).toEqual([
      false,
      5,
      60_000,
      300_000,
    ]);
    expect([summary.size, summary.lastTime]).toEqual([3, 180_000]);
    expect(summary.extendedSummary([])).toBe(summary);
    expect(() => summary.extendedSummary([180_000])).toThrow(/not after the last one/);
    expect(() => index.extendedSummary([240_000])).toThrow(/released index/);
  });

  it('with a zero budget keeps one index whole, and reads, re-saves, overwrites and reopening stay exact', async () => {
    const baseDir = await tempDir();
    const candles = candlesOverDays(11, 12, 30);
    const store = await BinaryStorageAdapter.open({
      baseDir,
      indexMemoryBytes: 0,
      createPartitionsAhead: false,
    });
    // One save per day: a commit cycle each, so the budget is enforced between them.
    for (let day = 0; day < 12; day += 1) await store.saveMany(candles.slice(day * 30, day * 30 + 30));
    expect(partitionFiles(store)).toHaveLength(12);
    expect(residentCount(store)).toBe(1);

    expect(await store.listSeries()).toEqual([
      {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        timeframe: '1m',
        firstOpenTime: candles[0]!.t,
        lastOpenTime: candles.at(-1)!.t,
        count: candles.length,
      },
    ]);
    expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
    const desc = await store.findBySymbol('BTCUSDT', 'binance', '1m', { order: 'desc', limit: 45 });
    expectSameCandles(desc, candles.slice(-45).reverse());
    const iterated: FootprintCandleDTO[] = [];
    for await (const candle of store.iterate()) iterated.push(candle);
    expectSameCandles(iterated, candles);
    expect(residentCount(store)).toBe(1);

    // Re-saving stored candles of released partitions compares with the stored versions (reloaded).
    expect(await store.saveMany(candles.slice(0, 90))).toEqual({ written: 0, unchanged: 90 });
    const changed = { ...candles[5]!, n: candles[5]!.n + 1 };
    expect(await store.save(changed)).toEqual({ written: 1, unchanged: 0 });
    const fresh = { ...candles[40]!, t: candles[40]!.t + 60_000, ct: candles[40]!.ct + 60_000 };
    expect(await store.save(fresh)).toEqual({ written: 1, unchanged: 0 });
    const expected = [...candles.slice(0, 5), changed, ...candles.slice(6), fresh].sort((a, b) => a.t - b.t);
    expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), expected);
    expect((await store.listSeries())[0]!.count).toBe(candles.length + 1);
    expect(residentCount(store)).toBe(1);
    await store.close();

    const reopened = await BinaryStorageAdapter.open({
      baseDir,
      indexMemoryBytes: 0,
      createPartitionsAhead: false,
    });
    // Opening builds no whole index: each file is a summary from its block headers until used.
    // Only the newest partition and the one before it are read; listSeries() reads the rest.
    expect(residentCount(reopened)).toBe(0);
    expect(loadedCount(reopened)).toBe(2);
    expect((await reopened.listSeries())[0]!.count).toBe(candles.length + 1);
    expect(loadedCount(reopened)).toBe(partitionFiles(reopened).length);
    expect(residentCount(reopened)).toBe(0);
    expect(reopened.problems()).toEqual([]);
    expectSameCandles(await reopened.findBySymbol('BTCUSDT', 'binance', '1m'), expected);
    expect(residentCount(reopened)).toBe(1);
    await reopened.close();
  });

  it('live saves to series whose indexes are released grow their summaries without re-reading the files', async () => {
    const baseDir = await tempDir();
    const SERIES = 6;
    // Each series: 30 candles of one day, then 3 live minutes after them, then an overwrite.
    const series = Array.from({ length: SERIES }, (_, k) =>
      candlesOverDays(40 + k, 1, 34).map((candle) => ({ ...candle, s: `S${k}USDT` })),
    );
    const options = { baseDir, indexMemoryBytes: 0, createPartitionsAhead: false } as const;
    const first = await BinaryStorageAdapter.open(options);
    for (const candles of series) await first.saveMany(candles.slice(0, 30));
    await first.close();

    const store = await BinaryStorageAdapter.open(options);
    // Opening reads each newest partition's block headers and builds no whole index.
    expect(loadedCount(store)).toBe(SERIES);
    expect(residentCount(store)).toBe(0);
    for (let minute = 30; minute < 33; minute += 1) {
      // One commit cycle per "minute" with a new candle for every series.
      const results = await Promise.all(series.map((candles) => store.save(candles[minute]!)));
      expect(results).toEqual(series.map(() => ({ written: 1, unchanged: 0 })));
      // Reloading an index would leave the most recently used one whole after the cycle.
      expect(residentCount(store)).toBe(0);
    }
    expect((await store.listSeries()).map((info) => info.count)).toEqual(series.map(() => 33));
    for (const [k, candles] of series.entries()) {
      expectSameCandles(await store.findBySymbol(`S${k}USDT`, 'binance', '1m'), candles.slice(0, 33));
    }
    // An overwrite (not after the last candle) compares with the stored version: reloaded, blocks
    // appended through the summary included.
    const changed = { ...series[0]![31]!, n: series[0]![31]!.n + 1 };
    expect(await store.save(changed)).toEqual({ written: 1, unchanged: 0 });
    expect(await store.save(series[1]![32]!)).toEqual({ written: 0, unchanged: 1 });
    const expectedFirst = [...series[0]!.slice(0, 31), changed, series[0]![32]!];
    expectSameCandles(await store.findBySymbol('S0USDT', 'binance', '1m'), expectedFirst);
    expect(store.problems()).toEqual([]);
    await store.close();

    const reopened = await BinaryStorageAdapter.open({ ...options, readOnly: true });
    expectSameCandles(await reopened.findBySymbol('S0USDT', 'binance', '1m'), expectedFirst);
    for (let k = 1; k < SERIES; k += 1) {
      expectSameCandles(await reopened.findBySymbol(`S${k}USDT`, 'binance', '1m'), series[k]!.slice(0, 33));
    }
    expect(reopened.problems()).toEqual([]);
    await reopened.close();
  });

  it('concurrent saves and reads across released partitions lose nothing', async () => {
    const baseDir = await tempDir();
    const candles = candlesOverDays(12, 20, 12);
    const store = await BinaryStorageAdapter.open({
      baseDir,
      indexMemoryBytes: 0,
      createPartitionsAhead: false,
    });
    await store.saveMany(candles.slice(0, 120));
    const work: Promise<unknown>[] = [];
    for (let i = 120; i < candles.length; i += 1) {
      work.push(store.save(candles[i]!));
      // Reads of old (released) days while later days are written, and re-saves of old candles.
      if (i % 7 === 0)
        work.push(store.findBySymbol('BTCUSDT', 'binance', '1m', { endTime: candles[i - 100]!.t }));
      if (i % 11 === 0) work.push(store.save(candles[i - 120]!));
    }
    await Promise.all(work);
    expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
    expect(store.problems()).toEqual([]);
    await store.close();
  });

  it('a read-only reader with a zero budget sees blocks appended to a partition it released', async () => {
    const baseDir = await tempDir();
    const candles = candlesOverDays(13, 6, 20);
    const writer = await BinaryStorageAdapter.open({ baseDir });
    await writer.saveMany(candles.slice(0, 100));
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true, indexMemoryBytes: 0 });
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 100));
    // Days 0 and 1 get more candles while the reader holds only the index of day 4 whole.
    const more = candlesOverDays(14, 6, 20).map((candle) => ({ ...candle, t: candle.t + 30_000 * 60 }));
    const added = more.filter((candle) => candle.t < candles[100]!.t).slice(0, 40);
    await writer.saveMany(added);
    expect((await reader.listSeries())[0]!.count).toBe(140);
    const expected = [...candles.slice(0, 100), ...added].sort((a, b) => a.t - b.t);
    expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), expected);
    await reader.close();
    await writer.close();
  });
});
