import { CANDLE_DEFAULTS, type FootprintCandleDTO, type PriceBinDTO } from '../candle/FootprintCandleDTO';

/*
 * The hand-written equivalent of `footprintCandleShapeSchema.safeParse(input)`
 * for inputs the schema ACCEPTS: same output (defaults applied, unknown keys
 * dropped, keys in schema order, optional bin quote volumes present only when
 * given). It says nothing about why an input fails: it returns undefined and
 * the caller runs the zod schema, whose issues make the error report. zod
 * costs several microseconds per candle; this costs well under one.
 *
 * Anything unusual (a present-but-undefined optional, a sparse array) is left
 * to zod too, so the fast path never has to reproduce zod's edge cases.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod 4's z.number(): a number that is neither NaN nor infinite. */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function readBin(value: unknown): PriceBinDTO | undefined {
  if (!isObject(value)) return undefined;
  const { tp, bv, sv, v, bq, sq, q } = value;
  if (!isFiniteNumber(tp) || !isFiniteNumber(bv) || !isFiniteNumber(sv) || !isFiniteNumber(v)) {
    return undefined;
  }
  if (bq === undefined && sq === undefined && q === undefined) {
    // A key present with the value undefined is kept by zod; leave that rarity to it.
    if ('bq' in value || 'sq' in value || 'q' in value) return undefined;
    return { tp, bv, sv, v };
  }
  if (isFiniteNumber(bq) && isFiniteNumber(sq) && isFiniteNumber(q)) return { tp, bv, sv, v, bq, sq, q };
  return readPartialQuoteBin(value, tp, bv, sv, v);
}

/** Bins carrying only some of bq/sq/q (each absent or finite). */
function readPartialQuoteBin(
  value: Record<string, unknown>,
  tp: number,
  bv: number,
  sv: number,
  v: number,
): PriceBinDTO | undefined {
  const bin: PriceBinDTO = { tp, bv, sv, v };
  for (const key of ['bq', 'sq', 'q'] as const) {
    const field = value[key];
    if (isFiniteNumber(field)) bin[key] = field;
    else if (field !== undefined || key in value) return undefined;
  }
  return bin;
}

function readBins(value: unknown): PriceBinDTO[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const count = value.length;
  const bins: PriceBinDTO[] = [];
  for (let index = 0; index < count; index++) {
    const bin = readBin(value[index]);
    if (bin === undefined) return undefined;
    bins.push(bin);
  }
  return bins;
}

/** A string field with a default: absent or undefined takes the default. */
function stringOr(value: unknown, fallback: string): string | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The normalised DTO when `input` passes the structural schema
 * (footprintCandleShapeSchema), undefined otherwise. Cross-field rules are not
 * checked here (see checkCandleRules).
 */
export function readCandleShape(input: unknown): FootprintCandleDTO | undefined {
  if (!isObject(input)) return undefined;
  const { ex, s, i, vi, t, o, h, l, c, ct, v, bv, sv, q, bq, sq, n, d, dMax, dMin, tv, f, ls } = input;
  const e = stringOr(input.e, CANDLE_DEFAULTS.e);
  const tz = stringOr(input.tz, CANDLE_DEFAULTS.tz);
  const a = stringOr(input.a, CANDLE_DEFAULTS.a);
  const x = input.x === undefined ? CANDLE_DEFAULTS.x : input.x;
  if (e === undefined || tz === undefined || a === undefined || typeof x !== 'boolean') return undefined;
  if (typeof ex !== 'string' || typeof s !== 'string' || typeof i !== 'string') return undefined;
  if (
    !isFiniteNumber(vi) ||
    !isFiniteNumber(t) ||
    !isFiniteNumber(o) ||
    !isFiniteNumber(h) ||
    !isFiniteNumber(l) ||
    !isFiniteNumber(c) ||
    !isFiniteNumber(ct) ||
    !isFiniteNumber(v) ||
    !isFiniteNumber(bv) ||
    !isFiniteNumber(sv) ||
    !isFiniteNumber(q) ||
    !isFiniteNumber(bq) ||
    !isFiniteNumber(sq) ||
    !isFiniteNumber(n) ||
    !isFiniteNumber(d) ||
    !isFiniteNumber(dMax) ||
    !isFiniteNumber(dMin) ||
    !isFiniteNumber(tv) ||
    !isFiniteNumber(f) ||
    !isFiniteNumber(ls)
  ) {
    return undefined;
  }
  const aggs = readBins(input.aggs);
  if (aggs === undefined) return undefined;
  return {
    e,
    tz,
    ex,
    a,
    s,
    i,
    vi,
    t,
    o,
    h,
    l,
    c,
    ct,
    v,
    bv,
    sv,
    q,
    bq,
    sq,
    n,
    d,
    dMax,
    dMin,
    tv,
    aggs,
    f,
    ls,
    x,
  };
}
