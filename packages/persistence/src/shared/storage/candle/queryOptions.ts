import {
  closestName,
  editDistance,
  explainUnsafeName,
  type FootprintCandleDTO,
  isTimeframeName,
  TIMEFRAME_NAMES,
  type TimeframeName,
} from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { InvalidCandleKeyError, InvalidQueryError } from '../errors/StorageErrors';

export interface ResolvedQuery {
  readonly startTime: number;
  readonly endTime: number;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
}

/** Checks a range query once at the boundary; missing bounds become ±Infinity, a missing limit Infinity. */
export function resolveQuery(options: CandleQueryOptions | undefined): ResolvedQuery {
  checkOptionsObject(options, QUERY_OPTIONS);
  const startTime = options?.startTime ?? Number.NEGATIVE_INFINITY;
  const endTime = options?.endTime ?? Number.POSITIVE_INFINITY;
  const limit = options?.limit ?? Number.POSITIVE_INFINITY;
  const order = options?.order ?? 'asc';
  checkBound('startTime', startTime);
  checkBound('endTime', endTime);
  if (limit !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new InvalidQueryError('limit must be a non-negative integer');
  }
  if (order !== 'asc' && order !== 'desc') throw new InvalidQueryError('order must be "asc" or "desc"');
  return { startTime, endTime, limit, order };
}

/**
 * The series arguments of a read must be strings (`InvalidQueryError`). Only
 * their type: the reader of the original platform's data
 * (LegacySqliteCandleReader) must reach series whose names our stores refuse,
 * to report them. Our stores check the names too: `checkSeriesQuery`.
 */
export function checkSeriesArguments(symbol: unknown, exchange: unknown, timeframe: unknown): void {
  if (typeof symbol !== 'string') throw new InvalidQueryError('symbol must be a string');
  if (typeof exchange !== 'string') throw new InvalidQueryError('exchange must be a string');
  if (typeof timeframe !== 'string') throw new InvalidQueryError('timeframe must be a string');
}

/** A name as it appears in a message: quoted and escaped (control characters), long ones cut. */
export function shown(value: string): string {
  return JSON.stringify(value.length > 72 ? `${value.slice(0, 64)}…` : value);
}

function nameProblem(kind: 'exchange' | 'symbol', value: string): string | undefined {
  const problem = explainUnsafeName(value);
  return problem === undefined ? undefined : `${kind} ${shown(value)} ${problem}`;
}

function timeframeProblem(value: string): string | undefined {
  return isTimeframeName(value)
    ? undefined
    : `timeframe ${shown(value)} is not one of ${TIMEFRAME_NAMES.join(', ')}`;
}

/**
 * Why no store can hold a series of these names (the rules a save applies to
 * a candle's `ex`, `s`, `i`: core's safe names and timeframes), or undefined
 * when a store can.
 */
export function seriesKeyProblem(exchange: string, symbol: string, timeframe: string): string | undefined {
  return nameProblem('exchange', exchange) ?? nameProblem('symbol', symbol) ?? timeframeProblem(timeframe);
}

/** Whether a store can hold a series of these names (`seriesKeyProblem` finds nothing). */
export function isStorableSeries(series: { exchange: string; symbol: string; timeframe: string }): boolean {
  return seriesKeyProblem(series.exchange, series.symbol, series.timeframe) === undefined;
}

/**
 * The series arguments of a read from one of our stores: strings
 * (`InvalidQueryError`, FLOWTRACE_INVALID_QUERY), and names a save would
 * accept (`InvalidCandleKeyError`, FLOWTRACE_INVALID_CANDLE_KEY, the error a
 * save of a candle with such names gets). A series no store can hold (`1M`
 * for `1m`, `BTC/USDT`) is a mistake in the query, not an empty series; a
 * valid series never stored (`btcusdt` beside `BTCUSDT`: names are
 * case-sensitive) reads as empty.
 */
export function checkSeriesQuery(symbol: unknown, exchange: unknown, timeframe: unknown): void {
  checkSeriesArguments(symbol, exchange, timeframe);
  const problem = seriesKeyProblem(exchange as string, symbol as string, timeframe as string);
  if (problem) throw new InvalidCandleKeyError(`No store can hold the series asked for: ${problem}`);
}

/**
 * `iterate()` filters of one of our stores, after `resolveIteration`: a filter
 * given must be a name a save would accept (`InvalidCandleKeyError`, as
 * `checkSeriesQuery`); an omitted one matches everything.
 */
export function checkIterationNames(
  filter: Pick<ResolvedIteration, 'exchange' | 'symbol' | 'timeframe'>,
): void {
  const { exchange, symbol, timeframe } = filter;
  const problem =
    (exchange === undefined ? undefined : nameProblem('exchange', exchange)) ??
    (symbol === undefined ? undefined : nameProblem('symbol', symbol)) ??
    (timeframe === undefined ? undefined : timeframeProblem(timeframe));
  if (problem) throw new InvalidCandleKeyError(`No store can hold the series filtered for: ${problem}`);
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
  checkOptionsObject(options, ITERATION_OPTIONS);
  const startTime = options?.startTime ?? Number.NEGATIVE_INFINITY;
  const endTime = options?.endTime ?? Number.POSITIVE_INFINITY;
  checkBound('startTime', startTime);
  checkBound('endTime', endTime);
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

const QUERY_OPTIONS: readonly (keyof CandleQueryOptions)[] = ['startTime', 'endTime', 'limit', 'order'];
const ITERATION_OPTIONS: readonly (keyof CandleIterationOptions)[] = [
  'exchange',
  'symbol',
  'timeframe',
  'startTime',
  'endTime',
];

/**
 * An object whose keys are all `known`: a misspelt option (`start` for
 * `startTime`, `symbl`) would otherwise be ignored and widen the result
 * without a word.
 */
function checkOptionsObject(options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new InvalidQueryError('options must be an object when given');
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = suggestedOption(key, known);
    throw new InvalidQueryError(
      `unknown option ${JSON.stringify(key)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; the options are ${known.join(', ')}`,
    );
  }
}

/** A known option `key` misspells or abbreviates (`start` for `startTime`). */
function suggestedOption(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const misspelt = closestName(lower, known, 2, (name, typed) => editDistance(name.toLowerCase(), typed));
  if (misspelt !== undefined || lower.length < 3) return misspelt;
  return known.find((name) => name.toLowerCase().startsWith(lower));
}

/** A time bound: a number, ±Infinity allowed (an open end), NaN not (it compares false with everything). */
function checkBound(name: 'startTime' | 'endTime', value: unknown): void {
  if (typeof value !== 'number')
    throw new InvalidQueryError(`${name} must be a number (epoch ms), not ${describeValue(value)}`);
  if (Number.isNaN(value)) throw new InvalidQueryError(`${name} must be a number (epoch ms), not NaN`);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${shown(value)}`;
  if (value === null) return 'null';
  return `a ${typeof value}`;
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
