import { type FootprintCandleDTO, seriesKeyToString, type TimeframeName } from '@flowtrace/core';
import { storableCandleKey } from '../../../../shared/storage/candle/candleKeyOf';
import { candlesEqual } from '../../../../shared/storage/candle/candlesEqual';
import { compareSeries } from '../../../../shared/storage/candle/compareSeries';
import { copyCandle } from '../../../../shared/storage/candle/copyCandle';
import {
  checkIterationNames,
  checkSeriesQuery,
  findLatestViaRange,
  resolveIteration,
  resolveQuery,
} from '../../../../shared/storage/candle/queryOptions';
import { StorageClosedError } from '../../../../shared/storage/errors/StorageErrors';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
  SaveResult,
  SeriesInfo,
} from '../../application/ports/out/CandleStoragePort';

interface MemorySeries {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: TimeframeName;
  readonly candles: Map<number, FootprintCandleDTO>;
  /** Open times ascending; rebuilt lazily after a new key arrives. */
  sortedTimes: number[] | undefined;
}

/**
 * A `CandleStoragePort` kept in process memory: for tests and for tools that
 * need a throw-away store. Nothing survives the process ("durable" means
 * "stored in this object"). Candles are deep-copied on the way in and out, so
 * callers can never alias stored state.
 */
export class InMemoryCandleStorage implements CandleStoragePort {
  private readonly series = new Map<string, MemorySeries>();
  private closed = false;

  static async open(): Promise<InMemoryCandleStorage> {
    return new InMemoryCandleStorage();
  }

  async save(candle: FootprintCandleDTO): Promise<SaveResult> {
    return this.saveMany([candle]);
  }

  async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    this.assertOpen();
    // Validate every key first so a bad candle stores nothing of its batch.
    const keys = candles.map(storableCandleKey);
    const result: SaveResult = { written: 0, unchanged: 0 };
    candles.forEach((candle, index) => {
      const key = keys[index]!;
      const series = this.seriesFor(key.exchange, key.symbol, key.timeframe);
      const existing = series.candles.get(key.openTime);
      if (existing && candlesEqual(existing, candle)) {
        result.unchanged += 1;
        return;
      }
      if (!existing) series.sortedTimes = undefined;
      series.candles.set(key.openTime, copyCandle(candle));
      result.written += 1;
    });
    return result;
  }

  async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    this.assertOpen();
    const query = resolveQuery(options);
    checkSeriesQuery(symbol, exchange, timeframe);
    const series = this.series.get(seriesKeyToString({ exchange, symbol, timeframe }));
    if (!series || query.limit === 0) return [];
    let times = sortedTimesOf(series).filter((time) => time >= query.startTime && time <= query.endTime);
    if (query.order === 'desc') times = times.reverse();
    if (times.length > query.limit) times = times.slice(0, query.limit);
    return times.map((time) => copyCandle(series.candles.get(time)!));
  }

  findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    return findLatestViaRange(this, symbol, exchange, timeframe, n);
  }

  async listSeries(): Promise<SeriesInfo[]> {
    this.assertOpen();
    const infos: SeriesInfo[] = [];
    for (const series of this.series.values()) {
      const times = sortedTimesOf(series);
      if (times.length === 0) continue;
      infos.push({
        exchange: series.exchange,
        symbol: series.symbol,
        timeframe: series.timeframe,
        firstOpenTime: times[0]!,
        lastOpenTime: times[times.length - 1]!,
        count: times.length,
      });
    }
    return infos.sort(compareSeries);
  }

  async *iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    this.assertOpen();
    const { startTime, endTime, ...filter } = resolveIteration(options);
    checkIterationNames(filter);
    const matching = [...this.series.values()]
      .filter(
        (series) =>
          (filter.exchange === undefined || series.exchange === filter.exchange) &&
          (filter.symbol === undefined || series.symbol === filter.symbol) &&
          (filter.timeframe === undefined || series.timeframe === filter.timeframe),
      )
      .sort(compareSeries);
    for (const series of matching) {
      for (const time of sortedTimesOf(series)) {
        if (time < startTime || time > endTime) continue;
        this.assertOpen();
        const candle = series.candles.get(time);
        if (candle) yield copyCandle(candle);
      }
    }
  }

  async flush(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.series.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private seriesFor(exchange: string, symbol: string, timeframe: TimeframeName): MemorySeries {
    const id = seriesKeyToString({ exchange, symbol, timeframe });
    let series = this.series.get(id);
    if (!series) {
      series = { exchange, symbol, timeframe, candles: new Map(), sortedTimes: undefined };
      this.series.set(id, series);
    }
    return series;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError('in-memory candle store');
  }
}

function sortedTimesOf(series: MemorySeries): number[] {
  if (!series.sortedTimes) series.sortedTimes = [...series.candles.keys()].sort((a, b) => a - b);
  return series.sortedTimes;
}
