import type { FieldDifference, NumberTolerance } from './compareCandles';

export type CandleDifferenceKind = 'missing' | 'extra' | 'mismatch';

/** One candle that is not the same on both sides. */
export interface CandleDifference {
  /** `missing`: in the source only; `extra`: in the target only; `mismatch`: fields differ. */
  kind: CandleDifferenceKind;
  /** `exchange:symbol:timeframe:openTime`. */
  key: string;
  /** The differing fields (mismatch only). */
  fields: FieldDifference[];
}

/** Candle counts of one series on both sides (as listed by `listSeries`). */
export interface SeriesComparison {
  series: string;
  sourceCount: number;
  targetCount: number;
}

export interface ValidationResult {
  /** No difference of any kind (in sample mode: none among the sampled candles, and equal series counts). */
  ok: boolean;
  mode: 'full' | 'sample';
  /** Sample mode: the requested size and seed (same seed, same sample). */
  sample: { size: number; seed: number } | undefined;
  tolerance: NumberTolerance;
  /** Source candles compared against the target. */
  compared: number;
  matched: number;
  missing: number;
  /** Full mode: target-only candles. Sample mode: target surplus per series count. */
  extra: number;
  mismatched: number;
  series: SeriesComparison[];
  /** The first `maxDifferences` differences, in series then open-time order. */
  differences: CandleDifference[];
  durationMs: number;
}
