import { explainUnsafeName } from '../naming/safeName';
import { isTimeframeName, type TimeframeName } from '../timeframe/timeframes';

/** Identity of a stored candle: one per series and open time. */
export interface CandleKey {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: TimeframeName;
  /** Open time, epoch ms. */
  readonly openTime: number;
}

/** Identity of a series: every candle of one exchange, symbol and timeframe. */
export interface SeriesKey {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: TimeframeName;
}

/**
 * Stable string form `{exchange}:{symbol}:{timeframe}:{openTime}`, the same as
 * the original platform's candle id. Unambiguous because safe names never
 * contain `:`.
 */
export function candleKeyToString(key: CandleKey): string {
  return `${key.exchange}:${key.symbol}:${key.timeframe}:${key.openTime}`;
}

export function seriesKeyToString(key: SeriesKey): string {
  return `${key.exchange}:${key.symbol}:${key.timeframe}`;
}

export class CandleKeyParseError extends Error {
  readonly code = 'FLOWTRACE_INVALID_CANDLE_KEY';
  constructor(input: string, reason: string) {
    super(`Invalid candle key "${input}": ${reason}`);
    this.name = 'CandleKeyParseError';
  }
}

export function parseCandleKey(input: string): CandleKey {
  const parts = input.split(':');
  if (parts.length !== 4) throw new CandleKeyParseError(input, 'expected exchange:symbol:timeframe:openTime');
  const [exchange = '', symbol = '', timeframe = '', openTimeText = ''] = parts;
  const exchangeProblem = explainUnsafeName(exchange);
  if (exchangeProblem) throw new CandleKeyParseError(input, `exchange ${exchangeProblem}`);
  const symbolProblem = explainUnsafeName(symbol);
  if (symbolProblem) throw new CandleKeyParseError(input, `symbol ${symbolProblem}`);
  if (!isTimeframeName(timeframe)) throw new CandleKeyParseError(input, `unknown timeframe "${timeframe}"`);
  const openTime = Number(openTimeText);
  if (!/^-?\d+$/.test(openTimeText) || !Number.isSafeInteger(openTime)) {
    throw new CandleKeyParseError(input, 'openTime must be an integer number of milliseconds');
  }
  return { exchange, symbol, timeframe, openTime };
}
