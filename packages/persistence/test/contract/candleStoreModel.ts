import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  SaveResult,
  SeriesInfo,
} from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { candlesEqual } from '../../src/shared/storage/candle/candlesEqual';
import { copyCandle } from '../../src/shared/storage/candle/copyCandle';

/** The obviously-correct reference every adapter is compared with. */
export class CandleStoreModel {
  private readonly candles = new Map<string, FootprintCandleDTO>();

  saveMany(candles: readonly FootprintCandleDTO[]): SaveResult {
    const result = { written: 0, unchanged: 0 };
    for (const candle of candles) {
      const id = `${candle.ex}:${candle.s}:${candle.i}:${candle.t}`;
      const existing = this.candles.get(id);
      if (existing && candlesEqual(existing, candle)) result.unchanged += 1;
      else {
        this.candles.set(id, copyCandle(candle));
        result.written += 1;
      }
    }
    return result;
  }

  find(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options: CandleQueryOptions = {},
  ): FootprintCandleDTO[] {
    const start = options.startTime ?? Number.NEGATIVE_INFINITY;
    const end = options.endTime ?? Number.POSITIVE_INFINITY;
    const matching = this.all()
      .filter((c) => c.s === symbol && c.ex === exchange && c.i === timeframe && c.t >= start && c.t <= end)
      .sort((a, b) => a.t - b.t);
    if (options.order === 'desc') matching.reverse();
    return options.limit === undefined ? matching : matching.slice(0, options.limit);
  }

  latest(symbol: string, exchange: string, timeframe: TimeframeName, n: number): FootprintCandleDTO[] {
    return this.find(symbol, exchange, timeframe, { order: 'desc', limit: n }).reverse();
  }

  series(): SeriesInfo[] {
    const bySeries = new Map<string, SeriesInfo>();
    for (const candle of this.all()) {
      const id = `${candle.ex}:${candle.s}:${candle.i}`;
      const info = bySeries.get(id);
      if (!info) {
        bySeries.set(id, {
          exchange: candle.ex,
          symbol: candle.s,
          timeframe: candle.i as TimeframeName,
          firstOpenTime: candle.t,
          lastOpenTime: candle.t,
          count: 1,
        });
      } else {
        info.firstOpenTime = Math.min(info.firstOpenTime, candle.t);
        info.lastOpenTime = Math.max(info.lastOpenTime, candle.t);
        info.count += 1;
      }
    }
    return [...bySeries.values()].sort(seriesOrder);
  }

  /** Per series (`ex:s:i`), ascending open time. */
  iterate(options: CandleIterationOptions = {}): Map<string, FootprintCandleDTO[]> {
    const start = options.startTime ?? Number.NEGATIVE_INFINITY;
    const end = options.endTime ?? Number.POSITIVE_INFINITY;
    const grouped = new Map<string, FootprintCandleDTO[]>();
    const matching = this.all()
      .filter(
        (c) =>
          (options.exchange === undefined || c.ex === options.exchange) &&
          (options.symbol === undefined || c.s === options.symbol) &&
          (options.timeframe === undefined || c.i === options.timeframe) &&
          c.t >= start &&
          c.t <= end,
      )
      .sort((a, b) => a.t - b.t);
    for (const candle of matching) {
      const id = `${candle.ex}:${candle.s}:${candle.i}`;
      grouped.set(id, [...(grouped.get(id) ?? []), candle]);
    }
    return grouped;
  }

  private all(): FootprintCandleDTO[] {
    return [...this.candles.values()];
  }
}

export function seriesOrder(a: SeriesInfo, b: SeriesInfo): number {
  const left = `${a.exchange}\u0000${a.symbol}\u0000${a.timeframe}`;
  const right = `${b.exchange}\u0000${b.symbol}\u0000${b.timeframe}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Groups a streamed iteration per series, failing when a series is not contiguous or not ascending. */
export function groupIteration(candles: readonly FootprintCandleDTO[]): Map<string, FootprintCandleDTO[]> {
  const grouped = new Map<string, FootprintCandleDTO[]>();
  let current: string | undefined;
  for (const candle of candles) {
    const id = `${candle.ex}:${candle.s}:${candle.i}`;
    const list = grouped.get(id);
    if (list && current !== id) throw new Error(`iterate() interleaved series ${id}`);
    const previous = list?.[list.length - 1];
    if (previous && previous.t >= candle.t)
      throw new Error(`iterate() not ascending in ${id} at ${candle.t}`);
    current = id;
    if (list) list.push(candle);
    else grouped.set(id, [candle]);
  }
  return grouped;
}
