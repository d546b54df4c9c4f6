/**
 * The fixed table layout FlowTrace's own FlatBuffer writer uses (see
 * docs/formats/sqlite-flatbuffers.md, "Blob layout"). Any conforming FlatBuffer
 * reader decodes it through the vtables; only our writer relies on these
 * positions. Offsets are bytes from the start of a table (its soffset).
 */

/** vtable slot of a field id: the byte offset of its entry inside a vtable. */
export function slotOf(fieldId: number): number {
  return 4 + 2 * fieldId;
}

/** Field ids of table `Candle` (declaration order of schemas/candle.fbs). */
export const CANDLE_FIELD = Object.freeze({
  e: 0,
  tz: 1,
  ex: 2,
  a: 3,
  s: 4,
  s1: 5,
  s2: 6,
  i: 7,
  id: 8,
  vi: 9,
  t: 10,
  ct: 11,
  df: 12,
  o: 13,
  h: 14,
  l: 15,
  c: 16,
  v: 17,
  bv: 18,
  sv: 19,
  q: 20,
  bq: 21,
  sq: 22,
  d: 23,
  dMax: 24,
  dMin: 25,
  n: 26,
  tv: 27,
  f: 28,
  ls: 29,
  x: 30,
  aggs: 31,
  fv: 32,
  vid: 33,
  ctd: 34,
  nd: 35,
  cf: 36,
});
export const CANDLE_FIELD_COUNT = 37;

/** `Candle.cf` bits: the double field holds the exact value of an int64 field. */
export const EXACT_INT64 = Object.freeze({ vi: 1, ct: 2, n: 4 });

/** Field ids of table `Aggs`. */
export const AGGS_FIELD = Object.freeze({ tp: 0, v: 1, bv: 2, sv: 3, bq: 4, sq: 5, q: 6, pf: 7 });
export const AGGS_FIELD_COUNT = 8;

/** Field ids of table `CandleBatch`. */
export const BATCH_FIELD = Object.freeze({ candles: 0, count: 1 });
export const BATCH_FIELD_COUNT = 2;

/**
 * Our Candle table: 8-byte scalars first (the table starts at 4 mod 8 so they
 * are 8-aligned), then the 4-byte offsets, then the two 1-byte fields.
 * Fields s1, s2, id, df are never written (absent in the vtable).
 */
export const CANDLE_OFFSET = Object.freeze({
  vi: 4,
  t: 12,
  ct: 20,
  n: 28,
  o: 36,
  h: 44,
  l: 52,
  c: 60,
  v: 68,
  bv: 76,
  sv: 84,
  q: 92,
  bq: 100,
  sq: 108,
  d: 116,
  dMax: 124,
  dMin: 132,
  tv: 140,
  f: 148,
  ls: 156,
  vid: 164,
  ctd: 172,
  nd: 180,
  e: 188,
  tz: 192,
  ex: 196,
  a: 200,
  s: 204,
  i: 208,
  aggs: 212,
  x: 216,
  fv: 217,
  cf: 218,
});
export const CANDLE_INLINE_SIZE = 219;

/** Our Aggs table: soffset, seven doubles, the presence byte; 64-byte stride keeps every table at 4 mod 8. */
export const AGGS_OFFSET = Object.freeze({ tp: 4, v: 12, bv: 20, sv: 28, bq: 36, sq: 44, q: 52, pf: 60 });
export const AGGS_INLINE_SIZE = 61;
export const AGGS_STRIDE = 64;

/** Our CandleBatch table: soffset, candles vector offset, count. */
export const BATCH_OFFSET = Object.freeze({ candles: 4, count: 8 });
export const BATCH_INLINE_SIZE = 12;
