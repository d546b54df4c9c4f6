import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { PartitionQuarantinedError } from '../../src/shared/storage/errors/StorageErrors';
import { encodeBlock } from '../../src/shared/storage/ftcd/ftcdLayout';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { BinarySerializer } from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const DAY = Date.UTC(2025, 5, 1);

type BlockReportEntry = Awaited<ReturnType<typeof inspectFtcdFile>>['blocks'][number];

function dayCandles(count: number, seed = 1): FootprintCandleDTO[] {
  return generateFootprintCandles({ seed, count, startTime: DAY, bins: { min: 1, max: 6 }, emptyRatio: 0 });
}

/** A closed store with one partition file written in several blocks; returns its path and contents. */
async function writeStore(baseDir: string, candles: FootprintCandleDTO[], perBlock: number) {
  const store = await BinaryStorageAdapter.open({
    baseDir,
    maxCandlesPerBlock: perBlock,
    compression: false,
  });
  for (let first = 0; first < candles.length; first += perBlock)
    await store.saveMany(candles.slice(first, first + perBlock));
  await store.close();
  const path = join(baseDir, 'binance', 'BTCUSDT', '1m', '2025-06-01.ftcd');
  const report = await inspectFtcdFile(path);
  expect(report.healthy).toBe(true);
  return { path, image: await readFile(path), report };
}

/** A closed store of 3 candles in one file whose header has a flipped bit (quarantined on open). */
async function storeWithDamagedHeader(baseDir: string) {
  const candles = dayCandles(3);
  const { path, image } = await writeStore(baseDir, candles, 3);
  const damaged = Buffer.from(image);
  damaged[10]! ^= 0x10;
  await writeFile(path, damaged);
  return { candles, path, damaged };
}

/**
 * Opens `baseDir` as a writer whose only file holds `candles` with one damaged
 * block that opening does not see: no problem and the full count on open, then
 * the first read returns `kept`, reports `problem` and quarantines the file.
 */
async function expectFoundOnFirstUse(
  baseDir: string,
  candles: FootprintCandleDTO[],
  kept: FootprintCandleDTO[],
  problem: { code: string; offset: number },
): Promise<void> {
  const store = await BinaryStorageAdapter.open({ baseDir });
  expect(store.problems()).toEqual([]);
  expect((await store.listSeries())[0]!.count).toBe(candles.length);
  expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), kept);
  expect(store.problems()).toMatchObject([problem]);
  expect(store.health().status).not.toBe('healthy');
  await expect(store.save({ ...candles[0]!, n: candles[0]!.n + 1 })).rejects.toMatchObject({
    code: 'FLOWTRACE_FTCD_QUARANTINED',
  });
  await store.close();
}

describe('.ftcd recovery: torn tails', () => {
  const tempDir = useTempDirs();

  it('truncates a last block cut at EVERY byte offset, loses nothing acknowledged before it, and accepts writes', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(9);
    const { path, image, report } = await writeStore(baseDir, candles, 3);
    const last = report.blocks[report.blocks.length - 1]!;
    expect(report.blocks).toHaveLength(3);
    const before = candles.slice(0, 6);
    for (let cut = last.offset; cut < image.length; cut += 1) {
      await writeFile(path, image.subarray(0, cut));
      // A reader beside the (crashed) writer stops at the tail and changes nothing.
      const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
      expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m'), before);
      expect(reader.problems()).toEqual([]);
      await reader.close();
      expect((await stat(path)).size).toBe(cut);

      const writer = await BinaryStorageAdapter.open({ baseDir });
      expect(writer.problems()).toEqual([]);
      const repairs = writer.health().repairs;
      if (cut === last.offset) expect(repairs).toEqual([]);
      else
        expect(repairs).toEqual([
          { kind: 'torn-tail-truncated', path, offset: last.offset, bytes: cut - last.offset },
        ]);
      expect((await stat(path)).size).toBe(last.offset);
      expectSameCandles(await writer.findBySymbol('BTCUSDT', 'binance', '1m'), before);
      expect(await writer.saveMany(candles.slice(6))).toEqual({ written: 3, unchanged: 0 });
      expectSameCandles(await writer.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
      await writer.close();
    }
  }, 120_000);

  it('treats a zero-filled tail (size extended, data never written) as torn', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(4);
    const { path, image } = await writeStore(baseDir, candles, 2);
    await writeFile(path, Buffer.concat([image, Buffer.alloc(300)]));
    const writer = await BinaryStorageAdapter.open({ baseDir });
    expect(writer.problems()).toEqual([]);
    expect((await stat(path)).size).toBe(image.length);
    expectSameCandles(await writer.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
    await writer.close();
  });

  it('removes a leftover .tmp of a file whose creation crashed before the rename', async () => {
    const baseDir = await tempDir();
    const { path } = await writeStore(baseDir, dayCandles(2), 2);
    await writeFile(`${path.replace('2025-06-01', '2025-06-02')}.tmp`, Buffer.from('FTCD partial'));
    const writer = await BinaryStorageAdapter.open({ baseDir });
    expect(writer.health().repairs.map((repair) => repair.kind)).toEqual(['temporary-file-removed']);
    expect(writer.problems()).toEqual([]);
    await writer.close();
  });
});

describe('.ftcd recovery: corruption is detected, reported and quarantined, never truncated', () => {
  const tempDir = useTempDirs();

  it('detects single-bit flips in every block (header and payload bytes) and keeps the other blocks readable', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(12);
    const { path, image, report } = await writeStore(baseDir, candles, 3);
    expect(report.blocks).toHaveLength(4);
    let flips = 0;
    for (const [blockIndex, block] of report.blocks.entries()) {
      const positions = [
        0,
        5,
        9,
        14,
        20,
        32,
        37,
        41,
        44,
        Math.floor(block.totalLength / 2),
        block.totalLength - 1,
      ];
      for (const position of positions) {
        for (const bit of [0, 7]) {
          const damaged = Buffer.from(image);
          damaged[block.offset + position]! ^= 1 << bit;
          await writeFile(path, damaged);
          const writer = await BinaryStorageAdapter.open({ baseDir });
          const problems = writer.problems();
          expect(problems.length, `flip at block ${blockIndex} byte ${position} bit ${bit}`).toBeGreaterThan(
            0,
          );
          expect(problems[0]).toMatchObject({ code: 'FTCD_CORRUPT_BLOCK', path, offset: block.offset });
          expect(writer.health().status).toBe('degraded');
          expect((await stat(path)).size).toBe(image.length);
          const survivors = candles.filter((_, index) => Math.floor(index / 3) !== blockIndex);
          const firstDay = { endTime: DAY + 86_399_999 };
          expectSameCandles(await writer.findBySymbol('BTCUSDT', 'binance', '1m', firstDay), survivors);
          await expect(writer.save({ ...candles[0]!, n: 999 })).rejects.toMatchObject({
            code: 'FLOWTRACE_FTCD_QUARANTINED',
          });
          // Other partitions stay writable.
          const nextDayTime = DAY + 86_400_000 + flips * 60_000;
          const nextDay = { ...candles[0]!, t: nextDayTime, ct: nextDayTime + 59_999 };
          expect(await writer.save(nextDay)).toEqual({ written: 1, unchanged: 0 });
          await writer.close();
          const verification = await verifyStore(baseDir);
          expect(verification.unhealthy.map((file) => file.path)).toEqual([path]);
          await writeFile(path, image);
          flips += 1;
        }
      }
    }
    expect(flips).toBe(4 * 11 * 2);
  }, 120_000);

  it('quarantines a file whose header is damaged and reports it', async () => {
    const baseDir = await tempDir();
    const { candles, path, damaged } = await storeWithDamagedHeader(baseDir);
    const writer = await BinaryStorageAdapter.open({ baseDir });
    expect(writer.problems()).toMatchObject([{ code: 'FTCD_BAD_FILE_HEADER', path }]);
    await expect(writer.save(candles[0]!)).rejects.toMatchObject({ code: 'FLOWTRACE_FTCD_QUARANTINED' });
    expect((await readFile(path)).equals(damaged)).toBe(true);
    await writer.close();
  });

  it('a saveMany reaching a quarantined partition saves its other candles and names the refused ones', async () => {
    const baseDir = await tempDir();
    const { candles, path, damaged } = await storeWithDamagedHeader(baseDir);
    const nextDay = (k: number) => ({
      ...candles[k]!,
      t: candles[k]!.t + 86_400_000,
      ct: candles[k]!.ct + 86_400_000,
    });
    const other = { ...candles[1]!, s: 'ETHUSDT' };
    const writer = await BinaryStorageAdapter.open({ baseDir });
    try {
      // Input positions 1 and 3 fall into the quarantined day.
      const input = [nextDay(0), { ...candles[1]!, n: 7 }, other, { ...candles[2]!, n: 8 }, nextDay(1)];
      const error = await writer.saveMany(input).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(PartitionQuarantinedError);
      expect(error).toMatchObject({
        code: 'FLOWTRACE_FTCD_QUARANTINED',
        refusedIndexes: [1, 3],
        saved: { written: 3, unchanged: 0 },
        path,
      });
      expect((error as Error).message).toMatch(/2 candles refused/);
      // Saving the same input again: the saved ones are no-ops, the refused ones refused again.
      await expect(writer.saveMany(input)).rejects.toMatchObject({ saved: { written: 0, unchanged: 3 } });
    } finally {
      await writer.close();
    }
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    try {
      expectSameCandles(await reader.findBySymbol('ETHUSDT', 'binance', '1m'), [other]);
      const secondDay = { startTime: DAY + 86_400_000 };
      expectSameCandles(await reader.findBySymbol('BTCUSDT', 'binance', '1m', secondDay), [
        nextDay(0),
        nextDay(1),
      ]);
    } finally {
      await reader.close();
    }
    expect((await readFile(path)).equals(damaged)).toBe(true);
  });

  it('finds a block whose CRC is valid but whose payload does not decode when the index is first built', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(9);
    const { path, image, report } = await writeStore(baseDir, candles, 3);
    // What a faulty writer could leave: block 1's header and a valid CRC over a payload of garbage.
    const bad = report.blocks[1]!;
    const garbage = new Uint8Array(bad.payloadLength).fill(0xff);
    const forged = encodeBlock({ ...bad, codec: 2 }, garbage);
    expect(forged.length).toBe(bad.totalLength);
    const damaged = Buffer.from(image);
    damaged.set(forged, bad.offset);
    await writeFile(path, damaged);

    // Blocks in time order: opening reads only their headers (and checks every CRC). First use
    // decodes the payloads: the block is skipped, reported and the file quarantined.
    await expectFoundOnFirstUse(baseDir, candles, [...candles.slice(0, 3), ...candles.slice(6)], {
      code: 'FTCD_BAD_BLOCK_CONTENT',
      offset: bad.offset,
    });
    expect(Buffer.compare(await readFile(path), damaged)).toBe(0);
  });

  for (const [what, forge] of [
    [
      'open times out of order',
      (bad: BlockReportEntry, three: FootprintCandleDTO[]) =>
        encodeBlock(bad, BinarySerializer.encodeBlock([three[2]!, three[0]!, three[1]!], false).payload),
    ],
    [
      'open times other than its header says',
      (bad: BlockReportEntry, three: FootprintCandleDTO[]) =>
        encodeBlock(
          { ...bad, firstOpenTime: bad.firstOpenTime + 30_000 },
          BinarySerializer.encodeBlock(three, false).payload,
        ),
    ],
  ] as const) {
    it(`finds a CRC-valid block whose payload decodes to ${what} when the index is first built`, async () => {
      const baseDir = await tempDir();
      const candles = dayCandles(9);
      const { path, image, report } = await writeStore(baseDir, candles, 3);
      const bad = report.blocks[1]!;
      const forged = forge(bad, candles.slice(3, 6));
      const damaged = Buffer.concat([
        image.subarray(0, bad.offset),
        forged,
        image.subarray(bad.offset + bad.totalLength),
      ]);
      await writeFile(path, damaged);
      await expectFoundOnFirstUse(baseDir, candles, [...candles.slice(0, 3), ...candles.slice(6)], {
        code: 'FTCD_BAD_BLOCK_CONTENT',
        offset: bad.offset,
      });
    });
  }

  it('finds a one-candle block whose payload does not decode when a read decodes it', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(3);
    const { path, image, report } = await writeStore(baseDir, candles, 1);
    const bad = report.blocks[1]!;
    const forged = encodeBlock({ ...bad, codec: 2 }, new Uint8Array(bad.payloadLength).fill(0xff));
    const damaged = Buffer.from(image);
    damaged.set(forged, bad.offset);
    await writeFile(path, damaged);

    const store = await BinaryStorageAdapter.open({ baseDir });
    // A block of one candle is indexed from its header: its payload is first decoded by a read.
    expect(await store.findLatest('BTCUSDT', 'binance', '1m', 1)).toHaveLength(1);
    expect(store.problems()).toEqual([]);
    await expect(store.findBySymbol('BTCUSDT', 'binance', '1m')).rejects.toMatchObject({
      code: 'FLOWTRACE_FTCD_DECODE',
    });
    expect(store.problems()).toMatchObject([{ code: 'FTCD_BAD_BLOCK_CONTENT', offset: bad.offset }]);
    await expect(store.save({ ...candles[0]!, n: candles[0]!.n + 1 })).rejects.toMatchObject({
      code: 'FLOWTRACE_FTCD_QUARANTINED',
    });
    // The other blocks stay readable.
    expectSameCandles(
      await store.findBySymbol('BTCUSDT', 'binance', '1m', { endTime: candles[0]!.t }),
      candles.slice(0, 1),
    );
    await store.close();
  });

  it('fails a read with a typed error when a block is damaged after open', async () => {
    const baseDir = await tempDir();
    const candles = dayCandles(6);
    const { path, image, report } = await writeStore(baseDir, candles, 3);
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true, blockCacheBytes: 0 });
    // Its index is built on first use: a read now, so the damage below comes after it.
    expect(await reader.findLatest('BTCUSDT', 'binance', '1m', 1)).toHaveLength(1);
    const damaged = Buffer.from(image);
    damaged[report.blocks[1]!.offset + 60]! ^= 4;
    await writeFile(path, damaged);
    await expect(reader.findBySymbol('BTCUSDT', 'binance', '1m')).rejects.toMatchObject({
      code: 'FLOWTRACE_FTCD_CORRUPT_BLOCK',
    });
    expect(reader.problems()).toMatchObject([
      { code: 'FTCD_CORRUPT_BLOCK', offset: report.blocks[1]!.offset },
    ]);
    await reader.close();
  });
});

describe('.ftcd recovery: files over 64 KiB are opened from their block headers', () => {
  const tempDir = useTempDirs();
  /** Four uncompressed blocks of 100 candles of 50 bins: ~200 KB, well over the whole-read size. */
  const largeDay = () =>
    generateFootprintCandles({ seed: 9, count: 400, startTime: DAY, bins: 50, emptyRatio: 0 });

  it('reads a healthy file exactly, and a damaged middle payload is found on first use', async () => {
    const baseDir = await tempDir();
    const candles = largeDay();
    const { path, image, report } = await writeStore(baseDir, candles, 100);
    expect(image.length).toBeGreaterThan(3 * 64 * 1024);
    expect(report.blocks).toHaveLength(4);

    const healthy = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    expect((await healthy.listSeries())[0]!.count).toBe(400);
    expectSameCandles(await healthy.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
    await healthy.close();

    const damaged = Buffer.from(image);
    damaged[report.blocks[1]!.offset + 5000]! ^= 1;
    await writeFile(path, damaged);
    // Only the headers and the last block were read on open; building the index on first use
    // checks every block: skipped, reported, quarantined.
    await expectFoundOnFirstUse(baseDir, candles, [...candles.slice(0, 100), ...candles.slice(200)], {
      code: 'FTCD_CORRUPT_BLOCK',
      offset: report.blocks[1]!.offset,
    });
    expect(Buffer.compare(await readFile(path), damaged)).toBe(0);
  });

  it('a damaged last block or block header, and a torn tail, are found on open as in a small file', async () => {
    const baseDir = await tempDir();
    const candles = largeDay();
    const { path, image, report } = await writeStore(baseDir, candles, 100);
    const last = report.blocks[3]!;

    const cases: { name: string; bytes: Buffer; problem?: { code: string; offset: number } }[] = [];
    const lastPayload = Buffer.from(image);
    lastPayload[last.offset + 5000]! ^= 1;
    cases.push({
      name: 'last payload',
      bytes: lastPayload,
      problem: { code: 'FTCD_CORRUPT_BLOCK', offset: last.offset },
    });
    const middleHeader = Buffer.from(image);
    middleHeader[report.blocks[2]!.offset + 20]! ^= 1;
    cases.push({
      name: 'middle header',
      bytes: middleHeader,
      problem: { code: 'FTCD_CORRUPT_BLOCK', offset: report.blocks[2]!.offset },
    });
    cases.push({ name: 'torn tail', bytes: Buffer.from(image.subarray(0, last.offset + 1000)) });

    for (const { name, bytes, problem } of cases) {
      await writeFile(path, bytes);
      const store = await BinaryStorageAdapter.open({ baseDir });
      if (problem) {
        expect(store.problems(), name).toMatchObject([problem]);
        expect((await stat(path)).size, name).toBe(bytes.length);
      } else {
        expect(store.problems(), name).toEqual([]);
        expect(store.health().repairs, name).toEqual([
          { kind: 'torn-tail-truncated', path, offset: last.offset, bytes: 1000 },
        ]);
        expect((await stat(path)).size, name).toBe(last.offset);
        expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), candles.slice(0, 300));
      }
      await store.close();
    }
  });
});
