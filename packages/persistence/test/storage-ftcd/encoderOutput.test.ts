import { createHash } from 'node:crypto';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinarySerializer } from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { CandleColumns } from '../../src/shared/storage/serialization/binary/CandleColumns';

/**
 * The encoder's exact output, pinned. Encoding is tuned for speed (reused
 * buffers, exponent guesses carried from block to block, fused checks), and
 * none of that may change a byte: a store written before and after such a
 * change must be the same files. A failure here means the bytes changed: if
 * that is intended, it is a format change (docs/formats/ftcd.md) and these
 * digests are updated with it. They also depend on core's candle generator.
 */

/** mulberry32: a fixed sequence, independent of any library's version. */
function randomSequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 10^e the same on every Node version: `10 ** e` is not correctly rounded on
 * some (Node 20: 10 ** -5 is 0.000009999999999999999, Node 24: 0.00001), while
 * 10^k for k <= 22 is exact and a division is correctly rounded everywhere.
 */
function powerOfTen(e: number): number {
  return e >= 0 ? 10 ** e : 1 / 10 ** -e;
}

const EDGE_VALUES = [
  0,
  -0,
  Number.NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  -(2 ** 53) - 2,
  2 ** 52,
  1e-310,
  0.1,
  0.30000000000000004,
  123.456789012,
  1e21,
];

/** Candles whose numbers are often not scaled integers: raw, constant and mixed groups. */
function oddCandles(): FootprintCandleDTO[] {
  const next = randomSequence(7);
  const value = (): number => {
    const pick = next();
    if (pick < 0.3) return EDGE_VALUES[Math.floor(next() * EDGE_VALUES.length)]!;
    if (pick < 0.6) return (next() - 0.5) * powerOfTen(Math.floor(next() * 30) - 10);
    return Math.round(next() * 1e6) / 10 ** Math.floor(next() * 9);
  };
  return generateFootprintCandles({ seed: 9, count: 400, bins: { min: 1, max: 8 }, emptyRatio: 0.1 }).map(
    (candle, index) => {
      const copy = structuredClone(candle) as unknown as Record<string, unknown> & {
        aggs: Record<string, number>[];
      };
      if (index % 3 === 0)
        for (const key of [
          'o',
          'h',
          'l',
          'c',
          'v',
          'bv',
          'sv',
          'q',
          'bq',
          'sq',
          'd',
          'dMax',
          'dMin',
          'tv',
          'f',
          'ls',
          'n',
        ])
          if (next() < 0.5) copy[key] = value();
      if (index % 2 === 0)
        for (const agg of copy.aggs) for (const key of Object.keys(agg)) if (next() < 0.5) agg[key] = value();
      return copy as unknown as FootprintCandleDTO;
    },
  );
}

const SETS: Record<string, () => FootprintCandleDTO[]> = {
  'fifty bins, quote volumes': () =>
    generateFootprintCandles({ seed: 1, count: 1200, bins: 50, emptyRatio: 0, tickValue: 0.1 }),
  'varied bins, empty candles, tick 0.01': () =>
    generateFootprintCandles({
      seed: 2,
      count: 1200,
      bins: { min: 1, max: 200 },
      emptyRatio: 0.1,
      tickValue: 0.01,
    }),
  'no quote volumes, tick 0.00001': () =>
    generateFootprintCandles({
      seed: 3,
      count: 1200,
      bins: 5,
      emptyRatio: 0.3,
      withQuoteVolumes: false,
      tickValue: 0.00001,
    }),
  'numbers that are not scaled integers': oddCandles,
};

/** SHA-256 of every block payload of `candles` cut in blocks of each size, three ways of encoding. */
function digestOf(candles: readonly FootprintCandleDTO[]): string {
  const hash = createHash('sha256');
  for (const size of [1, 7, 60, 1000]) {
    for (let first = 0; first < candles.length; first += size) {
      const part = candles.slice(first, first + size);
      hash.update(BinarySerializer.encode(part));
      const block = BinarySerializer.encodeBlock(part);
      hash.update(`${block.codec}:`).update(block.payload);
      // Rows picked from columns in reverse order (what compaction and the live writer encode from).
      const columns = CandleColumns.from(part);
      const reversed = part.map((_, row) => part.length - 1 - row);
      const picked = BinarySerializer.encodeRowsBlock(
        reversed.map(() => columns),
        reversed,
      );
      hash.update(`${picked.codec}:`).update(picked.payload);
    }
  }
  return hash.digest('hex');
}

describe('the .ftcd block encoder', () => {
  it('writes exactly the bytes it wrote when they were pinned', () => {
    const digests = Object.fromEntries(Object.entries(SETS).map(([name, make]) => [name, digestOf(make())]));
    expect(digests).toEqual(PINNED);
  });
});

const PINNED: Record<string, string> = {
  'fifty bins, quote volumes': 'fe36fece7bfef701ce4fb6cffb1998a947b7f26b0c77739a8a2c338311f0bcee',
  'varied bins, empty candles, tick 0.01': 'd0fcf29fd9fede3bc4e632b5055081113f5a6b621c71b1aed5b39a1d9e50636d',
  'no quote volumes, tick 0.00001': '4939abb5c72c4ddae2ce50577840786058e2951aff78c7ebf71cfd5ac96c48ae',
  'numbers that are not scaled integers': '5cc028dbd6f6f49a7e0cb072028c7aec6ed715274a23e62934a3dad36333cfbb',
};
