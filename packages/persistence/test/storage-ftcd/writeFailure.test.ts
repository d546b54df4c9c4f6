import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { expectSameCandles } from '../contract/candleAssertions';
import { useTempDirs } from './helpers';

const WRITER = join(import.meta.dirname, 'fixtures', 'failingWriter.ts');
/** File size limit of the child, in bash's 1024-byte units: far below the big commit (~1 MB). */
const SIZE_LIMIT_KB = 256;

function runLimitedWriter(baseDir: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const command = `ulimit -f ${SIZE_LIMIT_KB}; trap '' XFSZ; exec "$0" --conditions=flowtrace-source --import tsx "$1" "$2"`;
    const child = spawn('bash', ['-c', command, process.execPath, WRITER, baseDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`writer exited with ${code}: ${errors}`));
      else
        resolve(
          output
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Record<string, unknown>),
        );
    });
  });
}

describe.skipIf(process.platform === 'win32')(
  '.ftcd write failures (real EFBIG from a file size limit)',
  () => {
    const tempDir = useTempDirs();

    it('rejects every save of a failed commit cycle, never acknowledges it, re-verifies the file and goes on', async () => {
      const baseDir = await tempDir();
      const steps = await runLimitedWriter(baseDir);
      const byStep = new Map(steps.map((step) => [step.step, step]));
      expect(byStep.get('first')).toMatchObject({ ok: true, result: { written: 1, unchanged: 0 } });
      const big = byStep.get('big') as { outcomes: { ok: boolean; code?: string }[] };
      expect(big.outcomes).toEqual(Array(5).fill({ ok: false, code: 'FLOWTRACE_STORAGE_WRITE_FAILED' }));
      expect(byStep.get('after')).toMatchObject({ ok: true, result: { written: 1, unchanged: 0 } });
      const health = byStep.get('health') as { health: { problems: unknown[]; repairs: { kind: string }[] } };
      expect(health.health.problems).toEqual([]);
      expect(health.health.repairs.map((repair) => repair.kind)).toEqual(['undurable-tail-discarded']);
      expect(byStep.get('done')).toBeDefined();

      const candles = generateFootprintCandles({ seed: 77, count: 4001, bins: 50, emptyRatio: 0 });
      const store = await BinaryStorageAdapter.open({ baseDir });
      expect(store.problems()).toEqual([]);
      const stored = await store.findBySymbol('BTCUSDT', 'binance', '1m');
      // The acknowledged candles are there; of the rejected ones only whole blocks that happened to land may be.
      expectSameCandles([stored[0]!], [{ ...candles[0]!, n: candles[0]!.n + 1 }]);
      const allowed = new Set(candles.map((candle) => candle.t));
      expect(stored.every((candle) => allowed.has(candle.t))).toBe(true);
      expect(await store.save(candles[1]!)).toMatchObject({ unchanged: expect.any(Number) });
      await store.close();
    }, 60_000);
  },
);
