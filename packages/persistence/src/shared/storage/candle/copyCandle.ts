import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';

/** A fresh plain object with exactly the DTO's fields (wire order); optional bin fields only when present. */
export function copyCandle(candle: FootprintCandleDTO): FootprintCandleDTO {
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
    aggs: copyBins(candle.aggs),
    f: candle.f,
    ls: candle.ls,
    x: candle.x,
  };
}

export function copyBin(bin: PriceBinDTO): PriceBinDTO {
  const { bq, sq, q } = bin;
  // The common shape first, as one literal: keeps bin objects monomorphic.
  if (bq !== undefined && sq !== undefined && q !== undefined) {
    return { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v, bq, sq, q };
  }
  const copy: PriceBinDTO = { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v };
  if (bin.bq !== undefined) copy.bq = bin.bq;
  if (bin.sq !== undefined) copy.sq = bin.sq;
  if (bin.q !== undefined) copy.q = bin.q;
  return copy;
}

function copyBins(bins: readonly PriceBinDTO[]): PriceBinDTO[] {
  const copies = new Array<PriceBinDTO>(bins.length);
  for (let index = 0; index < bins.length; index += 1) copies[index] = copyBin(bins[index] as PriceBinDTO);
  return copies;
}
