import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';
import type { CandleNumberField, CandleTextField } from '../serialization/binary/CandleColumns';

/*
 * Why constructors and not object literals, for the candles a read returns:
 *
 * V8 tracks every object literal's allocation site, and when a scavenge finds
 * that most objects of a site survived, it "pretenures" the site: from then on
 * its objects are allocated in old space. A range read builds thousands of bin
 * objects that do survive while the result is assembled, so the sites in the
 * decoder get pretenured sooner or later, depending on where the collector
 * happens to run. From then on, building candles was about 4x slower for the
 * rest of the process. The bench measured it twice: decode to DTOs at 22–30k/s
 * instead of 120–150k/s. With `--no-allocation-site-pretenuring` the rate was
 * 152k/s, which points at pretenuring.
 *
 * Objects made with `new` have no allocation site, so they are never
 * pretenured. Their prototype is Object.prototype, so they are plain objects
 * in every way a caller can observe: `deepStrictEqual` against a literal, JSON,
 * structuredClone, and own-key order all match.
 */

type TextColumns = Readonly<Record<CandleTextField, readonly string[]>>;
type NumberColumns = Readonly<Record<CandleNumberField, Float64Array>>;

function initBin(this: PriceBinDTO, tp: number, bv: number, sv: number, v: number): void {
  this.tp = tp;
  this.bv = bv;
  this.sv = sv;
  this.v = v;
}
initBin.prototype = Object.prototype;

function initFullBin(
  this: Required<PriceBinDTO>,
  tp: number,
  bv: number,
  sv: number,
  v: number,
  bq: number,
  sq: number,
  q: number,
): void {
  this.tp = tp;
  this.bv = bv;
  this.sv = sv;
  this.v = v;
  this.bq = bq;
  this.sq = sq;
  this.q = q;
}
initFullBin.prototype = Object.prototype;

/** Assigns in the wire field order, so the keys come out as from a literal in that order. */
function initCandle(
  this: FootprintCandleDTO,
  text: TextColumns,
  n: NumberColumns,
  row: number,
  aggs: PriceBinDTO[],
  x: boolean,
): void {
  this.e = text.e[row]!;
  this.tz = text.tz[row]!;
  this.ex = text.ex[row]!;
  this.a = text.a[row]!;
  this.s = text.s[row]!;
  this.i = text.i[row]!;
  this.vi = n.vi[row]!;
  this.t = n.t[row]!;
  this.o = n.o[row]!;
  this.h = n.h[row]!;
  this.l = n.l[row]!;
  this.c = n.c[row]!;
  this.ct = n.ct[row]!;
  this.v = n.v[row]!;
  this.bv = n.bv[row]!;
  this.sv = n.sv[row]!;
  this.q = n.q[row]!;
  this.bq = n.bq[row]!;
  this.sq = n.sq[row]!;
  this.n = n.n[row]!;
  this.d = n.d[row]!;
  this.dMax = n.dMax[row]!;
  this.dMin = n.dMin[row]!;
  this.tv = n.tv[row]!;
  this.aggs = aggs;
  this.f = n.f[row]!;
  this.ls = n.ls[row]!;
  this.x = x;
}
initCandle.prototype = Object.prototype;

/** `new PlainBin(tp, bv, sv, v)`: a plain `{tp, bv, sv, v}` bin (add optional fields afterwards). */
export const PlainBin = initBin as unknown as new (...args: Parameters<typeof initBin>) => PriceBinDTO;
/** `new PlainFullBin(tp, bv, sv, v, bq, sq, q)`: a plain bin with every field. */
export const PlainFullBin = initFullBin as unknown as new (
  ...args: Parameters<typeof initFullBin>
) => PriceBinDTO;
/** `new PlainCandle(text, numbers, row, aggs, x)`: a plain candle object from row `row` of decoded columns. */
export const PlainCandle = initCandle as unknown as new (
  ...args: Parameters<typeof initCandle>
) => FootprintCandleDTO;
