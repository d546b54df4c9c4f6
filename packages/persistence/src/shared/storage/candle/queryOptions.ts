import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
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
