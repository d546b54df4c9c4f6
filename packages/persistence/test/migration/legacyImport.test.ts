import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  LegacyFtcdDirectorySource,
  LegacySqliteCandleReader,
  MigrationValidator,
  StorageMigrator,
} from '../../src/shared/migration/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { legacyCandleBlob } from '../storage-sqlite/fixtures/legacyBlobs';
import {
  expectedFromLegacyDatabase,
  expectedFromLegacyFile,
  writeLegacyDatabase,
  writeLegacyFtcdFile,
} from './fixtures/legacyWriter';
import { useTempDirs } from './fixtures/tempDirs';

const tempDir = useTempDirs();

/** Insertion order of the original writer is not time order: shuffle deterministically. */
function scrambled(candles: readonly FootprintCandleDTO[]): FootprintCandleDTO[] {
  const copy = [...candles];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = (index * 7919) % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

async function readAll(store: SQLiteFlatBufferStorage): Promise<FootprintCandleDTO[]> {
  const all: FootprintCandleDTO[] = [];
  for await (const candle of store.iterate()) all.push(candle);
  return all;
}

const byKey = (a: FootprintCandleDTO, b: FootprintCandleDTO) =>
  a.ex.localeCompare(b.ex) || a.s.localeCompare(b.s) || a.i.localeCompare(b.i) || a.t - b.t;

describe("import of the original platform's .ftcd files (FBCD header + CandleBatch)", () => {
  const btc = generateFootprintCandles({ seed: 71, count: 120, bins: { min: 1, max: 6 } });
  const eth = generateFootprintCandles({ seed: 72, count: 30, symbol: 'ETHUSDT', timeframe: '5m', bins: 3 });
  const single = generateFootprintCandles({
    seed: 73,
    count: 1,
    exchange: 'bybit',
    symbol: 'SOLUSDT',
    bins: 2,
  });

  it('imports every file, a one-candle file included, reports the defaulted fields, and validates with zero differences', async () => {
    const legacyDir = tempDir();
    writeLegacyFtcdFile(legacyDir, scrambled(btc));
    writeLegacyFtcdFile(legacyDir, scrambled(eth));
    const singlePath = writeLegacyFtcdFile(legacyDir, single);
    expect(singlePath).toBe(join(legacyDir, 'candles', 'bybit_SOLUSDT_1m.ftcd'));
    const targetDir = tempDir();
    const target = await SQLiteFlatBufferStorage.open({ baseDir: targetDir });
    const source = new LegacyFtcdDirectorySource({ baseDir: legacyDir });
    const checkpointPath = join(targetDir, 'import.checkpoint.json');
    const result = await new StorageMigrator({ source, target, batchSize: 25, checkpointPath }).migrate();

    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({ series: 3, source: 151, migrated: 151, invalid: 0 });
    expect(
      result.series.map((entry) => [entry.exchange, entry.symbol, entry.timeframe, entry.migrated]),
    ).toEqual([
      ['binance', 'BTCUSDT', '1m', 120],
      ['binance', 'ETHUSDT', '5m', 30],
      ['bybit', 'SOLUSDT', '1m', 1],
    ]);
    // The original file writer never stored e, tz, a, vi nor per-bin bq/sq: every imported candle says so.
    const withBins = [...btc, ...eth, ...single].filter((candle) => candle.aggs.length > 0).length;
    expect(result.defaulted).toEqual({
      candles: 151,
      defaulted: {
        e: 151,
        tz: 151,
        a: 151,
        vi: 151,
        'aggs[].bq': withBins,
        'aggs[].sq': withBins,
        'aggs[].q': withBins,
      },
    });

    const expected = [...btc, ...eth, ...single].map(expectedFromLegacyFile).sort(byKey);
    expect(await readAll(target)).toEqual(expected);
    const validation = await new MigrationValidator().validate(
      new LegacyFtcdDirectorySource({ baseDir: legacyDir }),
      target,
    );
    expect(validation).toMatchObject({
      ok: true,
      compared: 151,
      matched: 151,
      missing: 0,
      extra: 0,
      mismatched: 0,
    });
    await target.close();
  });

  it('reports a corrupt legacy file by name instead of importing garbage', async () => {
    const legacyDir = tempDir();
    const path = writeLegacyFtcdFile(legacyDir, btc.slice(0, 3));
    const { writeFileSync, readFileSync } = await import('node:fs');
    const bytes = readFileSync(path);
    bytes.write('XXXX', 0, 'ascii');
    writeFileSync(path, bytes);
    const target = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const migrator = new StorageMigrator({
      source: new LegacyFtcdDirectorySource({ baseDir: legacyDir }),
      target,
    });
    await expect(migrator.migrate()).rejects.toMatchObject({
      code: 'FLOWTRACE_LEGACY_IMPORT',
      message: expect.stringContaining(path),
    });
    expect(await target.listSeries()).toEqual([]);
    await target.close();
  });
});

describe("import of the original platform's SQLite candle database", () => {
  const btc = generateFootprintCandles({ seed: 81, count: 90, bins: { min: 1, max: 5 } });
  const ltc = generateFootprintCandles({ seed: 82, count: 25, symbol: 'LTCUSDT', timeframe: '15m', bins: 2 });
  const okx = generateFootprintCandles({ seed: 83, count: 12, exchange: 'okx', bins: 4 });
  const all = [...btc, ...ltc, ...okx];

  for (const organizeByExchange of [false, true]) {
    const layout = organizeByExchange
      ? '{exchange}/candles.db, table {exchange}_candles'
      : 'flowtrace-candles.db, table candles';
    it(`imports ${layout} and validates with zero differences`, async () => {
      const legacyDir = tempDir();
      writeLegacyDatabase(legacyDir, all, organizeByExchange);
      expect(
        existsSync(
          organizeByExchange ? join(legacyDir, 'okx', 'candles.db') : join(legacyDir, 'flowtrace-candles.db'),
        ),
      ).toBe(true);
      const source = await LegacySqliteCandleReader.open({
        baseDir: legacyDir,
        organizeByExchange,
        pageSize: 10,
      });
      const target = await SQLiteFlatBufferStorage.open({ baseDir: tempDir(), organizeByExchange });
      const result = await new StorageMigrator({ source, target, batchSize: 16 }).migrate();

      expect(result.status).toBe('completed');
      expect(result.totals).toMatchObject({
        series: 3,
        source: all.length,
        migrated: all.length,
        invalid: 0,
      });
      // The database writer stored every original field; the per-bin q is not in the original schema, and
      // the stock builder leaves a 0 bq/sq out, so those bins read as "absent" too.
      const count = (test: (candle: FootprintCandleDTO) => boolean) => all.filter(test).length;
      expect(result.defaulted).toEqual({
        candles: all.length,
        defaulted: {
          'aggs[].q': count((candle) => candle.aggs.length > 0),
          'aggs[].bq': count((candle) => candle.aggs.some((bin) => !bin.bq)),
          'aggs[].sq': count((candle) => candle.aggs.some((bin) => !bin.sq)),
        },
      });
      expect(await readAll(target)).toEqual(all.map(expectedFromLegacyDatabase).sort(byKey));

      const validation = await new MigrationValidator().validate(source, target);
      expect(validation).toMatchObject({
        ok: true,
        compared: all.length,
        missing: 0,
        extra: 0,
        mismatched: 0,
      });
      await source.close();
      await target.close();
    });
  }

  it('reports candles failing core validation (count and first reasons) and skips them, or stops at the first', async () => {
    const broken = btc
      .slice(0, 40)
      .map((candle, index) =>
        index === 10 || index === 20 || index === 30 ? { ...candle, h: candle.l - 1 } : candle,
      );
    const legacyDir = tempDir();
    writeLegacyDatabase(legacyDir, broken, false);

    const skipSource = await LegacySqliteCandleReader.open({ baseDir: legacyDir });
    const skipTarget = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const skipped = await new StorageMigrator({
      source: skipSource,
      target: skipTarget,
      batchSize: 8,
      maxReportedInvalid: 2,
    }).migrate();
    expect(skipped.status).toBe('completed');
    expect(skipped.totals).toMatchObject({ migrated: 37, invalid: 3 });
    expect(skipped.invalid.map((entry) => entry.key)).toEqual([
      `binance:BTCUSDT:1m:${broken[10]!.t}`,
      `binance:BTCUSDT:1m:${broken[20]!.t}`,
    ]);
    expect(skipped.invalid[0]!.issues.map((issue) => issue.path)).toContain('h');
    const stored = await readAll(skipTarget);
    expect(stored).toHaveLength(37);
    expect(stored.some((candle) => candle.t === broken[10]!.t)).toBe(false);
    // Skipped on purpose, so the validator reports exactly those as missing and nothing else.
    const check = await new MigrationValidator().validate(skipSource, skipTarget);
    expect(check).toMatchObject({ missing: 3, extra: 0, mismatched: 0, matched: 37 });
    expect(check.differences.map((entry) => entry.key)).toEqual(
      [10, 20, 30].map((index) => `binance:BTCUSDT:1m:${broken[index]!.t}`),
    );

    const stopTarget = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const stopped = await new StorageMigrator({
      source: skipSource,
      target: stopTarget,
      batchSize: 8,
      onInvalidCandle: 'stop',
    }).migrate();
    expect(stopped.status).toBe('stopped-on-invalid');
    expect(stopped.stopReason).toContain(String(broken[10]!.t));
    // Everything before the bad candle is durable; nothing after it was written.
    expect((await readAll(stopTarget)).map((candle) => candle.t)).toEqual(
      broken.slice(0, 10).map((candle) => candle.t),
    );
    await Promise.all([skipSource.close(), skipTarget.close(), stopTarget.close()]);
  });

  it('a row whose blob names another series than its columns is reported (series-mismatch), never written over that series', async () => {
    const legacyDir = tempDir();
    const genuine = okx.slice(0, 6).map((candle) => ({ ...candle, ex: 'bybit' }));
    writeLegacyDatabase(legacyDir, [...btc.slice(0, 20), ...genuine], false);
    // A row filed under okx (its id and columns) whose blob says bybit, at the open time of a genuine bybit candle.
    const impostor = { ...genuine[3]!, c: genuine[3]!.c + 1, h: Math.max(genuine[3]!.h, genuine[3]!.c + 1) };
    const db = new Database(join(legacyDir, 'flowtrace-candles.db'));
    db.prepare('INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      `okx:${impostor.s}:${impostor.i}:${impostor.t}`,
      impostor.s,
      'okx',
      impostor.i,
      impostor.t,
      impostor.ct,
      legacyCandleBlob(impostor),
      1_750_000_000,
      1_750_000_000,
    );
    db.close();

    const source = await LegacySqliteCandleReader.open({ baseDir: legacyDir });
    const target = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    // Validation of candle contents off: the series check does not depend on it.
    const result = await new StorageMigrator({ source, target, validateCandles: false }).migrate();
    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({ source: 27, migrated: 26, invalid: 1 });
    expect(result.series.find((entry) => entry.exchange === 'okx')).toMatchObject({
      invalid: 1,
      migrated: 0,
    });
    expect(result.invalid).toEqual([
      {
        key: `bybit:${impostor.s}:${impostor.i}:${impostor.t}`,
        issues: [expect.objectContaining({ path: 'ex', rule: 'series-mismatch' })],
      },
    ]);
    // The genuine bybit candle is intact, and no series the source did not list appeared.
    expect((await readAll(target)).filter((candle) => candle.ex === 'bybit')).toEqual(
      genuine.map(expectedFromLegacyDatabase),
    );
    expect((await target.listSeries()).map((info) => info.exchange)).toEqual(['binance', 'bybit']);
    await Promise.all([source.close(), target.close()]);
  });

  it('a legacy series no store can hold (timeframe 1w, symbol BTC/USDT) is skipped as invalid, and validation counts its candles missing instead of failing', async () => {
    const legacyDir = tempDir();
    const weekly = btc.slice(0, 4).map((candle) => ({ ...candle, i: '1w' as '1m' }));
    const slashed = btc.slice(4, 7).map((candle) => ({ ...candle, s: 'BTC/USDT' }));
    const kept = btc.slice(7, 20);
    writeLegacyDatabase(legacyDir, [...kept, ...weekly, ...slashed], false);
    const source = await LegacySqliteCandleReader.open({ baseDir: legacyDir });
    // The legacy reader reads such series (to report them); only our stores refuse their names.
    expect((await source.listSeries()).map((info) => `${info.symbol}:${info.timeframe}`)).toEqual([
      'BTC/USDT:1m',
      'BTCUSDT:1m',
      'BTCUSDT:1w',
    ]);
    const target = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const result = await new StorageMigrator({ source, target }).migrate();
    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({ source: 20, migrated: 13, invalid: 7 });
    for (const options of [{}, { sample: { size: 20, seed: 3 } }]) {
      const validation = await new MigrationValidator(options).validate(source, target);
      expect(validation, JSON.stringify(options)).toMatchObject({
        ok: false,
        matched: 13,
        missing: 7,
        extra: 0,
        mismatched: 0,
      });
    }
    await Promise.all([source.close(), target.close()]);
  });
});

describe('legacy SQLite rows the reader cannot use: reported, never the end of the import', () => {
  it('an undecodable blob, a blob whose open time is not its row, a duplicated key: the rest migrates, each is reported, nothing silently dropped', async () => {
    const legacyDir = tempDir();
    const candles = generateFootprintCandles({ seed: 81, count: 12, bins: 3 });
    writeLegacyDatabase(legacyDir, candles, false);
    const db = new Database(join(legacyDir, 'flowtrace-candles.db'));
    const insert = db.prepare('INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const row = (id: string, candle: FootprintCandleDTO, openTime: number, blob: Uint8Array) =>
      insert.run(id, candle.s, candle.ex, candle.i, openTime, candle.ct, blob, 1_750_000_000, 1_750_000_001);
    // Candle 4's blob truncated to garbage; candle 7 duplicated by a later row holding a newer version
    // (ids differ: written by hand); a row at a free open time whose blob is candle 9's.
    db.prepare('UPDATE candles SET data = ? WHERE open_time = ?').run(
      Buffer.from(legacyCandleBlob(candles[4]!).subarray(0, 20)),
      candles[4]!.t,
    );
    const newer7 = { ...candles[7]!, n: candles[7]!.n + 3 };
    row(`dup-${candles[7]!.t}`, newer7, newer7.t, legacyCandleBlob(newer7));
    const freeTime = candles[11]!.t + 60_000;
    row(`misfiled-${freeTime}`, candles[9]!, freeTime, legacyCandleBlob(candles[9]!));
    db.close();

    // Pages of 3 rows: the duplicated key is read across page boundaries too.
    const source = await LegacySqliteCandleReader.open({ baseDir: legacyDir, pageSize: 3 });
    const target = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const result = await new StorageMigrator({ source, target }).migrate();
    expect(result.status).toBe('completed');
    const expected = candles
      .map((candle, index) => (index === 7 ? newer7 : candle))
      .filter((_, index) => index !== 4)
      .map(expectedFromLegacyDatabase);
    expect(await readAll(target)).toEqual(expected);
    const key = (t: number) => `${candles[0]!.ex}:${candles[0]!.s}:${candles[0]!.i}:${t}`;
    expect(result.sourceProblems.map((problem) => [problem.rule, problem.key])).toEqual([
      ['unreadable', key(candles[4]!.t)],
      ['duplicate-key', key(candles[7]!.t)],
      ['unreadable', key(freeTime)],
    ]);
    expect(result.sourceProblems[1]!.message).toContain(`dup-${candles[7]!.t}`);
    expect(result.sourceProblems[2]!.message).toMatch(/open time .* is not its open_time column/);
    // The comparison reads the source again: every candle read is in the target, identical; the
    // source's row count still counts the 3 rows left out, so it fails (loudly) on the count.
    const validation = await new MigrationValidator().validate(source, target);
    expect(validation).toMatchObject({
      ok: false,
      compared: 11,
      matched: 11,
      missing: 0,
      extra: 0,
      mismatched: 0,
      series: [{ sourceCount: 14, targetCount: 11 }],
    });
    expect(source.problems()).toHaveLength(3);
    await Promise.all([source.close(), target.close()]);
  });
});
