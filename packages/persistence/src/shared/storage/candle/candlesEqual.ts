import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';

const CANDLE_FIELDS = [
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
  'f',
  'ls',
  'x',
] as const satisfies readonly (keyof FootprintCandleDTO)[];

const BIN_FIELDS = ['tp', 'bv', 'sv', 'v', 'bq', 'sq', 'q'] as const satisfies readonly (keyof PriceBinDTO)[];

/**
 * Whether saving `b` over `a` would change anything a reader can see: every
 * field compared with `Object.is` (so `-0` differs from `0`), bins in order,
 * an absent optional bin field differs from a present one.
 */
export function candlesEqual(a: FootprintCandleDTO, b: FootprintCandleDTO): boolean {
  for (const field of CANDLE_FIELDS) if (!Object.is(a[field], b[field])) return false;
  if (a.aggs.length !== b.aggs.length) return false;
  for (let index = 0; index < a.aggs.length; index += 1) {
    const binA = a.aggs[index] as PriceBinDTO;
    const binB = b.aggs[index] as PriceBinDTO;
    for (const field of BIN_FIELDS) if (!Object.is(binA[field], binB[field])) return false;
  }
  return true;
}
