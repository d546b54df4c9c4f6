import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { InvalidStorageConfigError, StorageWriteError } from '../../src/shared/storage/errors/StorageErrors';
import type { BlockProbeDetail, StorageProbePoint } from '../../src/shared/storage/StorageProbe';
import { useTempDirs } from './helpers';

const candles = generateFootprintCandles({
  seed: 3,
  count: 6,
  bins: 10,
  symbol: 'LTCUSDT',
  tickValue: 0.01,
  startPrice: 90,
  emptyRatio: 0,
});

describe('.ftcd storage probe', () => {
  const tempDir = useTempDirs();

  it('reports before-write, written, synced in order, each before the save resolves', async () => {
    const seen: { point: StorageProbePoint; detail: BlockProbeDetail; resolved: boolean }[] = [];
    let resolved = false;
    const store = await BinaryStorageAdapter.open({
      baseDir: await tempDir(),
      probe: (point, detail) => {
        seen.push({ point, detail: { ...(detail as BlockProbeDetail) }, resolved });
      },
    });
    try {
      // Creating the file: written as {path}.tmp, fsynced and renamed in one step, so no 'written'.
      await store.save(candles[0]!).then(() => {
        resolved = true;
      });
      expect(seen.map((s) => s.point)).toEqual(['block:before-write', 'block:synced']);
      const created = seen[0]!.detail;
      expect(created).toMatchObject({ position: 0, creating: true });
      expect(created.path).toMatch(/binance\/LTCUSDT\/1m\/[\d-]+\.ftcd$/);

      seen.length = 0;
      resolved = false;
      await store.save(candles[1]!).then(() => {
        resolved = true;
      });
      expect(seen.map((s) => s.point)).toEqual(['block:before-write', 'block:written', 'block:synced']);
      expect(seen.every((s) => !s.resolved)).toBe(true);
      const appended = seen[0]!.detail;
      const fileSize = created.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      expect(appended).toMatchObject({ path: created.path, position: fileSize, creating: false });
      expect(seen.every((s) => s.detail.chunks === appended.chunks)).toBe(true);

      // An unchanged save writes nothing and reports nothing.
      seen.length = 0;
      expect(await store.save(candles[1]!)).toEqual({ written: 0, unchanged: 1 });
      expect(seen).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.each(['block:before-write', 'block:written', 'block:synced'] as const)(
    'a probe throwing at %s fails that save, corrupts nothing, and the store goes on',
    async (failAt) => {
      const baseDir = await tempDir();
      let armed = false;
      const store = await BinaryStorageAdapter.open({
        baseDir,
        probe: (point) => {
          if (armed && point === failAt) throw new Error(`probe at ${point}`);
        },
      });
      try {
        await store.saveMany(candles.slice(0, 2));
        armed = true;
        const failed = await store.save(candles[2]!).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).toBeInstanceOf(StorageWriteError);
        expect((failed as StorageWriteError).cause).toMatchObject({ message: `probe at ${failAt}` });
        armed = false;
        await store.saveMany(candles.slice(3));
      } finally {
        await store.close();
      }
      const reopened = await BinaryStorageAdapter.open({ baseDir });
      try {
        expect(reopened.health()).toMatchObject({ status: 'ok', problems: [] });
        const stored = await reopened.findBySymbol('LTCUSDT', 'binance', '1m');
        // Every acknowledged candle is there, each once; the failed save left nothing: bytes it
        // wrote before failing are not durable and were cut off before the next write.
        const expected = [0, 1, 3, 4, 5];
        expect(stored.map((c) => candles.findIndex((k) => k.t === c.t))).toEqual(expected);
        expect(stored).toEqual(expected.map((index) => candles[index]));
      } finally {
        await reopened.close();
      }
    },
  );

  it('refuses a probe that is not a function', async () => {
    await expect(
      BinaryStorageAdapter.open({ baseDir: await tempDir(), probe: 'yes' as unknown as () => void }),
    ).rejects.toBeInstanceOf(InvalidStorageConfigError);
  });
});
