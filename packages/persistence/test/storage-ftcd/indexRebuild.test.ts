import { readFile } from 'node:fs/promises';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { decodeFileHeader } from '../../src/shared/storage/ftcd/ftcdLayout';
import type { PartitionFile } from '../../src/shared/storage/ftcd/PartitionFile';
import { type ScanResult, scanBlocks } from '../../src/shared/storage/ftcd/scanBlocks';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const START = Date.UTC(2025, 0, 1);

/**
 * One day of `count` 1s candles of one bin, written live-style: one block per
 * candle (`maxCandlesPerBlock: 1`), so the day file holds `count` blocks.
 */
async function writeOneSecondDay(baseDir: string, count: number): Promise<void> {
  const store = await BinaryStorageAdapter.open({
    baseDir,
    maxCandlesPerBlock: 1,
    compactSealedPartitions: false,
    createPartitionsAhead: false,
  });
  const candles = generateFootprintCandles({
    seed: 7,
    count,
    bins: 1,
    timeframe: '1s',
    symbol: 'ONESUSDT',
    tickValue: 0.01,
    startPrice: 90,
    emptyRatio: 0,
    startTime: START,
  });
  for (let k = 0; k < candles.length; k += 5_000) await store.saveMany(candles.slice(k, k + 5_000));
  await store.close();
}

/** The store's (only) partition file (white box: the index rebuild is what is tested). */
function onlyPartition(store: BinaryStorageAdapter): PartitionFile {
  const series = Reflect.get(store, 'series') as Map<string, { partitions: Map<string, PartitionFile> }>;
  const files = [...series.values()].flatMap((state) => [...state.partitions.values()]);
  expect(files).toHaveLength(1);
  return files[0]!;
}

/** Flips one bit in the payload of the block at `offset` (its block CRC then fails). */
function damagePayload(bytes: Uint8Array, block: { offset: number; totalLength: number }): void {
  bytes[block.offset + block.totalLength - 2]! ^= 0x10;
}

/** Scans `bytes` in slices of `maxBlocks` valid blocks, resuming where each slice stopped. */
function scanInSlices(bytes: Uint8Array, start: number, maxBlocks: number): Omit<ScanResult, 'resumeAt'> {
  const blocks: ScanResult['blocks'] = [];
  const corruptions: ScanResult['corruptions'] = [];
  let position = start;
  let sequence = 0;
  for (;;) {
    const scan = scanBlocks(bytes, position, sequence, 0, maxBlocks);
    expect(scan.blocks.length).toBeLessThanOrEqual(maxBlocks);
    blocks.push(...scan.blocks);
    corruptions.push(...scan.corruptions);
    if (scan.resumeAt === undefined)
      return {
        blocks,
        corruptions,
        tornTailAt: scan.tornTailAt,
        validEnd: scan.validEnd,
        nextSequence: scan.nextSequence,
      };
    position = scan.resumeAt;
    sequence = scan.nextSequence;
  }
}

describe('.ftcd index rebuilt on first use, in slices', () => {
  const tempDir = useTempDirs();

  it('a scan resumed slice by slice finds exactly what one scan finds, damage included', async () => {
    const baseDir = await tempDir();
    await writeOneSecondDay(baseDir, 300);
    const store = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    await store.listSeries(); // a reader loads its series when first used
    const path = onlyPartition(store).path;
    await store.close();
    const pristine = new Uint8Array(await readFile(path));
    const headerLength = decodeFileHeader(pristine).length;
    const blocks = scanBlocks(pristine, headerLength, 0).blocks;
    expect(blocks).toHaveLength(300);
    // A bad block CRC, a block cut out (sequence gap) and a torn last block.
    const removed = blocks[200]!;
    const damaged = new Uint8Array(pristine.length - removed.totalLength - 5);
    damaged.set(pristine.subarray(0, removed.offset));
    damaged.set(pristine.subarray(removed.offset + removed.totalLength, pristine.length - 5), removed.offset);
    damagePayload(damaged, blocks[100]!);

    const whole = scanBlocks(damaged, headerLength, 0);
    expect(whole.corruptions.map((corruption) => corruption.reason)).toEqual([
      'bad-block-crc',
      'sequence-gap',
    ]);
    expect(whole.tornTailAt).toBeDefined();
    expect(whole.blocks).toHaveLength(297);
    const { resumeAt, ...expected } = whole;
    expect(resumeAt).toBeUndefined();
    for (const maxBlocks of [1, 2, 7, 99, 100, 256]) {
      expect(scanInSlices(damaged, headerLength, maxBlocks), `slices of ${maxBlocks}`).toEqual(expected);
    }
  });

  it('a large file is indexed in slices that let the event loop run, to the index one pass makes', async () => {
    const baseDir = await tempDir();
    const count = 30_000;
    await writeOneSecondDay(baseDir, count);
    const store = await BinaryStorageAdapter.open({ baseDir });
    const file = onlyPartition(store);
    // Opened from its headers: a summary, the keys come on first use.
    expect(file.index.resident).toBe(false);
    const bytes = new Uint8Array(await readFile(file.path));

    let pauses = 0;
    const rebuilt = await file.rebuildIndex(bytes, async () => {
      pauses += 1;
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    // 30,000 CRC-checked blocks take far longer than one 4 ms slice on any machine.
    expect(pauses).toBeGreaterThan(0);
    expect(rebuilt.problems).toEqual([]);
    const { index } = rebuilt;
    expect([index.size, index.firstTime, index.lastTime]).toEqual([count, START, START + (count - 1) * 1000]);
    for (const k of [0, 1, 255, 256, 257, 12_345, count - 1]) {
      const position = index.positionOf(START + k * 1000);
      expect(index.timeAt(position)).toBe(START + k * 1000);
      expect(index.blockAt(position).sequence).toBe(k);
    }

    // The same through the store: the first query builds it, and reads the latest candle.
    const [latest] = await store.findLatest('ONESUSDT', 'binance', '1s', 1);
    expect(latest?.t).toBe(START + (count - 1) * 1000);
    expect(file.index.resident).toBe(true);
    expect(file.index.size).toBe(count);
    await store.close();
  });

  it('damage met in a later slice is reported, and every other block is indexed', async () => {
    const baseDir = await tempDir();
    const count = 20_000;
    await writeOneSecondDay(baseDir, count);
    const store = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    await store.listSeries(); // a reader loads its series when first used
    const file = onlyPartition(store);
    const bytes = new Uint8Array(await readFile(file.path));
    await store.close();
    const block = scanBlocks(bytes, decodeFileHeader(bytes).length, 0).blocks[15_000]!;
    damagePayload(bytes, block);

    const { index, problems } = await file.rebuildIndex(
      bytes,
      () => new Promise((resolve) => setImmediate(resolve)),
    );
    expect(problems).toEqual([
      expect.objectContaining({ code: 'FTCD_CORRUPT_BLOCK', offset: block.offset, path: file.path }),
    ]);
    expect(index.size).toBe(count - 1);
    expect(index.positionOf(START + 15_000 * 1000)).toBe(-1);
    expect(index.timeAt(index.positionOf(START + 15_001 * 1000))).toBe(START + 15_001 * 1000);
  });

  it('saves, overwrites and queries that arrive while the index is being built in slices are all exact', async () => {
    const baseDir = await tempDir();
    const count = 30_000;
    await writeOneSecondDay(baseDir, count);
    const all = generateFootprintCandles({
      seed: 7,
      count: count + 100,
      bins: 1,
      timeframe: '1s',
      symbol: 'ONESUSDT',
      tickValue: 0.01,
      startPrice: 90,
      emptyRatio: 0,
      startTime: START,
    });
    const store = await BinaryStorageAdapter.open({
      baseDir,
      maxCandlesPerBlock: 1,
      compactSealedPartitions: false,
      createPartitionsAhead: false,
    });
    try {
      const file = onlyPartition(store);
      expect(file.index.resident).toBe(false);
      // All at once: the first of them starts the build, the others wait for it or run between slices.
      const replaced = { ...all[123]!, c: all[123]!.c + 1 };
      const [firstQuery, , , latest, saved] = await Promise.all([
        store.findBySymbol('ONESUSDT', 'binance', '1s', { startTime: START, endTime: START + 9_000 }),
        store.saveMany(all.slice(count, count + 50)),
        store.save(replaced),
        store.findLatest('ONESUSDT', 'binance', '1s', 3),
        store.saveMany(all.slice(count + 50)),
      ]);
      expectSameCandles(firstQuery, all.slice(0, 10));
      expect(saved).toEqual({ written: 50, unchanged: 0 });
      // The latest candles are either the day's end or the new ones, depending on when the query ran.
      expect([
        START + (count - 1) * 1000,
        START + (count + 49) * 1000,
        START + (count + 99) * 1000,
      ]).toContain(latest.at(-1)!.t);
      expect(file.index.size).toBe(count + 100);
      const expected = all.map((candle, k) => (k === 123 ? replaced : candle));
      expectSameCandles(await store.findBySymbol('ONESUSDT', 'binance', '1s'), expected);
      expect(store.health()).toMatchObject({ status: 'ok', problems: [] });
    } finally {
      await store.close();
    }
    const reopened = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    expect((await reopened.listSeries())[0]).toMatchObject({ count: count + 100 });
    expectSameCandles(
      await reopened.findBySymbol('ONESUSDT', 'binance', '1s', { startTime: START + 123_000, limit: 1 }),
      [{ ...all[123]!, c: all[123]!.c + 1 }],
    );
    await reopened.close();
  });
});
