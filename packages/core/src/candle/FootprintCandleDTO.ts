/**
 * The wire shape of a footprint candle, field for field as the original
 * FlowTrace platform sends it (JSON keys and their order). Producers of that
 * platform are accepted unchanged; FlowTrace writes the same shape back.
 *
 * Units: times are epoch milliseconds (UTC); prices are in the quote currency
 * (e.g. USDT for LTCUSDT); "base volume" is in the base asset (e.g. LTC);
 * "quote volume" is price x quantity in the quote currency.
 *
 * "Buy" means the taker bought (the aggressor lifted the ask:
 * `isBuyerMaker == false`); "sell" means the taker sold into the bid.
 */
export interface PriceBinDTO {
  /**
   * Tick price: the lower bound of the bin, an integer multiple of the candle's `tv` (quote currency).
   * The bin holds the trades with `tp <= price < tp + tv`.
   */
  tp: number;
  /** Taker-buy base volume traded in this bin (base asset). */
  bv: number;
  /** Taker-sell base volume traded in this bin (base asset). */
  sv: number;
  /** Total base volume traded in this bin: `bv + sv` (base asset). */
  v: number;
  /** Taker-buy quote volume in this bin (quote currency). Optional on the wire. */
  bq?: number;
  /** Taker-sell quote volume in this bin (quote currency). Optional on the wire. */
  sq?: number;
  /** Total quote volume in this bin: `bq + sq` (quote currency). Optional on the wire. */
  q?: number;
}

export interface FootprintCandleDTO {
  /** Event type. Always `"CANDLESTICK"` for candles; defaulted when absent. */
  e: string;
  /** Time zone of the candle's times. Always `"UTC"`; defaulted when absent. */
  tz: string;
  /** Exchange identifier, e.g. `"binance"`. A safe name (see `SAFE_NAME_PATTERN`): it becomes a path segment. */
  ex: string;
  /** Asset / market kind as the producer names it, e.g. `"spot"` or the base asset. Free text, may be empty. */
  a: string;
  /** Symbol, e.g. `"LTCUSDT"`. A safe name: it becomes a path segment. */
  s: string;
  /** Timeframe name, one of `TIMEFRAME_NAMES` (`1s` … `1d`). */
  i: string;
  /** Interval of the timeframe in seconds (e.g. 60 for `1m`). */
  vi: number;
  /** Open time: epoch ms of the first millisecond of the candle, aligned to the timeframe. */
  t: number;
  /** Open price: price of the first trade (quote currency). For a candle without trades, a carried price (o=h=l=c). */
  o: number;
  /** High price: highest trade price (quote currency). */
  h: number;
  /** Low price: lowest trade price (quote currency). */
  l: number;
  /** Close price: price of the last trade (quote currency). */
  c: number;
  /** Close time: epoch ms of the last millisecond of the candle (`t + duration - 1`). */
  ct: number;
  /** Total base volume: `bv + sv` (base asset). */
  v: number;
  /** Taker-buy base volume (base asset). */
  bv: number;
  /** Taker-sell base volume (base asset). */
  sv: number;
  /** Total quote volume: `bq + sq` (quote currency). */
  q: number;
  /** Taker-buy quote volume (quote currency). */
  bq: number;
  /** Taker-sell quote volume (quote currency). */
  sq: number;
  /** Number of trades in the candle (count). */
  n: number;
  /** Delta: `bv - sv` (base asset). */
  d: number;
  /**
   * Highest running delta (`buys - sells` so far) reached during the candle
   * (base asset). The running delta starts at 0 at the open and 0 counts, so
   * `dMax >= max(0, d)`.
   */
  dMax: number;
  /** Lowest running delta reached during the candle, 0 at the open included: `dMin <= min(0, d)` (base asset). */
  dMin: number;
  /** Tick value: the price step used to bin trades into `aggs` (quote currency), > 0. */
  tv: number;
  /** Footprint: volume per price bin, sorted by ascending `tp`, one bin per tick price. */
  aggs: PriceBinDTO[];
  /** First trade id in the candle (exchange trade id; 0 for an empty candle). */
  f: number;
  /** Last trade id in the candle (exchange trade id; 0 for an empty candle). */
  ls: number;
  /** Complete flag: `true` once the candle's time has passed and it will not change; `false` for a still-open candle. */
  x: boolean;
}

/** Defaults applied when a producer leaves these fields out. */
export const CANDLE_DEFAULTS = Object.freeze({
  e: 'CANDLESTICK',
  tz: 'UTC',
  a: '',
  x: true,
});
