import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  CheckpointFile,
  MIGRATION_CHECKPOINT_FORMAT,
  type MigrationProgress,
  type MigrationSource,
  MigrationValidator,
  StorageMigrator,
} from '../../src/shared/migration/index';
import { openCandleStore } from '../../src/shared/storage/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { useTempDirs } from './fixtures/tempDirs';

const tempDir = useTempDirs();

const btc = generateFootprintCandles({ seed: 11, count: 230, bins: { min: 1, max: 4 } });
const eth = generateFootprintCandles({ seed: 12, count: 70, symbol: 'ETHUSDT', timeframe: '5m', bins: 2 });
const bybit = generateFootprintCandles({ seed: 13, count: 45, exchange: 'bybit', bins: 3 });
const all = [...btc, ...eth, ...bybit];

async function memoryStore(candles: readonly FootprintCandleDTO[]): Promise<InMemoryCandleStorage> {
  const store = await InMemoryCandleStorage.open();
  await store.saveMany(candles);
  return store;
}

async function readAll(store: MigrationSource): Promise<FootprintCandleDTO[]> {
  const out: FootprintCandleDTO[] = [];
  for await (const candle of store.iterate()) out.push(candle);
  return out;
}

describe('StorageMigrator between stores', () => {
  it('copies memory → SQLite → memory in batches, with progress events, and both copies validate exactly', async () => {
    const source = await memoryStore(all);
    const sqlite = await SQLiteFlatBufferStorage.open({ baseDir: tempDir() });
    const progress: MigrationProgress[] = [];
    const migrator = new StorageMigrator({ source, target: sqlite, batchSize: 50 });
    const emitted: MigrationProgress[] = [];
    migrator.on('progress', (event) => emitted.push(event));
    const saveSizes: number[] = [];
    const saveMany = sqlite.saveMany.bind(sqlite);
    sqlite.saveMany = (candles) => {
      saveSizes.push(candles.length);
      return saveMany(candles);
    };
    const result = await new StorageMigrator({
      source,
      target: sqlite,
      batchSize: 50,
      onProgress: (event) => progress.push(event),
    }).migrate();
    expect(result.status).toBe('completed');
    expect(result.totals).toMatchObject({
      series: 3,
      source: 345,
      read: 345,
      migrated: 345,
      written: 345,
      unchanged: 0,
    });
    expect(saveSizes.every((size) => size <= 50)).toBe(true);
    expect(saveSizes.reduce((a, b) => a + b, 0)).toBe(345);
    // Every durable batch and every series end is reported; totals are known and monotonic.
    expect(progress.length).toBeGreaterThanOrEqual(saveSizes.length);
    expect(progress.map((event) => event.migrated)).toEqual(
      [...progress.map((event) => event.migrated)].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({ migrated: 345, total: 345, seriesCount: 3, dryRun: false });
    expect(progress.every((event) => event.rate >= 0 && Number.isFinite(event.rate))).toBe(true);
    expect(new Set(progress.map((event) => event.series))).toEqual(
      new Set(['binance:BTCUSDT:1m', 'binance:ETHUSDT:5m', 'bybit:BTCUSDT:1m']),
    );
    expect(emitted).toEqual([]); // the unused migrator emitted nothing

    const back = await InMemoryCandleStorage.open();
    const second = new StorageMigrator({
      source: sqlite,
      target: back,
      batchSize: 64,
      validateCandles: false,
    });
    second.on('progress', (event) => emitted.push(event));
    expect((await second.migrate()).totals.migrated).toBe(345);
    expect(emitted.at(-1)).toMatchObject({ migrated: 345 });
    expect(await readAll(back)).toEqual(await readAll(source));
    const validator = new MigrationValidator();
    expect((await validator.validate(source, sqlite)).ok).toBe(true);
    expect((await validator.validate(sqlite, back)).ok).toBe(true);
    // Migrating again re-saves identical candles: idempotent no-ops.
    const again = await new StorageMigrator({ source, target: sqlite, batchSize: 100 }).migrate();
    expect(again.totals).toMatchObject({ migrated: 345, written: 0, unchanged: 345 });
    await sqlite.close();
  });

  it('moves a .ftcd store to a SQLite FlatBuffer store and back, each copy validating exactly', async () => {
    const ftcdDir = tempDir();
    const ftcd = await openCandleStore({ baseDir: ftcdDir, useDatabase: false });
    await ftcd.saveMany(all);
    const sqlite = await openCandleStore({ baseDir: tempDir(), useDatabase: true });
    const toSqlite = await new StorageMigrator({ source: ftcd, target: sqlite, batchSize: 100 }).migrate();
    expect(toSqlite.totals).toMatchObject({ series: 3, migrated: 345, written: 345 });
    const ftcdAgain = await openCandleStore({ baseDir: tempDir(), useDatabase: false });
    const back = await new StorageMigrator({ source: sqlite, target: ftcdAgain, batchSize: 77 }).migrate();
    expect(back.totals).toMatchObject({ series: 3, migrated: 345, written: 345 });
    const validator = new MigrationValidator();
    expect(await validator.validate(ftcd, sqlite)).toMatchObject({ ok: true, compared: 345 });
    expect(await validator.validate(sqlite, ftcdAgain)).toMatchObject({ ok: true, compared: 345 });
    expect(await readAll(ftcdAgain)).toEqual(await readAll(await memoryStore(all)));
    await Promise.all([ftcd.close(), sqlite.close(), ftcdAgain.close()]);
  });

  it('dry run reads, validates and counts but writes neither the target nor the checkpoint', async () => {
    const source = await memoryStore(all);
    const dir = tempDir();
    const target = await SQLiteFlatBufferStorage.open({ baseDir: dir });
    const checkpointPath = join(dir, 'dry.checkpoint.json');
    const result = await new StorageMigrator({
      source,
      target,
      dryRun: true,
      checkpointPath,
      batchSize: 40,
    }).migrate();
    expect(result).toMatchObject({ status: 'completed', dryRun: true });
    expect(result.totals).toMatchObject({ read: 345, migrated: 345, written: 0, unchanged: 0 });
    expect(await target.listSeries()).toEqual([]);
    expect(existsSync(checkpointPath)).toBe(false);
    await target.close();
  });

  it('stops cleanly on abort, keeps an atomic checkpoint of what is durable, and resumes without redoing finished work', async () => {
    const source = await memoryStore(all);
    const dir = tempDir();
    const target = await SQLiteFlatBufferStorage.open({ baseDir: dir });
    const checkpointPath = join(dir, 'migration.checkpoint.json');
    const controller = new AbortController();
    const first = await new StorageMigrator({
      source,
      target,
      batchSize: 30,
      checkpointPath,
      migrationId: 'btc-move',
      signal: controller.signal,
      onProgress: (event) => {
        if (event.migrated >= 120) controller.abort('operator');
      },
    }).migrate();
    expect(first.status).toBe('aborted');
    expect(first.stopReason).toContain('operator');
    expect(first.totals.migrated).toBe(120);
    // Only the checkpoint: no temp file left behind.
    expect(readdirSync(dir).filter((name) => name.includes('checkpoint'))).toEqual([
      'migration.checkpoint.json',
    ]);
    // A temp file of a run killed mid-write is never taken for the checkpoint, and is cleaned up on load.
    writeFileSync(join(dir, '.migration.checkpoint.json.99999.tmp'), '{"torn": ');
    const checkpoint = new CheckpointFile(checkpointPath).load();
    expect(checkpoint).toMatchObject({
      format: MIGRATION_CHECKPOINT_FORMAT,
      version: 1,
      migrationId: 'btc-move',
      runs: 1,
    });
    expect(checkpoint?.series).toEqual([
      {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        timeframe: '1m',
        lastOpenTime: btc[119]!.t,
        migrated: 120,
        invalid: 0,
        done: false,
      },
    ]);
    // The checkpoint never claims more than the target holds.
    expect((await target.findLatest('BTCUSDT', 'binance', '1m', 1))[0]!.t).toBe(btc[119]!.t);

    const reads: (number | undefined)[] = [];
    const counting: MigrationSource = {
      listSeries: () => source.listSeries(),
      iterate: (options) => {
        reads.push(options?.startTime);
        return source.iterate(options);
      },
    };
    const second = await new StorageMigrator({
      source: counting,
      target,
      batchSize: 30,
      checkpointPath,
      migrationId: 'btc-move',
    }).migrate();
    expect(second).toMatchObject({ status: 'completed', resumed: true, runs: 2 });
    expect(second.totals).toMatchObject({ read: 225, migrated: 345, migratedThisRun: 225 });
    expect(second.series[0]).toMatchObject({ resumedFrom: 120, migrated: 230, done: true });
    expect(reads[0]).toBe(btc[119]!.t + 1);
    expect(readdirSync(dir).filter((name) => name.includes('checkpoint'))).toEqual([
      'migration.checkpoint.json',
    ]);
    expect((await new MigrationValidator().validate(source, target)).ok).toBe(true);

    // A finished migration resumed again reads nothing.
    const third = await new StorageMigrator({
      source: counting,
      target,
      checkpointPath,
      migrationId: 'btc-move',
    }).migrate();
    expect(third.totals).toMatchObject({ read: 0, migrated: 345 });
    expect(third.series.every((entry) => entry.done)).toBe(true);
    await target.close();
  });

  it('a batch made durable after the last checkpoint write (killed in between) is re-sent on resume as a no-op', async () => {
    const source = await memoryStore(btc);
    const dir = tempDir();
    const target = await SQLiteFlatBufferStorage.open({ baseDir: dir });
    const checkpointPath = join(dir, 'cp.json');
    const controller = new AbortController();
    await new StorageMigrator({
      source,
      target,
      batchSize: 25,
      checkpointPath,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.migrated >= 100) controller.abort();
      },
    }).migrate();
    // What a kill between "saveMany resolved" and "checkpoint renamed" leaves: the next batch durable, unrecorded.
    await target.saveMany(btc.slice(100, 125));
    const resumed = await new StorageMigrator({ source, target, batchSize: 25, checkpointPath }).migrate();
    expect(resumed.totals).toMatchObject({
      migratedThisRun: 130,
      written: 105,
      unchanged: 25,
      migrated: 230,
    });
    expect((await new MigrationValidator().validate(source, target)).ok).toBe(true);
    await target.close();
  });

  it('refuses a checkpoint of another migration and a malformed one', async () => {
    const dir = tempDir();
    const source = await memoryStore(btc.slice(0, 5));
    const target = await InMemoryCandleStorage.open();
    const checkpointPath = join(dir, 'cp.json');
    await new StorageMigrator({ source, target, checkpointPath, migrationId: 'a' }).migrate();
    await expect(
      new StorageMigrator({ source, target, checkpointPath, migrationId: 'b' }).migrate(),
    ).rejects.toMatchObject({
      code: 'FLOWTRACE_MIGRATION_CHECKPOINT',
    });
    writeFileSync(checkpointPath, readFileSync(checkpointPath, 'utf8').slice(0, 30));
    await expect(
      new StorageMigrator({ source, target, checkpointPath, migrationId: 'a' }).migrate(),
    ).rejects.toMatchObject({
      code: 'FLOWTRACE_MIGRATION_CHECKPOINT',
    });
  });

  it('rejects a source that streams a series out of order, and invalid options', async () => {
    const target = await InMemoryCandleStorage.open();
    const source: MigrationSource = {
      listSeries: async () => [
        {
          exchange: 'binance',
          symbol: 'BTCUSDT',
          timeframe: '1m',
          firstOpenTime: btc[0]!.t,
          lastOpenTime: btc[2]!.t,
          count: 3,
        },
      ],
      async *iterate() {
        yield btc[0]!;
        yield btc[2]!;
        yield btc[1]!;
      },
    };
    await expect(new StorageMigrator({ source, target }).migrate()).rejects.toMatchObject({
      code: 'FLOWTRACE_MIGRATION_SOURCE_ORDER',
    });
    const migrator = new StorageMigrator({ source: await memoryStore(btc.slice(0, 3)), target });
    const running = migrator.migrate();
    await expect(migrator.migrate()).rejects.toMatchObject({ code: 'FLOWTRACE_MIGRATION_RUNNING' });
    expect((await running).totals.migrated).toBe(3);
    expect(() => new StorageMigrator({ source, target, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new StorageMigrator({ source: {} as MigrationSource, target })).toThrow(/source/);
  });

  it('propagates a failing target save and leaves the checkpoint at the last durable batch', async () => {
    const dir = tempDir();
    const source = await memoryStore(btc.slice(0, 100));
    const target = await InMemoryCandleStorage.open();
    let saves = 0;
    const failing = Object.assign(Object.create(target) as InMemoryCandleStorage, {
      saveMany: (candles: readonly FootprintCandleDTO[]) => {
        saves += 1;
        if (saves === 3) return Promise.reject(new Error('EIO: disk failed'));
        return target.saveMany(candles);
      },
    });
    const checkpointPath = join(dir, 'cp.json');
    await expect(
      new StorageMigrator({ source, target: failing, batchSize: 20, checkpointPath }).migrate(),
    ).rejects.toThrow('EIO');
    expect(new CheckpointFile(checkpointPath).load()?.series[0]).toMatchObject({
      migrated: 40,
      lastOpenTime: btc[39]!.t,
    });
    const resumed = await new StorageMigrator({ source, target, batchSize: 20, checkpointPath }).migrate();
    expect(resumed.totals).toMatchObject({ migratedThisRun: 60, migrated: 100 });
    expect((await new MigrationValidator().validate(source, target)).ok).toBe(true);
  });

  it('a checkpoint that cannot be written fails the run before anything reaches the target (FLOWTRACE_MIGRATION_CHECKPOINT), and the file counts every run', async () => {
    const dir = tempDir();
    const source = await memoryStore(btc.slice(0, 50));
    const target = await SQLiteFlatBufferStorage.open({ baseDir: join(dir, 'target') });
    const missingDir = join(dir, 'no-such-dir', 'cp.json');
    await expect(
      new StorageMigrator({ source, target, batchSize: 10, checkpointPath: missingDir }).migrate(),
    ).rejects.toMatchObject({
      code: 'FLOWTRACE_MIGRATION_CHECKPOINT',
      message: expect.stringContaining(missingDir),
    });
    expect(await target.listSeries()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['target']);

    const checkpointPath = join(dir, 'cp.json');
    for (const run of [1, 2, 3]) {
      const result = await new StorageMigrator({ source, target, batchSize: 10, checkpointPath }).migrate();
      expect(result).toMatchObject({ status: 'completed', runs: run });
      expect(new CheckpointFile(checkpointPath).load()?.runs).toBe(run);
    }
    await target.close();
  });
});
