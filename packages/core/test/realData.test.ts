import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  aggregateTradeStream,
  type FootprintCandleDTO,
  readTradesCsv,
  rollUpCandles,
  validateFootprintCandle,
} from '@flowtrace/core';
import { beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataFile = resolve(repoRoot, '..', 'shared', 'data', 'ltcusdt-aggtrades-2025-06', 'trades.csv.gz');
const present = existsSync(dataFile);
if (!present)
  console.warn(`Skipping the real-data test: ${dataFile} is absent (it lives outside the repository).`);

const OPTIONS = { exchange: 'binance', symbol: 'LTCUSDT', tickValue: 0.01 } as const;

/** Quantity text like "0.107" as an integer number of 1e-8 LTC, by string manipulation only. */
function toSatoshi(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > 8) throw new Error(`more than 8 decimals: ${text}`);
  return BigInt(whole) * 100_000_000n + BigInt(fraction.padEnd(8, '0'));
}

describe.skipIf(!present)('real data: LTCUSDT aggTrades, June 2025', () => {
  let oneMinute: FootprintCandleDTO[] = [];
  let oneHour: FootprintCandleDTO[] = [];
  let csvRows: string[][] = [];

  beforeAll(async () => {
    const text = gunzipSync(await readFile(dataFile)).toString('utf8');
    csvRows = text
      .split('\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => line.split(','));
    oneMinute = await aggregateTradeStream(readTradesCsv(dataFile), { ...OPTIONS, timeframes: ['1m'] });
    oneHour = await aggregateTradeStream(readTradesCsv(dataFile), { ...OPTIONS, timeframes: ['1h'] });
  });

  it('counts every trade once', () => {
    expect(csvRows).toHaveLength(152_763);
    expect(oneMinute.reduce((count, candle) => count + candle.n, 0)).toBe(152_763);
    expect(oneMinute).toHaveLength(1_910);
  });

  it('every 1m candle validates strictly; only the last is open', () => {
    const failures = oneMinute.flatMap((candle) => {
      const result = validateFootprintCandle(candle, { strict: true });
      return result.ok ? [] : [{ t: candle.t, issues: result.issues }];
    });
    expect(failures).toEqual([]);
    expect(oneMinute.filter((candle) => !candle.x).map((candle) => candle.t)).toEqual([oneMinute.at(-1)?.t]);
  });

  it('total volume equals the sum of the trade quantities exactly (fixed-point)', () => {
    const tradeTotal = csvRows.reduce((sum, row) => sum + toSatoshi(row[2] ?? ''), 0n);
    const candleTotal = oneMinute.reduce((sum, candle) => sum + BigInt(Math.round(candle.v * 1e8)), 0n);
    const binTotal = oneMinute.reduce(
      (sum, candle) => candle.aggs.reduce((inner, bin) => inner + BigInt(Math.round(bin.v * 1e8)), sum),
      0n,
    );
    const buyTotal = csvRows
      .filter((row) => row[3] === 'buy')
      .reduce((sum, row) => sum + toSatoshi(row[2] ?? ''), 0n);
    expect(candleTotal).toBe(tradeTotal);
    expect(binTotal).toBe(tradeTotal);
    expect(oneMinute.reduce((sum, candle) => sum + BigInt(Math.round(candle.bv * 1e8)), 0n)).toBe(buyTotal);
    expect(tradeTotal).toBe(61_359_657_200_000n);
  });

  it('first and last trade ids and prices match the file', () => {
    expect(oneMinute[0]).toMatchObject({ f: 293517768, o: 83.29 });
    expect(oneMinute.at(-1)).toMatchObject({ ls: 293696125, c: 80.21 });
  });

  it('rolling the 1m candles up to 1h equals building 1h directly', () => {
    expect(rollUpCandles(oneMinute, '1h')).toEqual(oneHour);
  });
});
