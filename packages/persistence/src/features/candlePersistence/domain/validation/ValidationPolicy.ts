/** How strictly incoming candles are checked (the `validation` part of the config). */
export interface ValidationPolicy {
  /**
   * false: consistency warnings are ignored; structural errors (a candle that
   * cannot be stored faithfully: missing fields, wrong types, unsafe names,
   * non-finite numbers, broken invariants) are still rejected, because storing
   * them would lose or corrupt data.
   */
  readonly enabled: boolean;
  /** true: every issue, warning or error alike, rejects the candle. */
  readonly strictMode: boolean;
}
