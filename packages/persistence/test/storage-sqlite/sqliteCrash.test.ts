import { join } from 'node:path';
import { candleKeyToString, type FootprintCandleDTO } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { candlesEqual } from '../../src/shared/storage/candle/candlesEqual';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { plannedCandles } from './fixtures/crashPlan';
import { LineCollector, spawnTs, waitForExit } from './fixtures/spawnTs';
import { useTempDirs } from './fixtures/tempDir';

const tempDir = useTempDirs();
const WRITER = join(import.meta.dirname, 'fixtures', 'sqliteWriterChild.ts');
const KILLS = 20;

const keyOf = (candle: FootprintCandleDTO) =>
  candleKeyToString({ exchange: candle.ex, symbol: candle.s, timeframe: '1m', openTime: candle.t });

describe('SQLiteFlatBufferStorage survives kill -9', () => {
  it(`keeps every resolved save across ${KILLS} SIGKILLs at random moments, and passes integrity_check`, async () => {
    const baseDir = tempDir();
    // Per key: the versions a reader may legitimately see. A resolved version is
    // the floor; a later version that was submitted but never acknowledged may
    // also have committed just before the kill.
    const mustBe = new Map<string, FootprintCandleDTO[]>();
    let resolvedTotal = 0;
    let killedMidRun = 0;
    for (let generation = 0; generation < KILLS; generation++) {
      const child = spawnTs(WRITER, [baseDir, String(generation)]);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const lines = new LineCollector(child);
      await Promise.race([lines.waitFor(() => lines.lines.includes('ready')), waitForExit(child)]);
      expect(child.exitCode, stderr).toBeNull();
      // Kill somewhere between right away and a few dozen acknowledged saves.
      const target = Math.floor(Math.random() * 40);
      await lines.waitFor(() => lines.lines.length - 1 >= target);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 30));
      child.kill('SIGKILL');
      const exit = await waitForExit(child);
      expect(exit.signal).toBe('SIGKILL');
      if (lines.lines.length - 1 > 0) killedMidRun += 1;

      const acknowledged = lines.lines
        .filter((line) => line !== 'ready')
        .map((line) => JSON.parse(line) as { g: number; r: number; c: number; keys: string[] });
      resolvedTotal += acknowledged.length;
      const lastRound = Math.max(-1, ...acknowledged.map((a) => a.r));
      for (const { r, c, keys } of acknowledged) {
        const planned = plannedCandles(generation, r, c);
        expect(keys).toEqual(planned.map(keyOf));
        for (const candle of planned) mustBe.set(keyOf(candle), [candle]);
      }
      // Replacements of acknowledged round-r call-0 candles submitted in round r+1 (possibly unacknowledged).
      for (const { r, c } of acknowledged) {
        if (c !== 0 || acknowledged.some((a) => a.r === r + 1 && a.c === 2)) continue;
        if (r + 1 > lastRound + 1) continue;
        for (const replacement of plannedCandles(generation, r + 1, 2))
          mustBe.get(keyOf(replacement))?.push(replacement);
      }

      const storage = await SQLiteFlatBufferStorage.open({ baseDir });
      try {
        expect(storage.integrityCheck()).toEqual(['ok']);
        const stored = await storage.findBySymbol('BTCUSDT', 'binance', '1m');
        const byKey = new Map(stored.map((candle) => [keyOf(candle), candle]));
        for (const [key, allowed] of mustBe) {
          const found = byKey.get(key);
          expect(found, `resolved candle ${key} is missing after kill #${generation + 1}`).toBeDefined();
          expect(
            allowed.some((version) => candlesEqual(version, found!)),
            `candle ${key} differs from every version it may have after kill #${generation + 1}`,
          ).toBe(true);
        }
        // Pin to the version now on disk: later generations never touch these keys.
        for (const [key, allowed] of mustBe) {
          const found = byKey.get(key)!;
          mustBe.set(
            key,
            allowed.filter((version) => candlesEqual(version, found)),
          );
        }
      } finally {
        await storage.close();
      }
    }
    expect(resolvedTotal).toBeGreaterThan(0);
    expect(killedMidRun).toBeGreaterThan(KILLS / 2);
  }, 170_000);
});
