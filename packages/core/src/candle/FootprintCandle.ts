import type { TimeframeName } from '../timeframe/timeframes';
import type { CandleIssue } from '../validation/CandleIssue';
import { CandleValidationError } from '../validation/CandleValidationError';
import { type CandleValidationOptions, validateFootprintCandle } from '../validation/validateFootprintCandle';
import type { CandleKey } from './CandleKey';
import type { FootprintCandleDTO, PriceBinDTO } from './FootprintCandleDTO';
import { inWireOrder } from './wireOrder';

/**
 * A validated footprint candle. It carries the DTO fields as plain public
 * properties (so it is assignable to `FootprintCandleDTO`) plus readable
 * accessors. Build one with `FootprintCandle.fromJSON()`, which validates.
 */
export class FootprintCandle implements FootprintCandleDTO {
  e: string;
  tz: string;
  ex: string;
  a: string;
  s: string;
  i: string;
  vi: number;
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  ct: number;
  v: number;
  bv: number;
  sv: number;
  q: number;
  bq: number;
  sq: number;
  n: number;
  d: number;
  dMax: number;
  dMin: number;
  tv: number;
  aggs: PriceBinDTO[];
  f: number;
  ls: number;
  x: boolean;

  /** Warnings (soft rule violations) found when the candle was validated. */
  declare readonly warnings: readonly CandleIssue[];

  private constructor(dto: FootprintCandleDTO, warnings: readonly CandleIssue[]) {
    const copy = inWireOrder(dto);
    this.e = copy.e;
    this.tz = copy.tz;
    this.ex = copy.ex;
    this.a = copy.a;
    this.s = copy.s;
    this.i = copy.i;
    this.vi = copy.vi;
    this.t = copy.t;
    this.o = copy.o;
    this.h = copy.h;
    this.l = copy.l;
    this.c = copy.c;
    this.ct = copy.ct;
    this.v = copy.v;
    this.bv = copy.bv;
    this.sv = copy.sv;
    this.q = copy.q;
    this.bq = copy.bq;
    this.sq = copy.sq;
    this.n = copy.n;
    this.d = copy.d;
    this.dMax = copy.dMax;
    this.dMin = copy.dMin;
    this.tv = copy.tv;
    this.aggs = copy.aggs;
    this.f = copy.f;
    this.ls = copy.ls;
    this.x = copy.x;
    // Not a DTO field: kept off JSON, spreads and structured clones.
    Object.defineProperty(this, 'warnings', { value: Object.freeze([...warnings]), enumerable: false });
  }

  /**
   * Validates `dto` (see `validateFootprintCandle`) and wraps it.
   * @throws CandleValidationError (`FLOWTRACE_INVALID_CANDLE`) listing every issue.
   */
  static fromJSON(dto: unknown, options?: CandleValidationOptions): FootprintCandle {
    const result = validateFootprintCandle(dto, options);
    if (!result.ok) throw new CandleValidationError(result.issues);
    return new FootprintCandle(result.candle, result.warnings);
  }

  /** A plain DTO, keys in the original wire order. */
  toJSON(): FootprintCandleDTO {
    return inWireOrder(this);
  }

  get key(): CandleKey {
    return { exchange: this.ex, symbol: this.s, timeframe: this.timeframe, openTime: this.t };
  }

  get exchange(): string {
    return this.ex;
  }

  get symbol(): string {
    return this.s;
  }

  /** Validated to be a known timeframe name. */
  get timeframe(): TimeframeName {
    return this.i as TimeframeName;
  }

  /** Epoch ms of the candle's first millisecond. */
  get openTime(): number {
    return this.t;
  }

  /** Epoch ms of the candle's last millisecond. */
  get closeTime(): number {
    return this.ct;
  }

  get open(): number {
    return this.o;
  }

  get high(): number {
    return this.h;
  }

  get low(): number {
    return this.l;
  }

  get close(): number {
    return this.c;
  }

  get volume(): number {
    return this.v;
  }

  get buyVolume(): number {
    return this.bv;
  }

  get sellVolume(): number {
    return this.sv;
  }

  get quoteVolume(): number {
    return this.q;
  }

  get delta(): number {
    return this.d;
  }

  get tradeCount(): number {
    return this.n;
  }

  get tickValue(): number {
    return this.tv;
  }

  get bins(): readonly PriceBinDTO[] {
    return this.aggs;
  }

  get firstTradeId(): number {
    return this.f;
  }

  get lastTradeId(): number {
    return this.ls;
  }

  get isComplete(): boolean {
    return this.x;
  }

  /** True for a candle without trades. */
  get isEmpty(): boolean {
    return this.n === 0;
  }
}
