import type { FootprintCandleDTO, PriceBinDTO } from './FootprintCandleDTO';

/** The DTO's field names in the original platform's wire order. */
export const CANDLE_WIRE_FIELDS = [
  'e',
  'tz',
  'ex',
  'a',
  's',
  'i',
  'vi',
  't',
  'o',
  'h',
  'l',
  'c',
  'ct',
  'v',
  'bv',
  'sv',
  'q',
  'bq',
  'sq',
  'n',
  'd',
  'dMax',
  'dMin',
  'tv',
  'aggs',
  'f',
  'ls',
  'x',
] as const satisfies readonly (keyof FootprintCandleDTO)[];

/**
 * A plain copy of `candle` with its keys in the original platform's wire
 * order (`e, tz, ex, a, s, i, vi, t, o, h, l, c, ct, v, bv, sv, q, bq, sq, n,
 * d, dMax, dMin, tv, aggs, f, ls, x`) and bins as `{ tp, bv, sv, v, bq?, sq?, q? }`.
 */
export function inWireOrder(candle: FootprintCandleDTO): FootprintCandleDTO {
  return {
    e: candle.e,
    tz: candle.tz,
    ex: candle.ex,
    a: candle.a,
    s: candle.s,
    i: candle.i,
    vi: candle.vi,
    t: candle.t,
    o: candle.o,
    h: candle.h,
    l: candle.l,
    c: candle.c,
    ct: candle.ct,
    v: candle.v,
    bv: candle.bv,
    sv: candle.sv,
    q: candle.q,
    bq: candle.bq,
    sq: candle.sq,
    n: candle.n,
    d: candle.d,
    dMax: candle.dMax,
    dMin: candle.dMin,
    tv: candle.tv,
    aggs: candle.aggs.map(binInWireOrder),
    f: candle.f,
    ls: candle.ls,
    x: candle.x,
  };
}

export function binInWireOrder(bin: PriceBinDTO): PriceBinDTO {
  const ordered: PriceBinDTO = { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v };
  if (bin.bq !== undefined) ordered.bq = bin.bq;
  if (bin.sq !== undefined) ordered.sq = bin.sq;
  if (bin.q !== undefined) ordered.q = bin.q;
  return ordered;
}
