/**
 * The timeframes FlowTrace builds and stores. A candle of timeframe `tf` opens
 * at an epoch-ms time that is a multiple of its duration (UTC; `1d` opens at
 * 00:00:00.000 UTC) and closes at `openTime + duration - 1`.
 */
export const TIMEFRAME_NAMES = [
  '1s',
  '1m',
  '3m',
  '5m',
  '15m',
  '30m',
  '1h',
  '2h',
  '4h',
  '8h',
  '12h',
  '1d',
] as const;

export type TimeframeName = (typeof TIMEFRAME_NAMES)[number];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Duration of each timeframe in milliseconds. */
export const TIMEFRAME_DURATION_MS: Readonly<Record<TimeframeName, number>> = Object.freeze({
  '1s': SECOND,
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '8h': 8 * HOUR,
  '12h': 12 * HOUR,
  '1d': 24 * HOUR,
});

export interface Timeframe {
  readonly name: TimeframeName;
  /** Duration in milliseconds. */
  readonly durationMs: number;
  /** Duration in seconds (the DTO's `vi`). */
  readonly intervalSeconds: number;
}

export function isTimeframeName(value: unknown): value is TimeframeName {
  return typeof value === 'string' && (TIMEFRAME_NAMES as readonly string[]).includes(value);
}

export function getTimeframe(name: TimeframeName): Timeframe {
  const durationMs = TIMEFRAME_DURATION_MS[name];
  return { name, durationMs, intervalSeconds: durationMs / SECOND };
}

/** Open time of the candle of `timeframe` that contains `timeMs`. */
export function alignOpenTime(timeMs: number, timeframe: TimeframeName): number {
  const duration = TIMEFRAME_DURATION_MS[timeframe];
  return timeMs - mod(timeMs, duration);
}

/** Close time (last millisecond) of the candle that opens at `openTime`. */
export function closeTimeOf(openTime: number, timeframe: TimeframeName): number {
  return openTime + TIMEFRAME_DURATION_MS[timeframe] - 1;
}

export function isAlignedOpenTime(openTime: number, timeframe: TimeframeName): boolean {
  return Number.isSafeInteger(openTime) && mod(openTime, TIMEFRAME_DURATION_MS[timeframe]) === 0;
}

/** True when every candle of `lower` lies inside exactly one candle of `higher`. */
export function isRollupOf(lower: TimeframeName, higher: TimeframeName): boolean {
  const l = TIMEFRAME_DURATION_MS[lower];
  const h = TIMEFRAME_DURATION_MS[higher];
  return h > l && h % l === 0;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
