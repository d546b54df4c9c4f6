import { InvalidCoreOptionsError } from '../errors/FlowTraceCoreError';

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
  const durationMs = durationOf(name);
  return { name, durationMs, intervalSeconds: durationMs / SECOND };
}

/**
 * Open time of the candle of `timeframe` that contains `timeMs`.
 * @throws InvalidCoreOptionsError for an unknown timeframe (as every helper here).
 */
export function alignOpenTime(timeMs: number, timeframe: TimeframeName): number {
  const duration = durationOf(timeframe);
  return timeMs - mod(timeMs, duration);
}

/** Close time (last millisecond) of the candle that opens at `openTime`. */
export function closeTimeOf(openTime: number, timeframe: TimeframeName): number {
  return openTime + durationOf(timeframe) - 1;
}

export function isAlignedOpenTime(openTime: number, timeframe: TimeframeName): boolean {
  const duration = durationOf(timeframe);
  return Number.isSafeInteger(openTime) && mod(openTime, duration) === 0;
}

/** True when every candle of `lower` lies inside exactly one candle of `higher`. */
export function isRollupOf(lower: TimeframeName, higher: TimeframeName): boolean {
  const l = durationOf(lower);
  const h = durationOf(higher);
  return h > l && h % l === 0;
}

/**
 * Own keys only: indexing TIMEFRAME_DURATION_MS with an unchecked name gives
 * undefined (so NaN times, or `false` from the predicates, that look like
 * answers) or, for `constructor` or `toString`, an inherited function.
 */
const DURATIONS: ReadonlyMap<string, number> = new Map(Object.entries(TIMEFRAME_DURATION_MS));

/**
 * The duration of `name`, or InvalidCoreOptionsError (FLOWTRACE_INVALID_OPTIONS,
 * what the builder and the generator throw for an unknown timeframe option).
 * The type rules unknown names out, but untyped callers (JavaScript, parsed
 * input cast to TimeframeName) reach here too.
 */
function durationOf(name: TimeframeName): number {
  const duration = typeof name === 'string' ? DURATIONS.get(name) : undefined;
  if (duration === undefined) {
    throw new InvalidCoreOptionsError(
      `Unknown timeframe ${describeName(name)}: expected one of ${TIMEFRAME_NAMES.join(', ')}`,
    );
  }
  return duration;
}

/** The name as the message shows it: a string quoted, anything else with its type (5 must not read as "5"). */
function describeName(name: unknown): string {
  if (typeof name === 'string') return JSON.stringify(name);
  if (name === null || name === undefined) return String(name);
  if (typeof name === 'number' || typeof name === 'boolean') return `${name} (a ${typeof name})`;
  return typeof name === 'object' ? 'an object' : `a ${typeof name}`;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
