import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LEGACY_DEFAULTS } from '../../src/shared/storage/CandleTransformer';
import { FlatBufferSerializer } from '../../src/shared/storage/serialization/flatbuffer/FlatBufferSerializer';
import {
  decodeLegacyFtcd,
  legacyFtcdPath,
  readLegacyFtcdFile,
} from '../../src/shared/storage/serialization/flatbuffer/legacy/readLegacyFtcdFile';
import { LegacySqliteCandleReader } from '../../src/shared/storage/sqlite/legacy/LegacySqliteCandleReader';
import { expectSameCandles } from '../contract/candleAssertions';
import {
  expectedFromLegacyDatabase,
  expectedFromLegacyFile,
  legacyCandleBlob,
  legacyFtcdFile,
} from './fixtures/legacyBlobs';
import { useTempDirs } from './fixtures/tempDir';

const tempDir = useTempDirs();

/** The original platform's table, created as it created it. */
function createLegacyDatabase(path: string, table: string, candles: readonly FootprintCandleDTO[]): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE "${table}" (
    id TEXT PRIMARY KEY, symbol TEXT NOT NULL, exchange TEXT NOT NULL, timeframe TEXT NOT NULL,
    open_time INTEGER NOT NULL, close_time INTEGER NOT NULL, data BLOB NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
  db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER, description TEXT)');
  db.prepare('INSERT INTO schema_version VALUES (1, 0, ?)').run('initial');
  const insert = db.prepare(`INSERT INTO "${table}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // Insert in reverse time order: readers must sort by open time, not trust rowid order.
  for (const candle of [...candles].reverse()) {
    insert.run(
      `${candle.ex}:${candle.s}:${candle.i}:${candle.t}`,
      candle.s,
      candle.ex,
      candle.i,
      candle.t,
      candle.ct,
      legacyCandleBlob(candle, 'database'),
      1,
      1,
    );
  }
  db.close();
}

describe('LegacySqliteCandleReader (original platform database, read only)', () => {
  const btc = generateFootprintCandles({ seed: 31, count: 40, bins: { min: 1, max: 20 } });
  const ltc = generateFootprintCandles({ seed: 32, count: 10, symbol: 'LTCUSDT', timeframe: '5m', bins: 3 });
  const bybit = generateFootprintCandles({ seed: 33, count: 5, exchange: 'bybit', bins: 2 });

  it('reads flowtrace-candles.db: ranges, latest, series, iteration, and reports only what it had to default', async () => {
    const baseDir = tempDir();
    createLegacyDatabase(join(baseDir, 'flowtrace-candles.db'), 'candles', [...btc, ...ltc]);
    const reader = await LegacySqliteCandleReader.open({ baseDir, pageSize: 7 });
    try {
      expectSameCandles(
        await reader.findBySymbol('BTCUSDT', 'binance', '1m'),
        btc.map(expectedFromLegacyDatabase),
      );
      expectSameCandles(
        await reader.findBySymbol('BTCUSDT', 'binance', '1m', {
          startTime: btc[3]!.t,
          endTime: btc[9]!.t,
          order: 'desc',
          limit: 4,
        }),
        btc.slice(6, 10).reverse().map(expectedFromLegacyDatabase),
      );
      expectSameCandles(
        await reader.findLatest('LTCUSDT', 'binance', '5m', 3),
        ltc.slice(7).map(expectedFromLegacyDatabase),
      );
      expect(await reader.listSeries()).toEqual([
        {
          exchange: 'binance',
          symbol: 'BTCUSDT',
          timeframe: '1m',
          firstOpenTime: btc[0]!.t,
          lastOpenTime: btc[39]!.t,
          count: 40,
        },
        {
          exchange: 'binance',
          symbol: 'LTCUSDT',
          timeframe: '5m',
          firstOpenTime: ltc[0]!.t,
          lastOpenTime: ltc[9]!.t,
          count: 10,
        },
      ]);
      const streamed: FootprintCandleDTO[] = [];
      for await (const candle of reader.iterate({ symbol: 'BTCUSDT' })) streamed.push(candle);
      expectSameCandles(streamed, btc.map(expectedFromLegacyDatabase));
      const report = reader.defaultsReport();
      // Full legacy rows lack the per-bin q FlowTrace added, and a bin's bq/sq when it was 0
      // (the stock builder leaves zeros out, so they read as absent).
      const bins = [...btc, ...ltc].flatMap((candle) => candle.aggs);
      const expected = ['aggs[].q'];
      if (bins.some((bin) => bin.bq === 0)) expected.push('aggs[].bq');
      if (bins.some((bin) => bin.sq === 0)) expected.push('aggs[].sq');
      expect(Object.keys(report.defaulted).sort()).toEqual(expected.sort());
      expect(report.defaulted).not.toHaveProperty('e');
      expect(report.defaulted).not.toHaveProperty('vi');
    } finally {
      await reader.close();
    }
  });

  it('reads the organize-by-exchange layout ({exchange}/candles.db, table {exchange}_candles)', async () => {
    const baseDir = tempDir();
    for (const [exchange, candles] of [
      ['binance', btc],
      ['bybit', bybit],
    ] as const) {
      mkdirSync(join(baseDir, exchange));
      createLegacyDatabase(join(baseDir, exchange, 'candles.db'), `${exchange}_candles`, candles);
    }
    const reader = await LegacySqliteCandleReader.open({ baseDir, organizeByExchange: true });
    try {
      expectSameCandles(
        await reader.findBySymbol('BTCUSDT', 'bybit', '1m'),
        bybit.map(expectedFromLegacyDatabase),
      );
      expect((await reader.listSeries()).map((s) => `${s.exchange}:${s.count}`)).toEqual([
        'binance:40',
        'bybit:5',
      ]);
    } finally {
      await reader.close();
    }
  });

  it('a limited range read returns exactly `limit` candles past unreadable rows, and the later row of a duplicated key even when the limit falls on it', async () => {
    const baseDir = tempDir();
    const candles = generateFootprintCandles({ seed: 34, count: 12, bins: 3 });
    const path = join(baseDir, 'flowtrace-candles.db');
    createLegacyDatabase(path, 'candles', candles);
    const db = new Database(path);
    // Candle 4's blob is garbage; candle 7 has a second, later row holding a newer version.
    db.prepare('UPDATE candles SET data = ? WHERE open_time = ?').run(
      Buffer.from(legacyCandleBlob(candles[4]!, 'database').subarray(0, 20)),
      candles[4]!.t,
    );
    const newer7 = { ...candles[7]!, n: candles[7]!.n + 3 };
    db.prepare('INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      `dup-${newer7.t}`,
      newer7.s,
      newer7.ex,
      newer7.i,
      newer7.t,
      newer7.ct,
      legacyCandleBlob(newer7, 'database'),
      2,
      2,
    );
    db.close();
    const readable = candles
      .map((candle, index) => (index === 7 ? newer7 : candle))
      .filter((_, index) => index !== 4)
      .map(expectedFromLegacyDatabase);
    for (const pageSize of [1, 2, 1000]) {
      const reader = await LegacySqliteCandleReader.open({ baseDir, pageSize });
      try {
        for (let limit = 1; limit <= 12; limit++) {
          const context = `pageSize ${pageSize}, limit ${limit}`;
          expectSameCandles(
            await reader.findBySymbol('BTCUSDT', 'binance', '1m', { limit }),
            readable.slice(0, limit),
            `${context}, asc`,
          );
          expectSameCandles(
            await reader.findBySymbol('BTCUSDT', 'binance', '1m', { limit, order: 'desc' }),
            [...readable].reverse().slice(0, limit),
            `${context}, desc`,
          );
          expectSameCandles(
            await reader.findLatest('BTCUSDT', 'binance', '1m', limit),
            readable.slice(-limit),
            `${context}, latest`,
          );
        }
        expect(reader.problems().map((problem) => problem.rule)).toEqual(['unreadable', 'duplicate-key']);
      } finally {
        await reader.close();
      }
    }
  });

  it('rejects malformed read arguments with FLOWTRACE_INVALID_QUERY', async () => {
    const baseDir = tempDir();
    createLegacyDatabase(join(baseDir, 'flowtrace-candles.db'), 'candles', btc.slice(0, 3));
    const reader = await LegacySqliteCandleReader.open({ baseDir });
    try {
      const invalid = { code: 'FLOWTRACE_INVALID_QUERY' };
      await expect(reader.findBySymbol('BTCUSDT', 'binance', '1m', { limit: -1 })).rejects.toMatchObject(
        invalid,
      );
      await expect(reader.findBySymbol(7 as unknown as string, 'binance', '1m')).rejects.toMatchObject(
        invalid,
      );
      const iterateWith = async (options: unknown) => {
        for await (const _ of reader.iterate(options as never)) break;
      };
      await expect(iterateWith({ startTime: 'yesterday' })).rejects.toMatchObject(invalid);
      await expect(iterateWith({ symbol: 7 })).rejects.toMatchObject(invalid);
    } finally {
      await reader.close();
    }
  });

  it('never writes: the legacy file is byte-identical afterwards, and a missing database is a typed error', async () => {
    const baseDir = tempDir();
    const path = join(baseDir, 'flowtrace-candles.db');
    createLegacyDatabase(path, 'candles', btc.slice(0, 3));
    const before = (await import('node:fs')).readFileSync(path);
    const reader = await LegacySqliteCandleReader.open({ baseDir });
    await reader.findBySymbol('BTCUSDT', 'binance', '1m');
    await reader.close();
    expect((await import('node:fs')).readFileSync(path).equals(before)).toBe(true);
    await expect(LegacySqliteCandleReader.open({ baseDir: tempDir() })).rejects.toMatchObject({
      code: 'FLOWTRACE_LEGACY_SQLITE_FORMAT',
    });
    await expect(reader.listSeries()).rejects.toMatchObject({ code: 'FLOWTRACE_STORAGE_CLOSED' });
  });
});

describe('legacy .ftcd files (FBCD, u32 LE length, one CandleBatch)', () => {
  const candles = generateFootprintCandles({ seed: 41, count: 12, bins: { min: 1, max: 9 } });

  it('reads every candle in insertion order with the original writer losses defaulted and reported', async () => {
    const baseDir = tempDir();
    const path = legacyFtcdPath(baseDir, 'binance', 'BTC/USDT', '1m');
    expect(path).toBe(join(baseDir, 'candles', 'binance_BTC_USDT_1m.ftcd'));
    mkdirSync(join(baseDir, 'candles'));
    const shuffled = [candles[5]!, candles[0]!, ...candles.slice(6), ...candles.slice(1, 5)];
    writeFileSync(path, legacyFtcdFile(shuffled));
    const { candles: read, report } = await readLegacyFtcdFile(path);
    expectSameCandles(
      read,
      shuffled.map((candle) => expectedFromLegacyFile(candle, 60)),
    );
    expect(report.candles).toBe(12);
    const withBins = shuffled.filter((candle) => candle.aggs.length > 0).length;
    expect(report.defaulted).toEqual({
      e: 12,
      tz: 12,
      a: 12,
      vi: 12,
      'aggs[].bq': withBins,
      'aggs[].sq': withBins,
      'aggs[].q': withBins,
    });
    for (const field of Object.keys(report.defaulted)) expect(LEGACY_DEFAULTS).toHaveProperty(field);
  });

  it('leaves out and reports the per-bin bq/sq placeholder 0s of the original file writer also when they are written, not omitted', () => {
    const withBins = candles.filter((candle) => candle.aggs.length > 0);
    expect(withBins.length).toBeGreaterThan(0);
    const { candles: read, report } = decodeLegacyFtcd(legacyFtcdFile(candles, { explicitZeros: true }));
    // Not `bq: 0, sq: 0`: the writer stored 0 whatever the volumes were (compat doc, "Known losses").
    expectSameCandles(
      read,
      candles.map((candle) => expectedFromLegacyFile(candle, 60)),
    );
    expect(report.defaulted).toMatchObject({
      'aggs[].bq': withBins.length,
      'aggs[].sq': withBins.length,
      'aggs[].q': withBins.length,
    });
  });

  it('handles a one-candle file (still a CandleBatch) and rejects a bad magic or a short payload', () => {
    const one = legacyFtcdFile([candles[2]!]);
    expectSameCandles(decodeLegacyFtcd(one).candles, [expectedFromLegacyFile(candles[2]!, 60)]);
    const badMagic = Buffer.from(one);
    badMagic.write('XXXX', 0, 'ascii');
    expect(() => decodeLegacyFtcd(badMagic)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_LEGACY_FTCD_FORMAT' }),
    );
    expect(() => decodeLegacyFtcd(one.subarray(0, one.byteLength - 1))).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_LEGACY_FTCD_FORMAT' }),
    );
  });

  it('our batch writer output is also a valid legacy payload (new fields are ignored by old readers)', () => {
    const payload = new FlatBufferSerializer().serializeBatch(candles);
    const header = Buffer.alloc(8);
    header.write('FBCD', 0, 'ascii');
    header.writeUInt32LE(payload.byteLength, 4);
    const { candles: read, report } = decodeLegacyFtcd(Buffer.concat([header, payload]));
    expectSameCandles(read, candles);
    expect(report.defaulted).toEqual({});
  });
});
