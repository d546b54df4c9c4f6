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
    aggs: binsInWireOrder(candle.aggs),
    f: candle.f,
    ls: candle.ls,
    x: candle.x,
  };
}

export function binInWireOrder(bin: PriceBinDTO): PriceBinDTO {
  const { bq, sq, q } = bin;
  // The common shape first, as one literal: keeps bin objects monomorphic (hot in storage reads).
  if (bq !== undefined && sq !== undefined && q !== undefined) {
    return { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v, bq, sq, q };
  }
  const ordered: PriceBinDTO = { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v };
  if (bq !== undefined) ordered.bq = bq;
  if (sq !== undefined) ordered.sq = sq;
  if (q !== undefined) ordered.q = q;
  return ordered;
}

function binsInWireOrder(bins: readonly PriceBinDTO[]): PriceBinDTO[] {
  const copies = new Array<PriceBinDTO>(bins.length);
  for (let index = 0; index < bins.length; index += 1)
    copies[index] = binInWireOrder(bins[index] as PriceBinDTO);
  return copies;
}
