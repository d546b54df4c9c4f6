import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { InvalidQueryError } from '../errors/StorageErrors';

export interface ResolvedQuery {
  readonly startTime: number;
  readonly endTime: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

/** Checks a range query once at the boundary; missing bounds become ±Infinity, a missing limit Infinity. */
export function resolveQuery(options: CandleQueryOptions | undefined): ResolvedQuery {
  checkOptionsObject(options);
  const startTime = options?.startTime ?? Number.NEGATIVE_INFINITY;
  const endTime = options?.endTime ?? Number.POSITIVE_INFINITY;
  const limit = options?.limit ?? Number.POSITIVE_INFINITY;
  const order = options?.order ?? 'asc';
  if (typeof startTime !== 'number' || Number.isNaN(startTime))
    throw new InvalidQueryError('startTime must be a number');
  if (typeof endTime !== 'number' || Number.isNaN(endTime))
    throw new InvalidQueryError('endTime must be a number');
  if (limit !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new InvalidQueryError('limit must be a non-negative integer');
  }
  if (order !== 'asc' && order !== 'desc') throw new InvalidQueryError('order must be "asc" or "desc"');
  return { startTime, endTime, limit, order };
}

/**
 * The series arguments of a read must be strings. A series never stored (also
 * one whose names or timeframe no save would accept) reads as empty: no error.
 */
export function checkSeriesArguments(symbol: unknown, exchange: unknown, timeframe: unknown): void {
  if (typeof symbol !== 'string') throw new InvalidQueryError('symbol must be a string');
  if (typeof exchange !== 'string') throw new InvalidQueryError('exchange must be a string');
  if (typeof timeframe !== 'string') throw new InvalidQueryError('timeframe must be a string');
}

export interface ResolvedIteration {
  readonly exchange: string | undefined;
  readonly symbol: string | undefined;
  readonly timeframe: string | undefined;
  readonly startTime: number;
  readonly endTime: number;
}

/** Checks `iterate()` filters like a range query's: omitted filters match everything. */
export function resolveIteration(options: CandleIterationOptions | undefined): ResolvedIteration {
  checkOptionsObject(options);
  const startTime = options?.startTime ?? Number.NEGATIVE_INFINITY;
  const endTime = options?.endTime ?? Number.POSITIVE_INFINITY;
  if (typeof startTime !== 'number' || Number.isNaN(startTime))
    throw new InvalidQueryError('startTime must be a number');
  if (typeof endTime !== 'number' || Number.isNaN(endTime))
    throw new InvalidQueryError('endTime must be a number');
  for (const field of ['exchange', 'symbol', 'timeframe'] as const) {
    const value = options?.[field];
    if (value !== undefined && typeof value !== 'string')
      throw new InvalidQueryError(`${field} must be a string when given`);
  }
  return {
    exchange: options?.exchange,
    symbol: options?.symbol,
    timeframe: options?.timeframe,
    startTime,
    endTime,
  };
}

function checkOptionsObject(options: unknown): void {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    throw new InvalidQueryError('options must be an object when given');
}

export function checkLatestCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidQueryError('n must be a non-negative integer');
}

/**
 * `findLatest` for stores whose range read can return newest first: the `n`
 * newest candles of a series, oldest first. One definition for every adapter.
 */
export async function findLatestViaRange(
  store: Pick<CandleStoragePort, 'findBySymbol'>,
  symbol: string,
  exchange: string,
  timeframe: TimeframeName,
  n: number,
): Promise<FootprintCandleDTO[]> {
  checkLatestCount(n);
  return (await store.findBySymbol(symbol, exchange, timeframe, { order: 'desc', limit: n })).reverse();
}
