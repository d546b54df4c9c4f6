import { renameSync } from 'node:fs';
import { copyFile, cp, mkdir, rm, stat } from 'node:fs/promises';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import {
  CODEC_COLUMNAR_V1,
  CODEC_COLUMNAR_V1_DEFLATE,
} from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { ltcCandlesFrom, ltcDayFile, useTempDirs } from './helpers';

const MINUTE = 60_000;
/** 20:00 UTC: four hours of 1m candles end the day, the rest go to the next day's file. */
const START = Date.UTC(2025, 5, 1, 20);

const candles = (count: number, seed = 11, start = START) => ltcCandlesFrom(start, count, seed, 12);
const dayFile = ltcDayFile;
const SEALED = '2025-06-01';
const NEWEST = '2025-06-02';

/** Saves one candle per call, awaited: one block per candle, as a live producer leaves a file. */
async function saveLive(store: BinaryStorageAdapter, list: readonly FootprintCandleDTO[]): Promise<void> {
  for (const candle of list) await store.save(candle);
}

/**
 * A read-only store that keeps no index whole and one idle file handle (options may add more):
 * every read reloads its indexes and reopens its files, where replacements show.
 */
function openStarvedReader(
  baseDir: string,
  options: Partial<Parameters<typeof BinaryStorageAdapter.open>[0]> = {},
): Promise<BinaryStorageAdapter> {
  return BinaryStorageAdapter.open({
    baseDir,
    readOnly: true,
    indexMemoryBytes: 0,
    maxOpenFiles: 1,
    ...options,
  });
}

/**
 * Until `running()` turns false (at least once): opens a starved reader, which knows the files only
 * from their headers, runs `read` on it, checks it reports no problem, and closes it. Returns the rounds.
 */
async function readFreshWhile(
  baseDir: string,
  running: () => boolean,
  read: (store: BinaryStorageAdapter) => Promise<unknown>,
): Promise<number> {
  let rounds = 0;
  do {
    const fresh = await openStarvedReader(baseDir);
    try {
      await read(fresh);
      expect(fresh.health().problems).toEqual([]);
    } finally {
      await fresh.close();
    }
    rounds += 1;
  } while (running());
  return rounds;
}

async function blockCount(path: string): Promise<number> {
  return (await inspectFtcdFile(path)).blocks.length;
}

describe('.ftcd compaction of sealed partitions', () => {
  const tempDir = useTempDirs();

  it('rewrites a live-written sealed day into full blocks: same candles, smaller file, newest day untouched', async () => {
    const baseDir = await tempDir();
    const all = candles(250);
    const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    try {
      await saveLive(store, all);
      expect(await blockCount(dayFile(baseDir, SEALED))).toBe(240);
      const before = await store.findBySymbol('LTCUSDT', 'binance', '1m');
      const sealedBytes = (await stat(dayFile(baseDir, SEALED))).size;
      const newestBytes = (await stat(dayFile(baseDir, NEWEST))).size;

      const report = await store.compact();
      expect(report).toEqual({
        partitions: 1,
        candles: 240,
        bytesBefore: sealedBytes,
        bytesAfter: expect.any(Number),
      });
      expect(report.bytesAfter).toBeLessThan(sealedBytes * 0.7);
      expect((await stat(dayFile(baseDir, SEALED))).size).toBe(report.bytesAfter);
      // 240 candles in blocks of at most 256: one block.
      expect(await blockCount(dayFile(baseDir, SEALED))).toBe(1);
      expect((await stat(dayFile(baseDir, NEWEST))).size).toBe(newestBytes);

      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(before);
      expect(before).toEqual(all);
      const iterated: FootprintCandleDTO[] = [];
      for await (const candle of store.iterate()) iterated.push(candle);
      expect(iterated).toEqual(all);
      // Nothing left to do: a second run rewrites nothing.
      expect((await store.compact()).partitions).toBe(0);
      // The store goes on: an overwrite in the compacted day and a new candle.
      const changed = { ...all[5]!, c: all[5]!.c + 0.01 };
      expect(await store.save(changed)).toEqual({ written: 1, unchanged: 0 });
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m', { limit: 6 })).toEqual([
        ...all.slice(0, 5),
        changed,
      ]);
    } finally {
      await store.close();
    }
    const reopened = await BinaryStorageAdapter.open({ baseDir });
    try {
      const found = await reopened.findBySymbol('LTCUSDT', 'binance', '1m');
      expect(found).toHaveLength(250);
      expect(found.slice(6)).toEqual(all.slice(6));
      expect(reopened.health()).toEqual({ status: 'ok', problems: [], repairs: [] });
    } finally {
      await reopened.close();
    }
    expect((await verifyStore(baseDir)).healthy).toBe(true);
  });

  it('compacts in the background once a series moves on to its next partition', async () => {
    const baseDir = await tempDir();
    const all = candles(245);
    const store = await BinaryStorageAdapter.open({ baseDir });
    try {
      await saveLive(store, all);
      // The first save to the next day looked back: the sealed day is compacted without being asked.
      const deadline = Date.now() + 10_000;
      while ((await blockCount(dayFile(baseDir, SEALED))) > 1 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await blockCount(dayFile(baseDir, SEALED))).toBe(1);
      expect(await blockCount(dayFile(baseDir, NEWEST))).toBe(5);
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(all);
      expect(store.health().problems).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('live appends are written uncompressed when compaction compresses them once sealed; otherwise compressed', async () => {
    const codecs = async (path: string) => (await inspectFtcdFile(path)).blocks.map((block) => block.codec);
    const all = candles(245);
    const compacting = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir: compacting });
    try {
      await saveLive(store, all.slice(0, 230));
      // A saveMany across midnight: 10 candles appended to the sealed day, 5 to the next.
      await store.saveMany(all.slice(230, 245));
      // Sealed day: one-candle live blocks, then the 10-candle append, all raw columns.
      expect(await codecs(dayFile(compacting, SEALED))).toEqual(new Array(231).fill(CODEC_COLUMNAR_V1));
      // An append of 16 candles (UNCOMPRESSED_APPEND_BELOW) is compressed at once.
      await store.saveMany(candles(16, 12, START + 245 * MINUTE));
      expect(await codecs(dayFile(compacting, NEWEST))).toEqual([
        CODEC_COLUMNAR_V1,
        CODEC_COLUMNAR_V1_DEFLATE,
      ]);
      const deadline = Date.now() + 10_000;
      while ((await blockCount(dayFile(compacting, SEALED))) > 1 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      // Compacted: the sealed day's candles in one compressed block.
      expect(await codecs(dayFile(compacting, SEALED))).toEqual([CODEC_COLUMNAR_V1_DEFLATE]);
      expect((await store.findBySymbol('LTCUSDT', 'binance', '1m')).slice(0, 245)).toEqual(all);
    } finally {
      await store.close();
    }
    // Without compaction nothing would compress them later: every append is compressed now.
    const plain = await tempDir();
    const unsealed = await BinaryStorageAdapter.open({ baseDir: plain, compactSealedPartitions: false });
    try {
      await saveLive(unsealed, all.slice(0, 3));
      expect(await codecs(dayFile(plain, SEALED))).toEqual(new Array(3).fill(CODEC_COLUMNAR_V1_DEFLATE));
    } finally {
      await unsealed.close();
    }
  });

  it('a save to the sealed day while it is being compacted is never lost (the compaction gives up or comes first)', async () => {
    const baseDir = await tempDir();
    let expected = candles(250);
    const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    try {
      await saveLive(store, expected);
      const outcomes: number[] = [];
      for (let round = 0; round < 8; round += 1) {
        // Fragment the sealed day again (changed candles: a block each).
        const resaved = expected
          .slice(round * 20, round * 20 + 20)
          .map((candle) => ({ ...candle, n: candle.n + 1 }));
        await saveLive(store, resaved);
        expected = expected.map((candle, index) => resaved[index - round * 20] ?? candle);
        const target = (round * 37) % 240;
        const overwrite = { ...expected[target]!, c: expected[target]!.c + 1 };
        const compaction = store.compact();
        // Even rounds race the overwrite against the compaction; odd rounds let the compaction finish first.
        if (round % 2 === 1) outcomes.push((await compaction).partitions);
        await store.save(overwrite);
        if (round % 2 === 0) outcomes.push((await compaction).partitions);
        expected = expected.map((candle, index) => (index === target ? overwrite : candle));
        expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(expected);
      }
      // A racing save made the compaction give up (it never replaces a file that changed since it read it);
      // without the race it ran.
      expect(outcomes.filter((_, round) => round % 2 === 0)).toContain(0);
      expect(outcomes.filter((_, round) => round % 2 === 1)).toEqual([1, 1, 1, 1]);
    } finally {
      await store.close();
    }
    const reopened = await BinaryStorageAdapter.open({ baseDir });
    try {
      expect(await reopened.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(expected);
      expect(reopened.health()).toEqual({ status: 'ok', problems: [], repairs: [] });
    } finally {
      await reopened.close();
    }
  });

  it('readers (the writer itself and read-only stores) get exact answers while files are replaced', async () => {
    const baseDir = await tempDir();
    const symbols = ['LTCUSDT', 'BTCUSDT', 'ETHUSDT'];
    const bySymbol = new Map(
      symbols.map((symbol, k) => [
        symbol,
        generateFootprintCandles({
          seed: 40 + k,
          count: 250,
          bins: 8,
          symbol,
          tickValue: 0.01,
          startPrice: 90,
          emptyRatio: 0,
          startTime: START,
        }),
      ]),
    );
    const writer = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    // indexMemoryBytes 0: the reader's indexes are released and reloaded from the files all the time.
    const readers = [
      await BinaryStorageAdapter.open({ baseDir, readOnly: true }),
      await openStarvedReader(baseDir, { blockCacheBytes: 0 }),
    ];
    try {
      for (const list of bySymbol.values()) await saveLive(writer, list);
      for (const reader of readers) {
        for (const [symbol, list] of bySymbol)
          expect(await reader.findBySymbol(symbol, 'binance', '1m')).toEqual(list);
      }
      /** Exact answers from `store` until `running()` turns false (at least one round); returns the rounds. */
      const queries = async (store: BinaryStorageAdapter, running: () => boolean): Promise<number> => {
        let answered = 0;
        do {
          for (const [symbol, list] of bySymbol) {
            expect(await store.findBySymbol(symbol, 'binance', '1m', { startTime: list[100]!.t })).toEqual(
              list.slice(100),
            );
            const range = await store.findRange(symbol, 'binance', '1m', { endTime: list[239]!.t });
            expect(range.length).toBe(240);
            expect(range.candle(17)).toEqual(list[17]);
            answered += 1;
          }
          let count = 0;
          for await (const candle of store.iterate({ symbol: 'LTCUSDT' })) {
            expect(candle).toEqual(bySymbol.get('LTCUSDT')![count]);
            count += 1;
          }
          expect(count).toBe(250);
        } while (running());
        return answered;
      };
      let replaced = 0;
      const answered: number[] = [];
      for (let round = 0; round < 4; round += 1) {
        // Fragment every sealed day again (changed candles, a block each), with no query running.
        for (const [symbol, list] of bySymbol) {
          const resaved = list
            .slice(round * 40, round * 40 + 40)
            .map((candle) => ({ ...candle, n: candle.n + 1 }));
          await saveLive(writer, resaved);
          bySymbol.set(
            symbol,
            list.map((candle, index) => resaved[index - round * 40] ?? candle),
          );
        }
        // Then queries from every store while the writer replaces the files under them.
        let compacting = true;
        const checks = [writer, ...readers].map((store) => queries(store, () => compacting));
        // And readers opened meanwhile, which know the files only from their headers until they use them.
        checks.push(
          readFreshWhile(
            baseDir,
            () => compacting,
            (fresh) => queries(fresh, () => false),
          ),
        );
        replaced += (await writer.compact()).partitions;
        compacting = false;
        answered.push(...(await Promise.all(checks)));
      }
      expect(replaced).toBe(3 * 4);
      expect(answered.every((n) => n > 0)).toBe(true);
      for (const store of [writer, ...readers]) expect(store.health().problems).toEqual([]);
      // The readers follow the writer on the compacted files: a new candle shows up.
      const next = candles(1, 99, START + 250 * MINUTE)[0]!;
      await writer.save(next);
      for (const reader of readers) {
        expect(await reader.findLatest('LTCUSDT', 'binance', '1m', 1)).toEqual([next]);
      }
    } finally {
      for (const reader of readers) await reader.close();
      await writer.close();
    }
  });

  it('a query racing the swap, and an iteration across the replacement, start over and stay exact', async () => {
    const baseDir = await tempDir();
    // 100-bin candles, one block each (written with maxCandlesPerBlock 1): the sealed day is larger
    // than an iteration's 1 MiB read-ahead, so the iteration reads the file again after the swap.
    const all = generateFootprintCandles({
      seed: 3,
      count: 1450,
      bins: 100,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startPrice: 90,
      emptyRatio: 0,
      startTime: Date.UTC(2025, 5, 1),
    });
    const writer = await BinaryStorageAdapter.open({
      baseDir,
      maxCandlesPerBlock: 1,
      compactSealedPartitions: false,
    });
    await writer.saveMany(all);
    await writer.close();
    expect((await stat(dayFile(baseDir, SEALED))).size).toBeGreaterThan(1 << 20);

    const started: Promise<FootprintCandleDTO[]>[] = [];
    const store = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      blockCacheBytes: 0,
      probe: (point) => {
        // Started with the original's index just before the rename: its reads may find the copy.
        if (point === 'compact:synced') started.push(store.findBySymbol('LTCUSDT', 'binance', '1m'));
      },
    });
    try {
      const iterated: FootprintCandleDTO[] = [];
      const iterator = store.iterate({ symbol: 'LTCUSDT' })[Symbol.asyncIterator]();
      for (let k = 0; k < 100; k += 1) iterated.push((await iterator.next()).value as FootprintCandleDTO);
      expect((await store.compact()).partitions).toBe(1);
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        iterated.push(next.value);
      expect(iterated.length).toBe(all.length);
      expect(iterated).toEqual(all);
      expect(started).toHaveLength(1);
      expect(await started[0]).toEqual(all);
      expect(store.health().problems).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a read-only iteration reaching a file replaced since it started reads the compacted copy', async () => {
    const baseDir = await tempDir();
    // Three days of 1m candles, one block each: two sealed days to compact, the newest untouched.
    const all = generateFootprintCandles({
      seed: 5,
      count: 2 * 1440 + 60,
      bins: 4,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startPrice: 90,
      emptyRatio: 0,
      startTime: Date.UTC(2025, 5, 1),
    });
    const backfill = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 1 });
    await backfill.saveMany(all);
    await backfill.close();
    // Opened before the files are replaced, with no index kept whole: every file it reaches is loaded then.
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true, indexMemoryBytes: 0 });
    const writer = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    try {
      const iterator = reader.iterate({ symbol: 'LTCUSDT' })[Symbol.asyncIterator]();
      const iterated: FootprintCandleDTO[] = [(await iterator.next()).value as FootprintCandleDTO];
      // Both sealed days are replaced, the second before the iteration has touched it.
      expect((await writer.compact()).partitions).toBe(2);
      for (let next = await iterator.next(); !next.done; next = await iterator.next())
        iterated.push(next.value);
      expect(iterated.length).toBe(all.length);
      expect(iterated).toEqual(all);
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(all);
      expect(reader.health().problems).toEqual([]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a read-only refresh whose file is replaced between reading the appended bytes and using them reads the copy', async () => {
    const baseDir = await tempDir();
    const copyDir = await tempDir();
    // The sealed day saved live (a block per candle), and the next day.
    const all = candles(245);
    const writer = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    await saveLive(writer, all);
    let swap: (() => void) | undefined;
    // No index kept whole: the refresh below must reload the day's index from the file, and finds the copy.
    const reader = await BinaryStorageAdapter.open({
      baseDir,
      readOnly: true,
      indexMemoryBytes: 0,
      probe: (point, detail) => {
        if (point === 'refresh:read' && 'bytes' in detail && detail.path === dayFile(baseDir, SEALED)) {
          swap?.();
          swap = undefined;
        }
      },
    });
    try {
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(all);
      // The writer appends a new version of a sealed-day candle, then stops.
      const changed = { ...all[10]!, n: all[10]!.n + 1 };
      await writer.save(changed);
      await writer.close();
      const expected = all.map((candle, index) => (index === 10 ? changed : candle));
      // The compacted copy of the day as it is now, made elsewhere and put beside it.
      await cp(baseDir, copyDir, { recursive: true });
      const compactor = await BinaryStorageAdapter.open({ baseDir: copyDir, compactSealedPartitions: false });
      expect((await compactor.compact()).partitions).toBe(1);
      await compactor.close();
      await copyFile(dayFile(copyDir, SEALED), `${dayFile(baseDir, SEALED)}.copy`);
      // Right after the reader has read the appended block, the copy replaces the file (as compaction
      // renames), and the reader's idle handle of the original is closed, as its pool does when a store
      // has more files than maxOpenFiles (white box): reloading the released index opens the copy.
      swap = () => {
        renameSync(`${dayFile(baseDir, SEALED)}.copy`, dayFile(baseDir, SEALED));
        void (Reflect.get(reader, 'pool') as { evict(path: string): Promise<void> }).evict(
          dayFile(baseDir, SEALED),
        );
      };
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(expected);
      expect(swap).toBeUndefined();
      expect(reader.health().problems).toEqual([]);
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(expected);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('readers of every kind stay exact while the writer re-saves sealed candles and compacts their day over and over', async () => {
    const baseDir = await tempDir();
    const all = candles(250);
    const writer = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    await writer.saveMany(all);
    /** Every version of every candle ever saved, by open time (a reader may see any of them). */
    const versions = new Map(all.map((candle) => [candle.t, new Set([JSON.stringify(candle)])]));
    const latest = new Map(all.map((candle) => [candle.t, candle]));
    const readers = [
      await BinaryStorageAdapter.open({ baseDir, readOnly: true }),
      await openStarvedReader(baseDir, { blockCacheBytes: 0 }),
    ];
    const expectKnown = (found: readonly FootprintCandleDTO[]) => {
      expect(found).toHaveLength(all.length);
      for (const candle of found) expect(versions.get(candle.t)?.has(JSON.stringify(candle))).toBe(true);
    };
    let writing = true;
    const read = async (store: BinaryStorageAdapter): Promise<number> => {
      let rounds = 0;
      while (writing || rounds === 0) {
        expectKnown(await store.findBySymbol('LTCUSDT', 'binance', '1m'));
        const iterated: FootprintCandleDTO[] = [];
        for await (const candle of store.iterate({ symbol: 'LTCUSDT' })) iterated.push(candle);
        expectKnown(iterated);
        const range = await store.findRange('LTCUSDT', 'binance', '1m', { endTime: all[239]!.t });
        expectKnown([...range.toArray(), ...all.slice(240)]);
        rounds += 1;
      }
      return rounds;
    };
    try {
      const reading = [
        ...readers.map(read),
        readFreshWhile(
          baseDir,
          () => writing,
          async (fresh) => expectKnown(await fresh.findBySymbol('LTCUSDT', 'binance', '1m')),
        ),
      ];
      let compactions = 0;
      // Re-saves of sealed-day candles (a block each, appended to the sealed file), a compaction every 5.
      for (let save = 1; save <= 60; save += 1) {
        const index = (save * 37) % 240;
        const changed = { ...latest.get(all[index]!.t)!, n: all[index]!.n + save };
        versions.get(changed.t)!.add(JSON.stringify(changed));
        latest.set(changed.t, changed);
        await writer.save(changed);
        if (save % 5 === 0) compactions += (await writer.compact()).partitions;
      }
      writing = false;
      const rounds = await Promise.all(reading);
      expect(compactions).toBe(12);
      expect(rounds.every((n) => n > 0)).toBe(true);
      const final = [...latest.values()].sort((a, b) => a.t - b.t);
      for (const reader of readers) {
        expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(final);
        expect(reader.health().problems).toEqual([]);
      }
    } finally {
      writing = false;
      for (const reader of readers) await reader.close();
      await writer.close();
    }
  });

  it('a compaction that fails leaves the original in use: explicit calls reject, background ones report a problem until one succeeds', async () => {
    const baseDir = await tempDir();
    const all = candles(245);
    const store = await BinaryStorageAdapter.open({ baseDir });
    try {
      // A directory where the copy would be written: opening the copy fails (EISDIR).
      const blocker = `${dayFile(baseDir, SEALED)}.tmp`;
      await saveLive(store, all.slice(0, 240));
      await mkdir(blocker);
      await saveLive(store, all.slice(240));
      const deadline = Date.now() + 10_000;
      while (store.health().problems.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.health().problems).toEqual([
        expect.objectContaining({
          code: 'FTCD_COMPACTION_FAILED',
          message: expect.stringContaining('EISDIR'),
        }),
      ]);
      expect(store.health().status).toBe('degraded');
      await expect(store.compact()).rejects.toMatchObject({ code: 'EISDIR' });
      expect(await blockCount(dayFile(baseDir, SEALED))).toBe(240);
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(all);
      // Cleared: the next compaction works and the problem is gone.
      await rm(blocker, { recursive: true });
      expect((await store.compact()).partitions).toBe(1);
      expect(store.health()).toEqual({ status: 'ok', problems: [], repairs: [] });
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(all);
    } finally {
      await store.close();
    }
  });
});
