import { z } from 'zod';
import { CANDLE_DEFAULTS } from '../candle/FootprintCandleDTO';

/**
 * Structural schemas: field presence and types, finite numbers, defaults.
 * The cross-field rules (OHLC order, sums, alignment, safe names …) live in
 * `candleRules.ts`; `footprintCandleSchema` runs the hard ones as a refinement
 * so a plain `schema.parse()` never accepts a candle `validateFootprintCandle`
 * would reject.
 */
const finite = z.number();

export const priceBinSchema = z.object({
  tp: finite,
  bv: finite,
  sv: finite,
  v: finite,
  bq: finite.optional(),
  sq: finite.optional(),
  q: finite.optional(),
});

export const footprintCandleShapeSchema = z.object({
  e: z.string().default(CANDLE_DEFAULTS.e),
  tz: z.string().default(CANDLE_DEFAULTS.tz),
  ex: z.string(),
  a: z.string().default(CANDLE_DEFAULTS.a),
  s: z.string(),
  i: z.string(),
  vi: finite,
  t: finite,
  o: finite,
  h: finite,
  l: finite,
  c: finite,
  ct: finite,
  v: finite,
  bv: finite,
  sv: finite,
  q: finite,
  bq: finite,
  sq: finite,
  n: finite,
  d: finite,
  dMax: finite,
  dMin: finite,
  tv: finite,
  aggs: z.array(priceBinSchema),
  f: finite,
  ls: finite,
  x: z.boolean().default(CANDLE_DEFAULTS.x),
});
