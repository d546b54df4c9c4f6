import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { afterEach } from 'vitest';

/** A fresh temp directory per call, removed after each test. */
export function useTempDirs(): () => Promise<string> {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowtrace-ftcd-'));
    dirs.push(dir);
    return dir;
  };
}

/** `count` LTCUSDT 1m candles (binance, tick 0.01) from `start` (aligned), `bins` bins each. */
export function ltcCandlesFrom(
  start: number,
  count: number,
  seed: number,
  bins: number,
): FootprintCandleDTO[] {
  return generateFootprintCandles({
    seed,
    count,
    bins,
    symbol: 'LTCUSDT',
    tickValue: 0.01,
    startPrice: 90,
    emptyRatio: 0,
    startTime: start,
  });
}

/** The `.ftcd` file of one day of binance LTCUSDT 1m candles. */
export const ltcDayFile = (baseDir: string, day: string): string =>
  join(baseDir, 'binance', 'LTCUSDT', '1m', `${day}.ftcd`);
