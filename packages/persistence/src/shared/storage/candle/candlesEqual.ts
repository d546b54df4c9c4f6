import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';

/**
 * Whether saving `b` over `a` would change anything a reader can see: every
 * field compared with `Object.is` (so `-0` differs from `0`), bins in order,
 * an absent optional bin field differs from a present one. Unrolled on
 * purpose: it runs on every candle of every encoded block (codec self-check).
 */
export function candlesEqual(a: FootprintCandleDTO, b: FootprintCandleDTO): boolean {
  if (
    !(
      Object.is(a.t, b.t) &&
      Object.is(a.o, b.o) &&
      Object.is(a.h, b.h) &&
      Object.is(a.l, b.l) &&
      Object.is(a.c, b.c) &&
      Object.is(a.ct, b.ct) &&
      Object.is(a.v, b.v) &&
      Object.is(a.bv, b.bv) &&
      Object.is(a.sv, b.sv) &&
      Object.is(a.q, b.q) &&
      Object.is(a.bq, b.bq) &&
      Object.is(a.sq, b.sq) &&
      Object.is(a.n, b.n) &&
      Object.is(a.d, b.d) &&
      Object.is(a.dMax, b.dMax) &&
      Object.is(a.dMin, b.dMin) &&
      Object.is(a.tv, b.tv) &&
      Object.is(a.f, b.f) &&
      Object.is(a.ls, b.ls) &&
      Object.is(a.vi, b.vi) &&
      a.x === b.x &&
      a.e === b.e &&
      a.tz === b.tz &&
      a.ex === b.ex &&
      a.a === b.a &&
      a.s === b.s &&
      a.i === b.i
    )
  ) {
    return false;
  }
  const binsA = a.aggs;
  const binsB = b.aggs;
  if (binsA.length !== binsB.length) return false;
  for (let index = 0; index < binsA.length; index += 1) {
    if (!binsEqual(binsA[index] as PriceBinDTO, binsB[index] as PriceBinDTO)) return false;
  }
  return true;
}

export function binsEqual(a: PriceBinDTO, b: PriceBinDTO): boolean {
  return (
    Object.is(a.tp, b.tp) &&
    Object.is(a.bv, b.bv) &&
    Object.is(a.sv, b.sv) &&
    Object.is(a.v, b.v) &&
    Object.is(a.bq, b.bq) &&
    Object.is(a.sq, b.sq) &&
    Object.is(a.q, b.q)
  );
}
