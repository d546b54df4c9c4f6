/**
 * `error`: the candle is wrong and is always rejected.
 * `warning`: the candle is accepted unless validation is strict; these are the
 * inconsistencies real producers emit (float drift, rounding of bin prices).
 */
export type CandleIssueSeverity = 'error' | 'warning';

export interface CandleIssue {
  /** Field path, e.g. `h`, `aggs[3].tp`, `ex`; empty for the candle as a whole. */
  path: string;
  message: string;
  /** Stable rule id, e.g. `high-below-open-close`, `volume-sum`, `unsafe-name`. */
  rule: string;
  severity: CandleIssueSeverity;
}

/** Formats a path like `['aggs', 3, 'tp']` as `aggs[3].tp`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

/**
 * An issue as one piece of text: its message, after its path unless the
 * message already begins with it (`t is required`, `h is negative (-1)`,
 * `t: Invalid input…`), so the path is printed once: never `t: t is required`.
 * An issue of the candle as a whole (no path) is its message alone.
 */
export function formatIssue(issue: Pick<CandleIssue, 'path' | 'message'>): string {
  const { path, message } = issue;
  const named = path === '' || (message.startsWith(path) && /^($|[:\s])/.test(message.slice(path.length)));
  return named ? message : `${path}: ${message}`;
}
