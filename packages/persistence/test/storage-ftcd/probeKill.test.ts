import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { runTs } from '../service/childProcess';
import { probeKillCandles } from './fixtures/probeKillCandles';
import { useTempDirs } from './helpers';

const WRITER = join(import.meta.dirname, 'fixtures', 'probeKillWriter.ts');

async function runWriter(
  baseDir: string,
  point: string,
  hit: number,
  tornBytes: number,
): Promise<{ acked: number[]; signal: NodeJS.Signals | null; stderr: string }> {
  const { stdout, stderr, signal } = await runTs(
    WRITER,
    [baseDir, point, String(hit), String(tornBytes)],
    60_000,
  );
  const acked = stdout
    .split('\n')
    .filter((line) => line.startsWith('A '))
    .map((line) => Number(line.slice(2)));
  return { acked, signal, stderr };
}

/** SIGKILL from inside the append (real child process), then reopen: nothing acknowledged is lost. */
describe('.ftcd: SIGKILL at an exact probe point', () => {
  const tempDir = useTempDirs();
  const candles = probeKillCandles();

  it.each([
    // hit 6: the file exists (hit 1 created it), so this is an append to it.
    ['block:before-write', 6, 37, 'torn block'],
    ['block:before-write', 6, 1, 'one torn byte'],
    ['block:before-write', 1, 20, 'torn new file (.tmp)'],
    ['block:written', 6, 0, 'written, never fdatasync-ed'],
    ['block:synced', 6, 0, 'synced, save not yet resolved'],
  ])(
    '%s at hit %i (%i torn bytes: %s)',
    async (point, hit, tornBytes) => {
      const baseDir = await tempDir();
      const run = await runWriter(baseDir, point, hit, tornBytes);
      expect(run.signal, run.stderr).toBe('SIGKILL');
      // The kill landed inside the save of candle `interrupted`: every earlier save resolved, that one did not
      // (block:written is not reported when a save creates the file: candle 0's).
      const interrupted = point === 'block:written' ? hit : hit - 1;
      expect(run.acked).toEqual([...Array(interrupted).keys()]);

      const store = await BinaryStorageAdapter.open({ baseDir });
      let stored = 0;
      try {
        const found = await store.findBySymbol('LTCUSDT', 'binance', '1m');
        stored = found.length;
        // Every resolved save is there; the interrupted one only when its block was complete.
        expect(found.slice(0, interrupted)).toEqual(candles.slice(0, interrupted));
        const interruptedLanded = point !== 'block:before-write';
        expect(found).toEqual(candles.slice(0, interruptedLanded ? interrupted + 1 : interrupted));
        const health = store.health();
        expect(health.problems).toEqual([]);
        if (point === 'block:before-write') {
          expect(health.repairs).toHaveLength(1);
          expect(health.repairs[0]?.kind).toBe(hit === 1 ? 'temporary-file-removed' : 'torn-tail-truncated');
          expect(health.repairs[0]?.bytes).toBe(tornBytes);
        } else {
          expect(health.repairs).toEqual([]);
        }
        // The repaired store takes new saves.
        await store.save(candles[interrupted + 1]!);
      } finally {
        await store.close();
      }
      const verification = await verifyStore(baseDir);
      expect(verification.healthy).toBe(true);
      expect(verification.candles).toBe(stored + 1);
    },
    30_000,
  );
});
