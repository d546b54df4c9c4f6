import { existsSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import type { CandleStoragePort } from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { backupStore } from '../../src/shared/storage/backup/backupStore';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { expectSameCandles } from '../contract/candleAssertions';
import { runTs } from '../service/childProcess';
import { ltcCandlesFrom, ltcDayFile, useTempDirs } from './helpers';

const DAY = Date.UTC(2025, 5, 1);
const LIVE_WRITER = join(import.meta.dirname, 'fixtures', 'backupLiveWriter.ts');

async function readAll(store: CandleStoragePort): Promise<FootprintCandleDTO[]> {
  const all: FootprintCandleDTO[] = [];
  for await (const candle of store.iterate()) all.push(candle);
  return all;
}

async function contentsOf(baseDir: string, useDatabase = false): Promise<FootprintCandleDTO[]> {
  const store = await openCandleStore({ baseDir, useDatabase, readOnly: true });
  try {
    return await readAll(store);
  } finally {
    await store.close();
  }
}

describe('backupStore', () => {
  const tempDir = useTempDirs();

  it('copies a .ftcd store, then only what the files gained; a rewritten file whole; a torn tail left out', async () => {
    const baseDir = await tempDir();
    const backup = join(await tempDir(), 'backup');
    const twoDays = ltcCandlesFrom(DAY, 2 * 1440, 3, 6);
    let expected: FootprintCandleDTO[] = [];
    // No partition file created ahead: the file list below is the candles' days.
    const writer = await BinaryStorageAdapter.open({
      baseDir,
      compactSealedPartitions: false,
      createPartitionsAhead: false,
    });
    try {
      await writer.saveMany(twoDays.slice(0, 1500));
      await writeFile(join(baseDir, 'rejected-candles.jsonl'), '{"reason":"x"}\n');
      const first = await backupStore(baseDir, backup);
      expect(first.files.map((f) => [f.path, f.kind, f.mode])).toEqual([
        [join('binance', 'LTCUSDT', '1m', '2025-06-01.ftcd'), 'ftcd', 'copied'],
        [join('binance', 'LTCUSDT', '1m', '2025-06-02.ftcd'), 'ftcd', 'copied'],
        ['rejected-candles.jsonl', 'other', 'copied'],
      ]);
      // The writer's lock is not copied: the backup opens as a store of its own.
      expect(existsSync(join(backup, '.ftcd-writer.lock'))).toBe(false);
      expectSameCandles(await contentsOf(backup), twoDays.slice(0, 1500));

      // Saves go on (appends to both days): the next backup appends only the new blocks.
      const resaved = { ...twoDays[5]!, n: twoDays[5]!.n + 1 };
      await writer.save(resaved);
      for (const candle of twoDays.slice(1500, 1510)) await writer.save(candle);
      expected = [...twoDays.slice(0, 5), resaved, ...twoDays.slice(6, 1510)];
      const day2 = ltcDayFile(baseDir, '2025-06-02');
      const before = (await stat(ltcDayFile(backup, '2025-06-02'))).size;
      const second = await backupStore(baseDir, backup);
      expect(second.files.map((f) => f.mode)).toEqual(['appended', 'appended', 'unchanged']);
      expect(second.files[1]!.bytes).toBe((await stat(day2)).size - before);
      expectSameCandles(await contentsOf(backup), expected);

      // An append in flight (a torn tail) is left out of the copy.
      const { blocks } = await inspectFtcdFile(day2);
      const last = blocks[blocks.length - 1]!;
      const image = await readFile(day2);
      await appendFile(day2, image.subarray(last.offset, last.offset + last.totalLength - 5));
      const third = await backupStore(baseDir, backup);
      expect(third.files.map((f) => f.mode)).toEqual(['unchanged', 'unchanged', 'unchanged']);
      expect((await verifyStore(backup)).healthy).toBe(true);
      await writeFile(day2, image);

      // Day 1 rewritten by compaction (it holds a superseded version): its copy is replaced whole.
      expect((await writer.compact({ force: true })).partitions).toBe(1);
    } finally {
      await writer.close();
    }
    const fourth = await backupStore(baseDir, backup);
    expect(fourth.files.map((f) => f.mode)).toEqual(['copied', 'unchanged', 'unchanged']);
    expectSameCandles(await contentsOf(backup), expected);
    const verification = await verifyStore(backup);
    expect(verification.healthy).toBe(true);
  });

  it('copies the rejected-candles log up to its last whole line (a line mid-append is left out), other files whole', async () => {
    const baseDir = await tempDir();
    const backup = join(await tempDir(), 'backup');
    const log = join(baseDir, 'rejected-candles.jsonl');
    const whole = `${'{"reason":"high below low","candle":{}}\n'.repeat(3_000)}`;
    const partial = '{"reason":"x","cand';
    await writeFile(log, whole + partial);
    await writeFile(join(baseDir, 'notes.txt'), 'no newline at the end');
    const first = await backupStore(baseDir, backup);
    expect(first.files.map((f) => [f.path, f.mode, f.bytes])).toEqual([
      ['notes.txt', 'copied', 21],
      ['rejected-candles.jsonl', 'copied', whole.length],
    ]);
    expect(await readFile(join(backup, 'rejected-candles.jsonl'), 'utf8')).toBe(whole);
    expect(await readFile(join(backup, 'notes.txt'), 'utf8')).toBe('no newline at the end');
    // The line completed: the next backup takes it. A log with no whole line copies as empty.
    await appendFile(log, 'le":{}}\n');
    await backupStore(baseDir, backup);
    expect(await readFile(join(backup, 'rejected-candles.jsonl'), 'utf8')).toBe(
      `${whole}${partial}le":{}}\n`,
    );
    // A partial line longer than one read-back chunk (64 KiB).
    await writeFile(log, `{"a":1}\n${'y'.repeat(150_000)}`);
    await backupStore(baseDir, backup);
    expect(await readFile(join(backup, 'rejected-candles.jsonl'), 'utf8')).toBe('{"a":1}\n');
    await writeFile(log, partial);
    await backupStore(baseDir, backup);
    expect(await readFile(join(backup, 'rejected-candles.jsonl'), 'utf8')).toBe('');
  });

  it('copies a damaged .ftcd file byte for byte and says so', async () => {
    const baseDir = await tempDir();
    const backup = join(await tempDir(), 'backup');
    const store = await BinaryStorageAdapter.open({
      baseDir,
      maxCandlesPerBlock: 3,
      createPartitionsAhead: false,
    });
    await store.saveMany(ltcCandlesFrom(DAY, 9, 4, 3));
    await store.close();
    const file = ltcDayFile(baseDir, '2025-06-01');
    const bytes = await readFile(file);
    bytes[(await inspectFtcdFile(file)).blocks[1]!.offset + 50]! ^= 0x08;
    await writeFile(file, bytes);
    const report = await backupStore(baseDir, backup);
    expect(report.files).toMatchObject([{ mode: 'copied', damaged: expect.stringMatching(/CRC/) }]);
    expect((await readFile(ltcDayFile(backup, '2025-06-01'))).equals(bytes)).toBe(true);
  });

  it('copies a SQLite store with the online backup while it is open for writing', async () => {
    const baseDir = await tempDir();
    const backup = join(await tempDir(), 'backup');
    const candles = ltcCandlesFrom(DAY, 300, 5, 4);
    const writer = await openCandleStore({ baseDir, useDatabase: true });
    try {
      await writer.saveMany(candles.slice(0, 200));
      const report = await backupStore(baseDir, backup);
      expect(report.files.map((f) => [f.path, f.kind, f.mode])).toEqual([
        ['candles-flatbuffers.db', 'sqlite', 'copied'],
      ]);
      await writer.saveMany(candles.slice(200));
    } finally {
      await writer.close();
    }
    expectSameCandles(await contentsOf(backup, true), candles.slice(0, 200));
  });

  it('refuses a destination inside the store, and a store that does not exist', async () => {
    const baseDir = await tempDir();
    await expect(backupStore(baseDir, join(baseDir, 'backup'))).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_BACKUP_TARGET',
    });
    await expect(backupStore(baseDir, baseDir)).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_BACKUP_TARGET',
    });
    await expect(backupStore(join(baseDir, 'nope'), join(await tempDir(), 'b'))).rejects.toMatchObject({
      code: 'FLOWTRACE_STORE_NOT_FOUND',
    });
  });

  it('while another process saves without pause: every candle acknowledged before the backup is in it, and it opens clean', async () => {
    const baseDir = await tempDir();
    const backup = join(await tempDir(), 'backup');
    const candles = ltcCandlesFrom(DAY, 3000, 6, 8);
    const acks = join(await tempDir(), 'acks');
    const child = runTs(LIVE_WRITER, [baseDir, acks], 60_000);
    const acknowledged = async (): Promise<number> => {
      const marks = (await readFile(acks, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
      return marks.length === 0 ? 0 : Number(marks[marks.length - 1]);
    };
    let rounds = 0;
    while (rounds < 5) {
      const before = await acknowledged();
      if (before < 50) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      await backupStore(baseDir, backup);
      const copied = await contentsOf(backup);
      // Every candle acknowledged before the backup started is in it. Files are copied one after
      // the other while saves go on, so a later day may hold more than an earlier one got: the
      // copy is not always a prefix, but every candle in it is one that was saved, identical.
      const copiedTimes = new Set(copied.map((candle) => candle.t));
      expect(candles.slice(0, before).filter((candle) => !copiedTimes.has(candle.t))).toEqual([]);
      const byTime = new Map(candles.map((candle) => [candle.t, candle]));
      expectSameCandles(
        copied,
        copied.map((candle) => byTime.get(candle.t)!),
      );
      expect((await verifyStore(backup)).healthy).toBe(true);
      rounds += 1;
    }
    const run = await child;
    expect(run.code, run.stderr).toBe(0);
  }, 60_000);
});
