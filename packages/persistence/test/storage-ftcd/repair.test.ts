import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { encodeBlock } from '../../src/shared/storage/ftcd/ftcdLayout';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { expectSameCandles } from '../contract/candleAssertions';
import { runTs } from '../service/childProcess';
import { useTempDirs } from './helpers';

const DAY = Date.UTC(2025, 5, 1);
const KILLED_REPAIR = join(import.meta.dirname, 'fixtures', 'repairKillWriter.ts');

function dayCandles(count: number, seed = 1): FootprintCandleDTO[] {
  return generateFootprintCandles({ seed, count, startTime: DAY, bins: { min: 1, max: 6 }, emptyRatio: 0 });
}

const read = (store: BinaryStorageAdapter) => store.findBySymbol('BTCUSDT', 'binance', '1m');

/**
 * A closed store whose one file holds 4 blocks: candles 0-2, 3-5, 6-8, then a
 * newer version of candle 6. Blocks 1 and 3 get a flipped payload bit, and a
 * crash-cut append (30 bytes) ends the file. Reads return candles 0-2 and 6-8
 * (candle 6 in its older version, block 3 being unreadable).
 */
async function damagedStore(baseDir: string) {
  const candles = dayCandles(9);
  const newer6 = { ...candles[6]!, n: candles[6]!.n + 7 };
  const store = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 3, compression: false });
  for (const part of [candles.slice(0, 3), candles.slice(3, 6), candles.slice(6, 9), [newer6]])
    await store.saveMany(part);
  await store.close();
  const path = join(baseDir, 'binance', 'BTCUSDT', '1m', '2025-06-01.ftcd');
  const { blocks } = await inspectFtcdFile(path);
  expect(blocks).toHaveLength(4);
  const image = await readFile(path);
  const damaged = Buffer.concat([image, image.subarray(blocks[1]!.offset, blocks[1]!.offset + 30)]);
  damaged[blocks[1]!.offset + 50]! ^= 0x04;
  damaged[blocks[3]!.offset + 60]! ^= 0x20;
  await writeFile(path, damaged);
  const readable = [...candles.slice(0, 3), ...candles.slice(6)];
  return { candles, newer6, path, damaged, blocks, readable, imageLength: image.length };
}

async function damagedCopies(path: string): Promise<string[]> {
  const name = path.slice(dirname(path).length + 1);
  return (await readdir(dirname(path)))
    .filter((entry) => entry.startsWith(`${name}.damaged-`))
    .map((entry) => join(dirname(path), entry));
}

describe('.ftcd repair of quarantined partitions', () => {
  const tempDir = useTempDirs();

  it('rewrites a file with damaged blocks: reads unchanged, writable again, the original kept byte for byte', async () => {
    const baseDir = await tempDir();
    const { candles, newer6, path, damaged, blocks, readable, imageLength } = await damagedStore(baseDir);
    const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expectSameCandles(await read(store), readable);
      expectSameCandles(await read(reader), readable);
      expect(store.problems().map((problem) => [problem.code, problem.offset])).toEqual([
        ['FTCD_CORRUPT_BLOCK', blocks[1]!.offset],
        ['FTCD_CORRUPT_BLOCK', blocks[3]!.offset],
      ]);
      await expect(store.save(candles[3]!)).rejects.toMatchObject({ code: 'FLOWTRACE_FTCD_QUARANTINED' });

      const dropped = [
        {
          offset: blocks[1]!.offset,
          bytes: blocks[1]!.totalLength,
          reason: 'corrupt',
          candleCount: 3,
          firstOpenTime: candles[3]!.t,
          lastOpenTime: candles[5]!.t,
        },
        {
          offset: blocks[3]!.offset,
          bytes: blocks[3]!.totalLength,
          reason: 'corrupt',
          candleCount: 1,
          firstOpenTime: newer6.t,
          lastOpenTime: newer6.t,
        },
        { offset: imageLength, bytes: 30, reason: 'torn-tail' },
      ];
      const dryRun = await store.repair({ dryRun: true });
      expect(dryRun).toMatchObject({
        dryRun: true,
        files: [{ path, action: 'rewritten', candles: 6, blocks: 2, dropped }],
      });
      expect(dryRun.files[0]!.damagedCopy).toBeUndefined();
      expect(dryRun.files[0]!.problems.map((problem) => problem.code)).toEqual([
        'FTCD_CORRUPT_BLOCK',
        'FTCD_CORRUPT_BLOCK',
      ]);
      expect((await readFile(path)).equals(damaged)).toBe(true);
      expect(await damagedCopies(path)).toEqual([]);
      await expect(store.save(candles[3]!)).rejects.toMatchObject({ code: 'FLOWTRACE_FTCD_QUARANTINED' });

      const report = await store.repair();
      expect(report).toMatchObject({
        dryRun: false,
        files: [{ path, action: 'rewritten', candles: 6, dropped }],
      });
      const { damagedCopy, bytesAfter } = report.files[0]!;
      expect(await damagedCopies(path)).toEqual([damagedCopy]);
      expect((await readFile(damagedCopy!)).equals(damaged)).toBe(true);
      expect((await readFile(path)).length).toBe(bytesAfter);

      // Reads return what they returned before; the partition is healthy and takes saves.
      expectSameCandles(await read(store), readable);
      expect(store.problems()).toEqual([]);
      expect(store.health().status).toBe('ok');
      expectSameCandles(await read(reader), readable);
      expect(await store.saveMany(candles.slice(3, 6))).toEqual({ written: 3, unchanged: 0 });
      expect(await store.save(newer6)).toEqual({ written: 1, unchanged: 0 });
      const all = [...candles.slice(0, 6), newer6, ...candles.slice(7)];
      expectSameCandles(await read(store), all);
      expect((await store.repair()).files).toEqual([]);
    } finally {
      await reader.close();
      await store.close();
    }
    const reopened = await BinaryStorageAdapter.open({ baseDir });
    try {
      expect(reopened.problems()).toEqual([]);
      expectSameCandles(await read(reopened), [...candles.slice(0, 6), newer6, ...candles.slice(7)]);
    } finally {
      await reopened.close();
    }
    const verification = await verifyStore(baseDir);
    expect(verification.healthy).toBe(true);
  });

  it('sets aside a file whose header is unusable; its partition starts empty and the bytes are kept', async () => {
    const baseDir = await tempDir();
    const { candles, path, damaged } = await damagedStore(baseDir);
    const headerDamaged = Buffer.from(damaged);
    headerDamaged[10]! ^= 0x10;
    await writeFile(path, headerDamaged);
    const store = await BinaryStorageAdapter.open({ baseDir });
    try {
      expect(store.problems().map((problem) => problem.code)).toEqual(['FTCD_BAD_FILE_HEADER']);
      expect(await read(store)).toEqual([]);
      const report = await store.repair();
      expect(report.files).toMatchObject([
        {
          path,
          action: 'set-aside',
          candles: 0,
          blocks: 0,
          bytesBefore: headerDamaged.length,
          bytesAfter: 0,
        },
      ]);
      expect(existsSync(path)).toBe(false);
      expect((await readFile(report.files[0]!.damagedCopy!)).equals(headerDamaged)).toBe(true);
      expect(store.problems()).toEqual([]);
      expect(await store.saveMany(candles)).toEqual({ written: 9, unchanged: 0 });
      expectSameCandles(await read(store), candles);
    } finally {
      await store.close();
    }
    expect((await verifyStore(baseDir)).healthy).toBe(true);
  });

  it('with checkEveryBlock, finds and leaves out a CRC-valid block no read has decoded yet', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(9);
    const writer = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 3, compression: false });
    for (let first = 0; first < 9; first += 3) await writer.saveMany(candles.slice(first, first + 3));
    await writer.close();
    const path = join(baseDir, 'binance', 'BTCUSDT', '1m', '2025-06-01.ftcd');
    const bad = (await inspectFtcdFile(path)).blocks[1]!;
    // What a faulty writer could leave: a valid header and CRC over a payload of garbage.
    const image = await readFile(path);
    image.set(encodeBlock({ ...bad, codec: 2 }, new Uint8Array(bad.payloadLength).fill(0xff)), bad.offset);
    await writeFile(path, image);

    const store = await BinaryStorageAdapter.open({ baseDir });
    try {
      // Headers alone look sound: the file is not quarantined, so a plain repair has nothing to do.
      expect(store.problems()).toEqual([]);
      expect((await store.repair()).files).toEqual([]);
      const report = await store.repair({ checkEveryBlock: true });
      expect(report.files).toMatchObject([
        {
          path,
          action: 'rewritten',
          candles: 6,
          problems: [],
          dropped: [{ offset: bad.offset, bytes: bad.totalLength, reason: 'bad-content', candleCount: 3 }],
        },
      ]);
      expectSameCandles(await read(store), [...candles.slice(0, 3), ...candles.slice(6)]);
      expect(store.problems()).toEqual([]);
    } finally {
      await store.close();
    }
    expect((await verifyStore(baseDir)).healthy).toBe(true);
  });

  it('leaves a healthy store alone', async () => {
    const baseDir = await tempDir();
    const store = await BinaryStorageAdapter.open({ baseDir, maxCandlesPerBlock: 3 });
    try {
      await store.saveMany(dayCandles(9));
      const path = join(baseDir, 'binance', 'BTCUSDT', '1m', '2025-06-01.ftcd');
      const before = await readFile(path);
      expect(await store.repair({ checkEveryBlock: true })).toEqual({ dryRun: false, files: [] });
      expect((await readFile(path)).equals(before)).toBe(true);
    } finally {
      await store.close();
    }
    const readOnly = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      await expect(readOnly.repair()).rejects.toMatchObject({ code: 'FLOWTRACE_STORAGE_READ_ONLY' });
    } finally {
      await readOnly.close();
    }
  });

  it.each([
    ['repair:synced', 'the copy is complete as .tmp, the original still at its path'],
    ['repair:renamed', 'the copy replaced the original, its directory not fsynced'],
  ])(
    'SIGKILL at %s (%s): nothing readable is lost and the repair completes',
    async (point) => {
      const baseDir = await tempDir();
      const { path, damaged, readable } = await damagedStore(baseDir);
      const run = await runTs(KILLED_REPAIR, [baseDir, point], 60_000);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(run.stdout).not.toContain('DONE');
      const copies = await damagedCopies(path);
      expect(copies).toHaveLength(1);
      expect((await readFile(copies[0]!)).equals(damaged)).toBe(true);

      const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
      try {
        expectSameCandles(await read(store), readable);
        expect(existsSync(`${path}.tmp`)).toBe(false);
        if (point === 'repair:synced') {
          // The original is back in charge (quarantined again); a second repair finishes the job.
          expect(store.problems()).toHaveLength(2);
          expect((await store.repair()).files).toHaveLength(1);
          expect(await damagedCopies(path)).toHaveLength(2);
        } else {
          expect(store.problems()).toEqual([]);
          expect((await store.repair({ checkEveryBlock: true })).files).toEqual([]);
        }
        expectSameCandles(await read(store), readable);
        expect(store.problems()).toEqual([]);
      } finally {
        await store.close();
      }
      expect((await verifyStore(baseDir)).healthy).toBe(true);
    },
    60_000,
  );
});
