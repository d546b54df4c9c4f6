import { CliError } from './CliError';

/**
 * A time given on the command line: epoch milliseconds (`1750507467356`) or
 * ISO-8601 (`2025-06-21`, `2025-06-21T12:00Z`, `2025-06-21T12:00:00.000+02:00`).
 * A date or date-time without a zone is taken as UTC, as every FlowTrace time is.
 */
export function parseTime(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) {
    const ms = Number(trimmed);
    if (Number.isSafeInteger(ms)) return ms;
  }
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?/.test(trimmed);
  if (iso) {
    const withZone = hasZone ? trimmed : trimmed.includes('T') ? `${trimmed}Z` : `${trimmed}T00:00:00Z`;
    const ms = Date.parse(withZone);
    if (Number.isFinite(ms) && isCalendarDate(trimmed)) return ms;
  }
  throw new CliError(`${flag}: "${text}" is neither epoch milliseconds nor an ISO-8601 date/time`);
}

/**
 * Whether the text's `YYYY-MM-DD` is a day of the calendar: V8's Date.parse
 * rolls 2025-02-30 over to March 2 (and 2025-04-31 to May 1), so a typo would
 * silently select another range.
 */
function isCalendarDate(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * `--from` and `--to` (both optional, both inclusive). A `--from` later than
 * `--to` selects nothing: it is a usage error (exit 2), not an empty result
 * with exit 0 that a script would take for "no candles in that range". Both
 * values are named as given and as read, since they may mix epoch ms and ISO.
 */
export function parseTimeRange(
  from: string | undefined,
  to: string | undefined,
): { startTime: number | undefined; endTime: number | undefined } {
  const startTime = from === undefined ? undefined : parseTime(from, '--from');
  const endTime = to === undefined ? undefined : parseTime(to, '--to');
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new CliError(
      `--from ${from} (${formatTime(startTime)}) is later than --to ${to} (${formatTime(endTime)}): the range is empty`,
    );
  }
  return { startTime, endTime };
}

export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
