import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import Database from 'better-sqlite3';
import { ByteBuffer } from 'flatbuffers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CandleTransformer } from '../../src/shared/storage/CandleTransformer';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { Candle } from '../../src/shared/storage/serialization/flatbuffer/generated/flow-trace/flat-buffers/candle';
import { readCandleInPlace } from '../../src/shared/storage/serialization/flatbuffer/readCandleInPlace';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { SqliteCandleDatabase } from '../../src/shared/storage/sqlite/SqliteCandleDatabase';
import { expectSameCandles } from '../contract/candleAssertions';
import { CALLS_PER_ROUND, CANDLES_PER_CALL } from './fixtures/crashPlan';
import { LineCollector, spawnTs, waitForExit } from './fixtures/spawnTs';
import { useTempDirs } from './fixtures/tempDir';

const tempDir = useTempDirs();
const WRITER = join(import.meta.dirname, 'fixtures', 'sqliteWriterChild.ts');
const EXCHANGE_WRITER = join(import.meta.dirname, 'fixtures', 'sqliteExchangeWriterChild.ts');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SQLiteFlatBufferStorage', () => {
  it('honours walMode, synchronous=FULL, cacheSize and mmapSize on every connection', async () => {
    const wal = await SQLiteFlatBufferStorage.open({
      baseDir: tempDir(),
      cacheSize: 2048,
      mmapSize: 1 << 20,
    });
    const rollback = await SQLiteFlatBufferStorage.open({ baseDir: tempDir(), walMode: false, mmapSize: 0 });
    try {
      expect(wal.diagnostics()).toMatchObject([
        {
          journalMode: 'wal',
          synchronous: 2,
          cacheSizeKb: 2048,
          mmapSize: 1 << 20,
          pageSize: 16_384,
          readOnly: false,
        },
      ]);
      expect(rollback.diagnostics()).toMatchObject([{ journalMode: 'delete', synchronous: 2, mmapSize: 0 }]);
    } finally {
      await wal.close();
      await rollback.close();
    }
  });

  it('organizeByExchange keeps one database per exchange under baseDir/{exchange}/', async () => {
    const baseDir = tempDir();
    const storage = await SQLiteFlatBufferStorage.open({ baseDir, organizeByExchange: true });
    const binance = generateFootprintCandles({ seed: 1, count: 5, bins: 3 });
    const bybit = generateFootprintCandles({ seed: 2, count: 5, bins: 3, exchange: 'bybit' });
    try {
      expect(await storage.saveMany([...binance, ...bybit])).toEqual({ written: 10, unchanged: 0 });
      expect(existsSync(join(baseDir, 'binance', 'candles-flatbuffers.db'))).toBe(true);
      expect(existsSync(join(baseDir, 'bybit', 'candles-flatbuffers.db'))).toBe(true);
      expect(existsSync(join(baseDir, 'candles-flatbuffers.db'))).toBe(false);
      expect(storage.diagnostics().map((d) => d.path)).toEqual([
        join(baseDir, 'binance', 'candles-flatbuffers.db'),
        join(baseDir, 'bybit', 'candles-flatbuffers.db'),
      ]);
      expectSameCandles(await storage.findBySymbol('BTCUSDT', 'bybit', '1m'), bybit);
    } finally {
      await storage.close();
    }
  });

  it('group commit: saves issued in one tick share one transaction and each gets its own result', async () => {
    const storage = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const candles = generateFootprintCandles({ seed: 3, count: 50, bins: 4 });
    const apply = vi.spyOn(SqliteCandleDatabase.prototype, 'apply');
    try {
      const results = await Promise.all([...candles, candles[0]!].map((candle) => storage.save(candle)));
      expect(apply).toHaveBeenCalledTimes(1);
      expect(results.slice(0, 50)).toEqual(candles.map(() => ({ written: 1, unchanged: 0 })));
      // The repeat of candle 0 in the same group sees the first: a no-op.
      expect(results[50]).toEqual({ written: 0, unchanged: 1 });
    } finally {
      await storage.close();
    }
  });

  it('a failing transaction rejects every save of its group, keeps none of it, and the store goes on', async () => {
    const baseDir = tempDir();
    const storage = await SQLiteFlatBufferStorage.open({ baseDir });
    const good = generateFootprintCandles({ seed: 6, count: 3, bins: 2 });
    const poisoned = generateFootprintCandles({ seed: 7, count: 1, bins: 2, symbol: 'FAILUSDT' });
    // A real SQLite error inside the commit, injected from another connection.
    const other = new Database(join(baseDir, 'candles-flatbuffers.db'));
    other.exec(`CREATE TRIGGER fail_insert BEFORE INSERT ON fb_candles WHEN NEW.symbol = 'FAILUSDT'
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    try {
      const outcomes = await Promise.allSettled([
        storage.save(good[0]!),
        storage.saveMany(poisoned),
        storage.save(good[1]!),
      ]);
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          status: 'rejected',
          reason: { code: 'FLOWTRACE_STORAGE_WRITE_FAILED', retryable: true },
        });
      }
      expect(await storage.listSeries()).toEqual([]);
      other.exec('DROP TRIGGER fail_insert');
      expect(await storage.saveMany(good)).toEqual({ written: 3, unchanged: 0 });
      expectSameCandles(await storage.findBySymbol('BTCUSDT', 'binance', '1m'), good);
      expect(storage.integrityCheck()).toEqual(['ok']);
    } finally {
      other.close();
      await storage.close();
    }
  });

  it('refuses text UTF-8 cannot hold exactly (a lone surrogate) rather than store U+FFFD; other text round-trips', async () => {
    const storage = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const [good, other] = generateFootprintCandles({ seed: 10, count: 2, bins: 2 });
    try {
      for (const bad of [
        { ...other!, a: 'x\uD800y' },
        { ...other!, e: '\uDC00' },
        { ...other!, tz: 'UTC\uD83D' },
      ]) {
        const saving = storage.saveMany([good!, bad]);
        await expect(saving).rejects.toMatchObject({ code: 'FLOWTRACE_FLATBUFFER_UNENCODABLE' });
        await expect(saving).rejects.toThrow(/not well-formed UTF-16/);
      }
      expect(await storage.listSeries()).toEqual([]);
      const astral = { ...other!, a: 'BTC \u{1F680} \u00E9\u0000"' };
      await storage.saveMany([good!, astral]);
      expectSameCandles(await storage.findBySymbol('BTCUSDT', 'binance', '1m'), [good!, astral]);
    } finally {
      await storage.close();
    }
  });

  it('stores a candle whose FlatBuffer is over 64 KiB exactly: first save of the store, after others, after reopening', async () => {
    const baseDir = tempDir();
    const [wide] = generateFootprintCandles({ seed: 21, count: 1, bins: 1000, symbol: 'WIDE' });
    const small = generateFootprintCandles({ seed: 22, count: 3, bins: 3, symbol: 'WIDE' }).map(
      (candle, k) => ({
        ...candle,
        t: wide!.t + 60_000 * (k + 1),
        ct: wide!.t + 60_000 * (k + 2) - 1,
      }),
    );
    const [wider] = generateFootprintCandles({ seed: 23, count: 1, bins: 5000, symbol: 'WIDE' });
    const widerLater = { ...wider!, t: wide!.t + 60_000 * 10, ct: wide!.t + 60_000 * 11 - 1 };
    const store = await SQLiteFlatBufferStorage.open({ baseDir });
    try {
      // A fresh store's first save is the large one (its encoder has never grown), then small
      // ones, then one larger still, in one batch with a small one.
      await store.save(wide!);
      await store.saveMany(small);
      await store.saveMany([small[0]!, widerLater]);
      const expected = [wide!, ...small, widerLater];
      expectSameCandles(await store.findBySymbol('WIDE', wide!.ex, '1m', {}), expected);
      await store.close();
      const reopened = await openCandleStore({ baseDir, useDatabase: true, readOnly: true });
      try {
        expectSameCandles(await reopened.findBySymbol('WIDE', wide!.ex, '1m', {}), expected);
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
    }
  });

  it('a row whose blob is another candle (or no candle) fails reads with FLOWTRACE_FLATBUFFER_CORRUPT naming the row', async () => {
    const baseDir = tempDir();
    const candles = generateFootprintCandles({ seed: 24, count: 3, bins: 4, symbol: 'DMG' });
    const store = await SQLiteFlatBufferStorage.open({ baseDir });
    await store.saveMany(candles);
    await store.close();
    const [first, second] = candles as [FootprintCandleDTO, FootprintCandleDTO];
    const damage = (sql: string) => {
      const db = new Database(join(baseDir, 'candles-flatbuffers.db'));
      try {
        db.prepare(sql).run(second.t);
      } finally {
        db.close();
      }
    };
    const where = `${second.ex}:DMG:${second.i}:${second.t}`;
    // What a writer bug left: the row of `second` holding the blob of `first`.
    damage(
      `UPDATE fb_candles SET data = (SELECT data FROM fb_candles WHERE open_time = ${first.t}) WHERE open_time = ?`,
    );
    const reader = await openCandleStore({ baseDir, useDatabase: true, readOnly: true });
    try {
      const damaged = {
        code: 'FLOWTRACE_FLATBUFFER_CORRUPT',
        message: expect.stringContaining(
          `The candle stored as ${where} decodes as ${first.ex}:DMG:${first.i}:${first.t}`,
        ),
      };
      await expect(reader.findBySymbol('DMG', second.ex, '1m')).rejects.toMatchObject(damaged);
      await expect(reader.findLatest('DMG', second.ex, '1m', 3)).rejects.toMatchObject(damaged);
      const drain = async () => {
        for await (const _ of reader.iterate()) {
        }
      };
      await expect(drain()).rejects.toMatchObject(damaged);
      // The rows around it still read.
      expectSameCandles(await reader.findBySymbol('DMG', second.ex, '1m', { endTime: first.t }), [first]);
    } finally {
      await reader.close();
    }
    damage(`UPDATE fb_candles SET data = x'00000000' WHERE open_time = ?`);
    const again = await openCandleStore({ baseDir, useDatabase: true, readOnly: true });
    try {
      await expect(again.findBySymbol('DMG', second.ex, '1m')).rejects.toMatchObject({
        code: 'FLOWTRACE_FLATBUFFER_CORRUPT',
        message: expect.stringContaining(`The candle stored as ${where}: `),
      });
    } finally {
      await again.close();
    }
  });

  it('refuses a candle with a field of the wrong type, keeping nothing of its batch', async () => {
    const storage = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const [good, other] = generateFootprintCandles({ seed: 9, count: 2, bins: 2 });
    try {
      for (const bad of [
        { ...other!, o: '1.5' as unknown as number },
        { ...other!, x: 1 as unknown as boolean },
        { ...other!, aggs: [{ tp: 1, bv: 1, sv: 0, v: '1' as unknown as number }] },
      ]) {
        await expect(storage.saveMany([good!, bad])).rejects.toMatchObject({
          code: 'FLOWTRACE_CANDLE_NOT_STORABLE',
        });
      }
      expect(await storage.listSeries()).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('never turns an unsafe exchange name into a path when reading', async () => {
    const baseDir = tempDir();
    const storage = await SQLiteFlatBufferStorage.open({
      baseDir: join(baseDir, 'store'),
      organizeByExchange: true,
    });
    const outside = await SQLiteFlatBufferStorage.open({ baseDir });
    try {
      await outside.saveMany(generateFootprintCandles({ seed: 8, count: 1, bins: 1 }));
      // baseDir/candles-flatbuffers.db exists: '..' must not reach it. No store can hold an
      // exchange of that name, so the read is refused (as a save of it), before any path is made.
      const invalidKey = { code: 'FLOWTRACE_INVALID_CANDLE_KEY' };
      await expect(storage.findBySymbol('BTCUSDT', '..', '1m')).rejects.toMatchObject(invalidKey);
      await expect(storage.findLatest('BTCUSDT', '..', '1m', 1)).rejects.toMatchObject(invalidKey);
      await expect(storage.findBlobsBySymbol('BTCUSDT', '..', '1m')).rejects.toMatchObject(invalidKey);
      await expect(storage.findBlobsBySymbol('BTCUSDT', 'binance', '1M' as '1m')).rejects.toThrow(
        /timeframe "1M" is not one of/,
      );
      expect(await storage.findBySymbol('BTCUSDT', 'kraken', '1m')).toEqual([]);
      expect(await storage.findBlobsBySymbol('BTCUSDT', 'kraken', '1m')).toEqual([]);
    } finally {
      await storage.close();
      await outside.close();
    }
  });

  it('findBlobsBySymbol hands out the stored FlatBuffers for zero-copy reads', async () => {
    const storage = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const candles = generateFootprintCandles({ seed: 10, count: 6, bins: 3 });
    try {
      await storage.saveMany(candles);
      const blobs = await storage.findBlobsBySymbol('BTCUSDT', 'binance', '1m', {
        startTime: candles[1]!.t,
        order: 'desc',
        limit: 3,
      });
      const closes = blobs.map((blob) => readCandleInPlace(blob).c());
      expect(closes).toEqual([candles[5]!.c, candles[4]!.c, candles[3]!.c]);
      expect(await storage.findBlobsBySymbol('BTCUSDT', 'binance', '1m', { limit: 0 })).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('stores the documented layout: one FlatBuffer Candle per fb_candles row, series in fb_series', async () => {
    const baseDir = tempDir();
    const storage = await SQLiteFlatBufferStorage.open({ baseDir });
    const candles = generateFootprintCandles({ seed: 4, count: 3, bins: 5 });
    await storage.saveMany(candles);
    await storage.close();
    const db = new Database(join(baseDir, 'candles-flatbuffers.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT key, value FROM flowtrace_meta ORDER BY key').all()).toEqual([
        { key: 'format', value: 'flowtrace-sqlite-flatbuffers' },
        { key: 'version', value: '1' },
      ]);
      const rows = db
        .prepare<
          [],
          { exchange: string; symbol: string; timeframe: string; open_time: number; data: Buffer }
        >('SELECT exchange, symbol, timeframe, open_time, data FROM fb_candles ORDER BY open_time')
        .all();
      const transformer = new CandleTransformer();
      expect(rows.map((row) => [row.exchange, row.symbol, row.timeframe, row.open_time])).toEqual(
        candles.map((c) => [c.ex, c.s, c.i, c.t]),
      );
      expectSameCandles(
        rows.map((row) => transformer.readCandle(Candle.getRootAsCandle(new ByteBuffer(row.data))).candle),
        candles,
      );
      expect(db.prepare('SELECT * FROM fb_series').all()).toEqual([
        {
          exchange: 'binance',
          symbol: 'BTCUSDT',
          timeframe: '1m',
          first_open_time: candles[0]!.t,
          last_open_time: candles[2]!.t,
          candle_count: 3,
        },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses a database file of another format and invalid options, with typed errors', async () => {
    const baseDir = tempDir();
    const foreign = new Database(join(baseDir, 'candles-flatbuffers.db'));
    foreign.exec('CREATE TABLE flowtrace_meta (key TEXT PRIMARY KEY, value TEXT)');
    foreign.prepare('INSERT INTO flowtrace_meta VALUES (?, ?)').run('format', 'something-else');
    foreign.close();
    await expect(SQLiteFlatBufferStorage.open({ baseDir })).rejects.toMatchObject({
      code: 'FLOWTRACE_SQLITE_FORMAT',
    });
    const garbageDir = tempDir();
    writeFileSync(join(garbageDir, 'candles-flatbuffers.db'), 'not a database at all, just text');
    await expect(SQLiteFlatBufferStorage.open({ baseDir: garbageDir })).rejects.toThrow();
    await expect(SQLiteFlatBufferStorage.open({ baseDir: '' })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
    });
    await expect(SQLiteFlatBufferStorage.open({ baseDir, cacheSize: -1 })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
    });
  });

  it('readOnly: nothing to read is FLOWTRACE_STORE_NOT_FOUND, as for the .ftcd store (not a format error)', async () => {
    const baseDir = tempDir();
    const notFound = { code: 'FLOWTRACE_STORE_NOT_FOUND', retryable: false };
    for (const organizeByExchange of [false, true]) {
      await expect(
        openCandleStore({
          baseDir: join(baseDir, 'missing'),
          useDatabase: true,
          organizeByExchange,
          readOnly: true,
        }),
      ).rejects.toMatchObject(notFound);
      await expect(
        openCandleStore({ baseDir: join(baseDir, 'missing'), useDatabase: false, readOnly: true }),
      ).rejects.toMatchObject(notFound);
    }
    writeFileSync(join(baseDir, 'a-file'), 'not a store');
    await expect(
      openCandleStore({
        baseDir: join(baseDir, 'a-file'),
        useDatabase: true,
        organizeByExchange: true,
        readOnly: true,
      }),
    ).rejects.toMatchObject(notFound);
    // A directory without the database: no writer ever opened it.
    await expect(openCandleStore({ baseDir, useDatabase: true, readOnly: true })).rejects.toMatchObject(
      notFound,
    );
  });

  it('organizeByExchange: a reader opens beside a live writer process before its first save, and sees every exchange it creates', async () => {
    const baseDir = join(tempDir(), 'store');
    const child = spawnTs(EXCHANGE_WRITER, [baseDir]);
    const lines = new LineCollector(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      await lines.waitFor(() => lines.lines.includes('ready'));
      // Before: the writer created nothing until its first save, so this failed (FLOWTRACE_SQLITE_FORMAT).
      const reader = await openCandleStore({
        baseDir,
        useDatabase: true,
        organizeByExchange: true,
        readOnly: true,
      });
      try {
        expect(await reader.listSeries()).toEqual([]);
        expect(await reader.findBySymbol('BTCUSDT', 'binance', '1m')).toEqual([]);
        for (const [index, exchange] of ['binance', 'bybit'].entries()) {
          child.stdin.write(`${exchange}\n`);
          await lines.waitFor(() => lines.lines.includes(`saved ${exchange}`));
          expect((await reader.listSeries()).map((series) => [series.exchange, series.count])).toEqual(
            ['binance', 'bybit'].slice(0, index + 1).map((name) => [name, 3]),
          );
          expect(await reader.findLatest('BTCUSDT', exchange, '1m', 5)).toHaveLength(3);
        }
      } finally {
        await reader.close();
      }
      child.stdin.end();
      expect(await waitForExit(child), stderr).toEqual({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('readOnly: needs an existing database, refuses saves, and reads while another process writes (WAL)', async () => {
    const baseDir = tempDir();
    await expect(SQLiteFlatBufferStorage.open({ baseDir, readOnly: true })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORE_NOT_FOUND',
    });
    expect(existsSync(join(baseDir, 'candles-flatbuffers.db'))).toBe(false);
    const child = spawnTs(WRITER, [baseDir, '0', '300']);
    const lines = new LineCollector(child);
    try {
      await lines.waitFor(() => lines.lines.length >= 4);
      const reader = await SQLiteFlatBufferStorage.open({ baseDir, readOnly: true });
      try {
        expect(reader.diagnostics()[0]).toMatchObject({ readOnly: true, journalMode: 'wal' });
        await expect(reader.save(generateFootprintCandles({ seed: 5, count: 1 })[0]!)).rejects.toMatchObject({
          code: 'FLOWTRACE_STORAGE_READ_ONLY',
        });
        let previous = 0;
        let growing = 0;
        for (let attempt = 0; attempt < 20 && child.exitCode === null; attempt++) {
          const [series] = await reader.listSeries();
          const count = series?.count ?? 0;
          expect(count).toBeGreaterThanOrEqual(previous);
          if (count > previous) growing += 1;
          previous = count;
          const latest = await reader.findLatest('BTCUSDT', 'binance', '1m', 5);
          expect(latest.length).toBeGreaterThan(0);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        expect(growing).toBeGreaterThan(1);
      } finally {
        await reader.close();
      }
    } finally {
      child.kill('SIGKILL');
      await waitForExit(child);
    }
  });

  it('two writer processes on one database both succeed (the second waits for the write lock)', async () => {
    const baseDir = tempDir();
    const rounds = 15;
    const writers = [
      spawnTs(WRITER, [baseDir, '0', String(rounds)]),
      spawnTs(WRITER, [baseDir, '1', String(rounds)]),
    ];
    const stderr = ['', ''];
    writers.forEach((child, index) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr[index] += chunk.toString();
      });
    });
    const exits = await Promise.all(writers.map((child) => waitForExit(child)));
    expect(exits, stderr.join('\n')).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    const storage = await SQLiteFlatBufferStorage.open({ baseDir, readOnly: true });
    try {
      const [series] = await storage.listSeries();
      // Per generation: 2 fresh calls per round; replacements reuse keys.
      expect(series?.count).toBe(2 * rounds * CANDLES_PER_CALL * (CALLS_PER_ROUND - 1));
      expect(storage.integrityCheck()).toEqual(['ok']);
    } finally {
      await storage.close();
    }
  }, 60_000);

  it('close() releases every handle: a writer process exits by itself after close()', async () => {
    const baseDir = tempDir();
    const child = spawnTs(WRITER, [baseDir, '0', '2']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = await Promise.race([
      waitForExit(child),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000)),
    ]);
    if (exit === 'hung') child.kill('SIGKILL');
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    const storage = await SQLiteFlatBufferStorage.open({ baseDir, readOnly: true });
    try {
      // Round 0: calls 0 and 1; round 1: calls 0, 1 and the replacements (same keys).
      const [series] = await storage.listSeries();
      expect(series?.count).toBe(CANDLES_PER_CALL * (CALLS_PER_ROUND - 1) * 2);
    } finally {
      await storage.close();
    }
  }, 30_000);
});
