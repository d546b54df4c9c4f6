import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile, verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { runTs } from '../service/childProcess';
import { compactKillCandles } from './fixtures/compactKillCandles';
import { useTempDirs } from './helpers';

const WRITER = join(import.meta.dirname, 'fixtures', 'compactKillWriter.ts');

/** SIGKILL inside a compaction (real child process), then reopen: every candle is there, once. */
describe('.ftcd compaction: SIGKILL at its probe points', () => {
  const tempDir = useTempDirs();
  const candles = compactKillCandles();

  it.each([
    ['compact:synced', 'the copy is complete as .tmp, the original untouched', 120, 'temporary-file-removed'],
    ['compact:renamed', 'the copy replaced the original, its directory not fsynced', 1, undefined],
  ])(
    '%s (%s)',
    async (point, _what, sealedBlocks, repair) => {
      const baseDir = await tempDir();
      const run = await runTs(WRITER, [baseDir, point], 60_000);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      expect(run.stdout).toContain('SAVED');
      expect(run.stdout).not.toContain('DONE');
      const sealed = join(baseDir, 'binance', 'LTCUSDT', '1m', '2025-06-01.ftcd');
      expect(existsSync(`${sealed}.tmp`)).toBe(point === 'compact:synced');

      const store = await BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
      try {
        expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
        const health = store.health();
        expect(health.problems).toEqual([]);
        expect(health.repairs.map((r) => r.kind)).toEqual(repair ? [repair] : []);
        expect(existsSync(`${sealed}.tmp`)).toBe(false);
        expect((await inspectFtcdFile(sealed)).blocks).toHaveLength(sealedBlocks);
        // The store compacts (again, or nothing left) and takes saves.
        expect((await store.compact()).partitions).toBe(sealedBlocks > 1 ? 1 : 0);
        expect((await inspectFtcdFile(sealed)).blocks).toHaveLength(1);
        expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
      } finally {
        await store.close();
      }
      const verification = await verifyStore(baseDir);
      expect(verification.healthy).toBe(true);
      expect(verification.candles).toBe(candles.length);
    },
    60_000,
  );
});
