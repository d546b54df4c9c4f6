import { type CandleIssue, type FootprintCandleDTO, validateFootprintCandle } from '@flowtrace/core';
import type { ValidationPolicy } from './ValidationPolicy';

export type CandleVerdict =
  | { accepted: true; candle: FootprintCandleDTO; candleId: string; warnings: readonly CandleIssue[] }
  | { accepted: false; candleId: string | undefined; issues: readonly CandleIssue[] };

/**
 * Applies core's candle rules (validateFootprintCandle) under the configured
 * policy and names the candle (`exchange:symbol:timeframe:openTime`) whenever
 * the payload carries enough to do so, so rejections can be traced.
 */
export class CandleValidator {
  constructor(private readonly policy: ValidationPolicy) {}

  validate(input: unknown): CandleVerdict {
    const strict = this.policy.enabled && this.policy.strictMode;
    const result = validateFootprintCandle(input, { strict });
    if (!result.ok) return { accepted: false, candleId: candleIdOf(input), issues: result.issues };
    const { candle } = result;
    // Same text as core's candleKeyToString; the validated timeframe is one of TIMEFRAME_NAMES.
    const candleId = `${candle.ex}:${candle.s}:${candle.i}:${candle.t}`;
    return { accepted: true, candle, candleId, warnings: this.policy.enabled ? result.warnings : [] };
  }
}

/** Best-effort id of an unvalidated payload, for the rejected-candles log. */
export function candleIdOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { ex, s, i, t } = input as Record<string, unknown>;
  if (typeof ex !== 'string' || typeof s !== 'string' || typeof i !== 'string' || typeof t !== 'number') {
    return undefined;
  }
  return `${ex}:${s}:${i}:${t}`;
}
