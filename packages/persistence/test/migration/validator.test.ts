import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { MigrationValidator, StorageMigrator } from '../../src/shared/migration/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { useTempDirs } from './fixtures/tempDirs';

const tempDir = useTempDirs();

const btc = generateFootprintCandles({ seed: 21, count: 200, bins: 6 });
const eth = generateFootprintCandles({ seed: 22, count: 50, symbol: 'ETHUSDT', bins: 5, emptyRatio: 0 });

async function migratedPair(): Promise<{
  source: InMemoryCandleStorage;
  target: SQLiteFlatBufferStorage;
  dir: string;
}> {
  const source = await InMemoryCandleStorage.open();
  await source.saveMany([...btc, ...eth]);
  const dir = tempDir();
  const target = await SQLiteFlatBufferStorage.open({ baseDir: dir });
  await new StorageMigrator({ source, target, batchSize: 64 }).migrate();
  return { source, target, dir };
}

describe('MigrationValidator', () => {
  it('finds nothing on a faithful copy', async () => {
    const { source, target } = await migratedPair();
    const result = await new MigrationValidator().validate(source, target);
    expect(result).toMatchObject({
      ok: true,
      mode: 'full',
      compared: 250,
      matched: 250,
      missing: 0,
      extra: 0,
      mismatched: 0,
    });
    expect(result.differences).toEqual([]);
    await target.close();
  });

  it('catches a deliberately corrupted target: one changed bin, one deleted candle, one added candle', async () => {
    const { source, target, dir } = await migratedPair();
    const victim = eth[17]!;
    const corrupted: FootprintCandleDTO = structuredClone(victim);
    corrupted.aggs[3]!.bv = victim.aggs[3]!.bv + 0.001;
    await target.save(corrupted);
    const deleted = btc[42]!;
    await target.close();
    // Delete below the port (it has no delete): straight in the target's database file.
    const db = new Database(join(dir, 'candles-flatbuffers.db'));
    // Table layout: docs/formats/sqlite-flatbuffers.md (fb_candles rows, fb_series summary).
    const removed = db
      .prepare('DELETE FROM fb_candles WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time = ?')
      .run('binance', 'BTCUSDT', '1m', deleted.t).changes;
    db.prepare(
      "UPDATE fb_series SET candle_count = candle_count - 1 WHERE exchange = 'binance' AND symbol = 'BTCUSDT' AND timeframe = '1m'",
    ).run();
    db.close();
    expect(removed).toBe(1);
    const reopened = await SQLiteFlatBufferStorage.open({ baseDir: dir });
    const added = generateFootprintCandles({
      seed: 23,
      count: 1,
      symbol: 'ETHUSDT',
      bins: 2,
      startTime: eth[49]!.t + 60_000,
    })[0]!;
    await reopened.save(added);

    const result = await new MigrationValidator().validate(source, reopened);
    expect(result).toMatchObject({
      ok: false,
      missing: 1,
      extra: 1,
      mismatched: 1,
      compared: 250,
      matched: 248,
    });
    expect(result.differences).toEqual([
      { kind: 'missing', key: `binance:BTCUSDT:1m:${deleted.t}`, fields: [] },
      {
        kind: 'mismatch',
        key: `binance:ETHUSDT:1m:${victim.t}`,
        fields: [
          {
            path: 'aggs[3].bv',
            source: JSON.stringify(victim.aggs[3]!.bv),
            target: JSON.stringify(corrupted.aggs[3]!.bv),
          },
        ],
      },
      { kind: 'extra', key: `binance:ETHUSDT:1m:${added.t}`, fields: [] },
    ]);
    expect(result.series).toEqual([
      { series: 'binance:BTCUSDT:1m', sourceCount: 200, targetCount: 199 },
      { series: 'binance:ETHUSDT:1m', sourceCount: 50, targetCount: 51 },
    ]);
    await reopened.close();
  });

  it('compares exactly by default (-0 differs from 0, absent differs from present) and within a relative tolerance when asked', async () => {
    const source = await InMemoryCandleStorage.open();
    const target = await InMemoryCandleStorage.open();
    const base = eth[3]!;
    await source.saveMany([base, eth[4]!]);
    const nudged = structuredClone(base);
    nudged.c = base.c * (1 + 1e-12);
    const withoutQ = structuredClone(eth[4]!);
    delete withoutQ.aggs[0]!.q;
    await target.saveMany([nudged, withoutQ]);
    const exact = await new MigrationValidator().validate(source, target);
    expect(exact.mismatched).toBe(2);
    expect(exact.differences.flatMap((entry) => entry.fields.map((field) => field.path))).toEqual([
      'c',
      'aggs[0].q',
    ]);
    expect(exact.differences[1]!.fields[0]!.target).toBe('undefined');
    const tolerant = await new MigrationValidator({ relativeTolerance: 1e-9 }).validate(source, target);
    expect(tolerant.mismatched).toBe(1); // the absent q is still a difference
    expect(tolerant.tolerance).toEqual({ relative: 1e-9 });

    const zero = structuredClone(base);
    const negativeZero = structuredClone(base);
    zero.d = 0;
    negativeZero.d = -0;
    const left = await InMemoryCandleStorage.open();
    const right = await InMemoryCandleStorage.open();
    await left.save(zero);
    await right.save(negativeZero);
    const signed = await new MigrationValidator().validate(left, right);
    expect(signed.differences[0]?.fields).toEqual([{ path: 'd', source: '0', target: '-0' }]);
  });

  it('validates a seeded random sample: same seed, same candles; a corrupted sampled candle is caught', async () => {
    const { source, target } = await migratedPair();
    const looked: number[] = [];
    const spy = Object.assign(Object.create(target) as SQLiteFlatBufferStorage, {
      findBySymbol: (...args: Parameters<SQLiteFlatBufferStorage['findBySymbol']>) => {
        looked.push(args[3]?.startTime ?? -1);
        return target.findBySymbol(...args);
      },
    });
    const sampler = new MigrationValidator({ sample: { size: 20, seed: 7 } });
    const first = await sampler.validate(source, spy);
    expect(first).toMatchObject({
      ok: true,
      mode: 'sample',
      compared: 20,
      matched: 20,
      sample: { size: 20, seed: 7 },
    });
    const firstKeys = [...looked];
    looked.length = 0;
    await sampler.validate(source, spy);
    expect(looked).toEqual(firstKeys);
    looked.length = 0;
    await new MigrationValidator({ sample: { size: 20, seed: 8 } }).validate(source, spy);
    expect(looked).not.toEqual(firstKeys);

    // Corrupt every candle so any sample catches it.
    for (const candle of [...btc, ...eth]) await target.save({ ...candle, v: candle.v + 1 });
    const caught = await sampler.validate(source, target);
    expect(caught).toMatchObject({ ok: false, mismatched: 20 });
    expect(caught.differences[0]?.fields.map((field) => field.path)).toEqual(['v']);
    await target.close();
  });

  it('caps detailed differences but counts them all', async () => {
    const source = await InMemoryCandleStorage.open();
    await source.saveMany(btc);
    const target = await InMemoryCandleStorage.open();
    const result = await new MigrationValidator({ maxDifferences: 5 }).validate(source, target);
    expect(result).toMatchObject({ ok: false, missing: 200 });
    expect(result.differences).toHaveLength(5);
    expect(() => new MigrationValidator({ relativeTolerance: -1 })).toThrow(/relativeTolerance/);
  });
});
