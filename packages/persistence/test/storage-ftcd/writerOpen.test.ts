import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it, vi } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const DAY = 86_400_000;
const START = Date.UTC(2025, 3, 1);

/** Five 1m candles on each of `days` consecutive days. */
function days(count: number, seed: number, symbol = 'BTCUSDT'): FootprintCandleDTO[][] {
  return Array.from({ length: count }, (_, day) =>
    generateFootprintCandles({
      seed: seed + day,
      count: 5,
      bins: 3,
      emptyRatio: 0,
      symbol,
      startTime: START + day * DAY,
    }),
  );
}

const dayName = (day: number) => new Date(START + day * DAY).toISOString().slice(0, 10);
const dayFile = (baseDir: string, symbol: string, day: number) =>
  join(baseDir, 'binance', symbol, '1m', `${dayName(day)}.ftcd`);

/** Partition names of a series the store has loaded (white box: a writer loads a file when first used). */
function loadedPartitions(store: BinaryStorageAdapter, symbol = 'BTCUSDT'): string[] {
  const series = Reflect.get(store, 'series') as Map<
    string,
    { symbol: string; partitions: Map<string, { loaded: boolean }> }
  >;
  const state = [...series.values()].find((candidate) => candidate.symbol === symbol);
  return [...(state?.partitions ?? [])]
    .filter(([, file]) => file.loaded)
    .map(([name]) => name)
    .sort();
}

/** Saves each day in three calls (three blocks per file), then closes. */
async function writeDays(baseDir: string, byDay: FootprintCandleDTO[][]): Promise<void> {
  const store = await BinaryStorageAdapter.open({
    baseDir,
    compactSealedPartitions: false,
    verifyInBackground: false,
  });
  for (const day of byDay) {
    await store.saveMany(day.slice(0, 2));
    await store.saveMany(day.slice(2, 4));
    await store.saveMany(day.slice(4));
  }
  await store.close();
}

/** BTCUSDT day 0: a damaged middle block. Day 1: a torn tail (half of a copy of its last block). */
async function damageOldDays(baseDir: string) {
  const damagedPath = dayFile(baseDir, 'BTCUSDT', 0);
  const middle = (await inspectFtcdFile(damagedPath)).blocks[1]!;
  const damaged = await readFile(damagedPath);
  damaged[middle.offset + middle.totalLength - 3]! ^= 1;
  await writeFile(damagedPath, damaged);
  const tornPath = dayFile(baseDir, 'BTCUSDT', 1);
  const intact = await readFile(tornPath);
  const last = (await inspectFtcdFile(tornPath)).blocks.at(-1)!;
  const tornBytes = Math.floor(last.totalLength / 2);
  await writeFile(tornPath, Buffer.concat([intact, intact.subarray(last.offset, last.offset + tornBytes)]));
  return { damagedPath, damaged, tornPath, intact, tornBytes };
}

describe('.ftcd writer open: files are registered, and each is loaded when first used', () => {
  const tempDir = useTempDirs();

  it('reads only the newest partitions on open; an old torn tail is cut before its file is used, and corruption found then', async () => {
    const baseDir = await tempDir();
    const btc = days(6, 1);
    const eth = days(6, 50, 'ETHUSDT');
    await writeDays(baseDir, [...btc, ...eth]);
    const { damagedPath, damaged, tornPath, intact, tornBytes } = await damageOldDays(baseDir);

    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      // The newest partition (created ahead, empty), the newest with candles, and the one before.
      expect(loadedPartitions(store)).toEqual([dayName(4), dayName(5), dayName(6)]);
      expect(loadedPartitions(store, 'ETHUSDT')).toEqual([dayName(4), dayName(5), dayName(6)]);
      expect(store.health()).toMatchObject({ status: 'ok', problems: [], repairs: [] });
      expect((await stat(tornPath)).size).toBe(intact.length + tornBytes);

      // A query reaching day 1 loads it: the torn tail is cut (nothing valid follows it).
      const second = await store.findBySymbol('BTCUSDT', 'binance', '1m', {
        startTime: START + DAY,
        endTime: START + 2 * DAY - 1,
      });
      expectSameCandles(second, btc[1]!);
      expect(store.health().repairs).toEqual([
        { kind: 'torn-tail-truncated', path: tornPath, offset: intact.length, bytes: tornBytes },
      ]);
      expect((await stat(tornPath)).size).toBe(intact.length);
      expect(loadedPartitions(store)).toEqual([dayName(1), dayName(4), dayName(5), dayName(6)]);

      // A save into day 0 loads it first, finds the damage, and is refused: nothing is appended.
      const changed = { ...btc[0]![0]!, n: btc[0]![0]!.n + 1 };
      await expect(store.save(changed)).rejects.toMatchObject({ code: 'FLOWTRACE_FTCD_QUARANTINED' });
      expect(store.problems()).toMatchObject([{ code: 'FTCD_CORRUPT_BLOCK', path: damagedPath }]);
      expect((await stat(damagedPath)).size).toBe(damaged.length);

      // Saves into files nobody loaded yet compare with what they hold.
      expect(await store.saveMany(btc[2]!)).toEqual({ written: 0, unchanged: 5 });
      const revised = { ...btc[3]![2]!, n: btc[3]![2]!.n + 7 };
      expect(await store.saveMany([...btc[3]!.slice(0, 2), revised])).toEqual({ written: 1, unchanged: 2 });
      const expectedDay3 = [...btc[3]!.slice(0, 2), revised, ...btc[3]!.slice(3)];
      expectSameCandles(await store.findLatest('ETHUSDT', 'binance', '1m', 30), eth.flat());
      await store.close();

      const reopened = await BinaryStorageAdapter.open({
        baseDir,
        compactSealedPartitions: false,
        verifyInBackground: false,
      });
      try {
        const fromDay1 = await reopened.findBySymbol('BTCUSDT', 'binance', '1m', { startTime: START + DAY });
        expectSameCandles(fromDay1, [...btc[1]!, ...btc[2]!, ...expectedDay3, ...btc[4]!, ...btc[5]!]);
        expect(reopened.health().repairs).toEqual([]);
        // listSeries() loads every file, and so reports the damaged one too.
        expect((await reopened.listSeries()).map((info) => [info.symbol, info.count])).toEqual([
          ['BTCUSDT', 28], // day 0's damaged block held two
          ['ETHUSDT', 30],
        ]);
        expect(reopened.problems()).toMatchObject([{ code: 'FTCD_CORRUPT_BLOCK', path: damagedPath }]);
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
    }
  });

  it('in the background, a writer reads the files opening skipped: their damage reaches health() with no save or query', async () => {
    const baseDir = await tempDir();
    const btc = days(6, 1);
    await writeDays(baseDir, btc);
    const { damagedPath, damaged, tornPath, intact, tornBytes } = await damageOldDays(baseDir);

    // Default options: verifyInBackground is on.
    const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    try {
      expect(loadedPartitions(store)).toEqual([dayName(4), dayName(5), dayName(6)]);
      expect(store.health()).toMatchObject({ status: 'ok', problems: [], repairs: [] });
      await vi.waitFor(() => expect(loadedPartitions(store)).toHaveLength(7), {
        timeout: 20_000,
        interval: 50,
      });
      expect(store.health()).toMatchObject({
        status: 'degraded',
        problems: [{ code: 'FTCD_CORRUPT_BLOCK', path: damagedPath }],
        repairs: [{ kind: 'torn-tail-truncated', path: tornPath, offset: intact.length, bytes: tornBytes }],
      });
      expect((await stat(tornPath)).size).toBe(intact.length);
      expect((await stat(damagedPath)).size).toBe(damaged.length);
      // Nothing else changed: every readable candle is there, and saves go on.
      const fresh = { ...btc[5]!.at(-1)!, t: btc[5]!.at(-1)!.t + 60_000, ct: btc[5]!.at(-1)!.ct + 60_000 };
      expect(await store.save(fresh)).toEqual({ written: 1, unchanged: 0 });
      expect((await store.listSeries())[0]!.count).toBe(30 - 2 + 1); // day 0's damaged block held two
    } finally {
      await store.close();
    }
    // Off: nothing reads them (the same store, its remaining damage untouched).
    const quiet = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      await setTimeout(1_000);
      expect(loadedPartitions(quiet)).toEqual([dayName(4), dayName(5), dayName(6)]);
      expect(quiet.health().problems).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('a partition file that cannot be read is never written over: saves into it fail, retryably, until it can', async () => {
    const baseDir = await tempDir();
    const btc = days(3, 7);
    await writeDays(baseDir, btc);
    const path = dayFile(baseDir, 'BTCUSDT', 0);
    const aside = join(baseDir, 'aside.ftcd');
    // A directory where day 0's file was: listed like the file, but reading it fails (EISDIR).
    await rename(path, aside);
    await mkdir(path);

    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      const late = {
        ...btc[0]![4]!,
        t: btc[0]![4]!.t + 60 * 60_000,
        ct: btc[0]![4]!.ct + 60 * 60_000,
      };
      await expect(store.save(late)).rejects.toMatchObject({
        code: 'FLOWTRACE_STORAGE_WRITE_FAILED',
        message: expect.stringContaining(path),
      });
      expect(store.problems()).toMatchObject([{ code: 'FTCD_IO_ERROR', path }]);
      // Other partitions take saves meanwhile.
      expect(await store.saveMany(btc[1]!)).toEqual({ written: 0, unchanged: 5 });

      await rmdir(path);
      await rename(aside, path);
      expect(await store.save(late)).toEqual({ written: 1, unchanged: 0 });
      // The read failure is over: health no longer reports it.
      expect(store.problems()).toEqual([]);
      expectSameCandles(await store.findLatest('BTCUSDT', 'binance', '1m', 100), [
        ...btc[0]!,
        late,
        ...btc[1]!,
        ...btc[2]!,
      ]);
    } finally {
      await store.close();
    }
  });

  it('a partition file removed by hand after open holds nothing: a save into its day creates it again', async () => {
    const baseDir = await tempDir();
    const btc = days(3, 11);
    await writeDays(baseDir, btc);
    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      expect(loadedPartitions(store)).not.toContain(dayName(0));
      await rm(dayFile(baseDir, 'BTCUSDT', 0));
      // A re-sent candle of that day is stored again (written, not "unchanged"), with no error.
      expect(await store.save(btc[0]![2]!)).toEqual({ written: 1, unchanged: 0 });
      expect(store.problems()).toEqual([]);
      expectSameCandles(await store.findLatest('BTCUSDT', 'binance', '1m', 100), [
        btc[0]![2]!,
        ...btc[1]!,
        ...btc[2]!,
      ]);
    } finally {
      await store.close();
    }
    // On disk: the new file holds that candle and passes inspection.
    const report = await inspectFtcdFile(dayFile(baseDir, 'BTCUSDT', 0));
    expect(report).toMatchObject({ candles: 1 });
    const reopened = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expect(
        await reopened.findBySymbol('BTCUSDT', 'binance', '1m', { endTime: START + DAY - 1 }),
      ).toHaveLength(1);
    } finally {
      await reopened.close();
    }
  });

  it('a series directory removed by hand while the writer runs is made again by the next save into it', async () => {
    const baseDir = await tempDir();
    const btc = days(4, 31);
    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      await store.saveMany(btc[0]!);
      // The writer creates the next day's file ahead, in the background: removed with the rest.
      await vi.waitFor(() => stat(dayFile(baseDir, 'BTCUSDT', 1)));
      await rm(join(baseDir, 'binance'), { recursive: true });
      // Day 3's file is new, in directories the writer made before: they are made again.
      expect(await store.saveMany(btc[3]!)).toEqual({ written: 5, unchanged: 0 });
    } finally {
      await store.close();
    }
    const reopened = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expectSameCandles(await reopened.findLatest('BTCUSDT', 'binance', '1m', 100), btc[3]!);
    } finally {
      await reopened.close();
    }
  });

  it('compact() also compacts the sealed partitions nobody loaded since open', async () => {
    const baseDir = await tempDir();
    const btc = days(4, 21);
    const writer = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    // Live-style: one block per candle.
    for (const candle of btc.flat()) await writer.save(candle);
    await writer.close();
    const sizes = await Promise.all([0, 1].map((day) => stat(dayFile(baseDir, 'BTCUSDT', day))));

    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      verifyInBackground: false,
    });
    try {
      expect(loadedPartitions(store)).toEqual([dayName(2), dayName(3), dayName(4)]);
      const report = await store.compact();
      // Days 0, 1 and 2 are sealed and fragmented; day 3 is where saves go.
      expect(report).toMatchObject({ partitions: 3, candles: 15 });
      for (const day of [0, 1]) {
        expect((await stat(dayFile(baseDir, 'BTCUSDT', day))).size).toBeLessThan(sizes[day]!.size);
        expect((await inspectFtcdFile(dayFile(baseDir, 'BTCUSDT', day))).blocks).toHaveLength(1);
      }
      expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), btc.flat());
    } finally {
      await store.close();
    }
  });
});
