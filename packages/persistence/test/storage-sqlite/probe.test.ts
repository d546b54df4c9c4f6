import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { StorageWriteError } from '../../src/shared/storage/errors/StorageErrors';
import type { SqliteProbeDetail, StorageProbePoint } from '../../src/shared/storage/StorageProbe';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { SQLITE_DATABASE_FILE } from '../../src/shared/storage/sqlite/sqliteSchema';
import { useTempDirs } from './fixtures/tempDir';

const tempDir = useTempDirs();
const candles = generateFootprintCandles({
  seed: 5,
  count: 4,
  bins: 10,
  symbol: 'LTCUSDT',
  tickValue: 0.01,
  startPrice: 90,
  emptyRatio: 0,
});

describe('SQLite storage probe', () => {
  it('reports before-commit (rows in the open transaction) then committed, before the saves resolve', async () => {
    const baseDir = tempDir();
    const seen: { point: StorageProbePoint; detail: SqliteProbeDetail; resolved: number }[] = [];
    let resolved = 0;
    // A second connection sees only committed rows.
    let reader: SQLiteFlatBufferStorage | undefined;
    const store = await SQLiteFlatBufferStorage.open({
      baseDir,
      probe: (point, detail) => {
        seen.push({ point, detail: detail as SqliteProbeDetail, resolved });
      },
    });
    try {
      reader = await SQLiteFlatBufferStorage.open({ baseDir, readOnly: true });
      const saves = [store.saveMany(candles.slice(0, 2)), store.save(candles[2]!)].map((save) =>
        save.then(() => {
          resolved += 1;
        }),
      );
      await Promise.all(saves);
      // One group commit for both saves (same event-loop turn).
      expect(seen.map((s) => s.point)).toEqual(['sqlite:before-commit', 'sqlite:committed']);
      expect(seen.every((s) => s.resolved === 0)).toBe(true);
      expect(seen[0]?.detail).toEqual({ path: join(baseDir, SQLITE_DATABASE_FILE), candles: 3 });
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles.slice(0, 3));
    } finally {
      await reader?.close();
      await store.close();
    }
  });

  it('a probe throwing at before-commit rolls the group back; at committed the rows stay', async () => {
    const baseDir = tempDir();
    let failAt: StorageProbePoint | undefined;
    const store = await SQLiteFlatBufferStorage.open({
      baseDir,
      probe: (point) => {
        if (point === failAt) throw new Error(`probe at ${point}`);
      },
    });
    try {
      await store.save(candles[0]!);
      failAt = 'sqlite:before-commit';
      await expect(store.save(candles[1]!)).rejects.toBeInstanceOf(StorageWriteError);
      failAt = 'sqlite:committed';
      await expect(store.save(candles[2]!)).rejects.toThrow('probe at sqlite:committed');
      failAt = undefined;
      await store.save(candles[3]!);
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([
        candles[0],
        candles[2],
        candles[3],
      ]);
      expect(store.integrityCheck()).toEqual(['ok']);
    } finally {
      await store.close();
    }
  });
});
