import type { DecodedCandle, LegacyDefaultedField } from '../../../CandleTransformer';

/** What reading legacy data had to default: how many candles lacked each field. */
export interface LegacyDefaultsReport {
  /** Candles decoded so far. */
  candles: number;
  /** Field → number of candles in which it was absent and got its `LEGACY_DEFAULTS` value. */
  defaulted: Partial<Record<LegacyDefaultedField, number>>;
}

export class LegacyDefaultsTally {
  private candles = 0;
  private readonly counts = new Map<LegacyDefaultedField, number>();

  add(decoded: DecodedCandle): void {
    this.candles += 1;
    for (const field of decoded.defaulted) this.counts.set(field, (this.counts.get(field) ?? 0) + 1);
  }

  report(): LegacyDefaultsReport {
    return { candles: this.candles, defaulted: Object.fromEntries(this.counts) };
  }
}
