/**
 * `pnpm start` / `pnpm demo`: builds footprint candles from real LTCUSDT trades
 * (../shared/data, when present beside the repository) or from seeded synthetic
 * trades, validates every candle, and prints what was built.
 *
 * This is the core-only demo; the full pipeline demo (daemon, publisher, restart)
 * replaces it when the daemon lands.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  aggregateTradeStream,
  type FootprintCandleDTO,
  readTradesCsv,
  SeededRandom,
  type TimeframeName,
  type Trade,
  validateFootprintCandle,
} from '@flowtrace/core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tradesFile = resolve(root, '..', 'shared', 'data', 'ltcusdt-aggtrades-2025-06', 'trades.csv.gz');
const timeframes: TimeframeName[] = ['1m', '5m', '1h'];

function* syntheticTrades(count: number): Generator<Trade> {
  const random = new SeededRandom(42);
  let priceTicks = 8_000; // 80.00 at tick 0.01
  let time = Date.UTC(2025, 5, 21, 12, 0, 0);
  for (let tradeId = 1; tradeId <= count; tradeId++) {
    priceTicks = Math.max(1, priceTicks + random.int(-2, 2));
    time += random.int(0, 1_500);
    yield {
      price: priceTicks / 100,
      quantity: random.int(1, 5_000) / 1_000,
      isBuyerMaker: random.chance(0.5),
      tradeId,
      time,
    };
  }
}

const source = existsSync(tradesFile)
  ? { label: `real trades from ${tradesFile}`, trades: readTradesCsv(tradesFile) }
  : {
      label: 'synthetic trades (../shared/data not found beside the repository)',
      trades: syntheticTrades(150_000),
    };

console.log(`FlowTrace demo: building ${timeframes.join('/')} footprint candles from ${source.label}`);
const started = performance.now();
const candles = await aggregateTradeStream(source.trades, {
  exchange: 'binance',
  symbol: 'LTCUSDT',
  asset: 'LTC',
  timeframes,
  tickValue: 0.01,
});
const elapsedMs = performance.now() - started;

let invalid = 0;
for (const candle of candles) {
  const result = validateFootprintCandle(candle, { strict: true });
  if (!result.ok) {
    invalid++;
    console.error(
      `invalid candle ${candle.i} ${candle.t}: ${result.issues.map((i) => i.message).join('; ')}`,
    );
  }
}

const byTimeframe = new Map<string, FootprintCandleDTO[]>();
for (const candle of candles) byTimeframe.set(candle.i, [...(byTimeframe.get(candle.i) ?? []), candle]);

console.log(`built ${candles.length} candles in ${elapsedMs.toFixed(0)} ms; ${invalid} failed validation\n`);
console.table(
  [...byTimeframe].map(([timeframe, list]) => ({
    timeframe,
    candles: list.length,
    trades: list.reduce((n, c) => n + c.n, 0),
    bins: list.reduce((n, c) => n + c.aggs.length, 0),
    first: new Date(list[0]?.t ?? 0).toISOString(),
    last: new Date(list.at(-1)?.t ?? 0).toISOString(),
  })),
);

const hourly = byTimeframe.get('1h') ?? [];
console.log('\nfirst hourly candles:');
console.table(
  hourly.slice(0, 5).map((c) => {
    const poc = c.aggs.reduce((best, bin) => (bin.v > best.v ? bin : best), c.aggs[0] ?? { tp: 0, v: 0 });
    return {
      open: new Date(c.t).toISOString().slice(0, 16),
      o: c.o,
      h: c.h,
      l: c.l,
      c: c.c,
      volume: c.v,
      delta: c.d,
      trades: c.n,
      bins: c.aggs.length,
      'point of control': poc.tp,
    };
  }),
);
if (invalid > 0) process.exitCode = 1;
