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
