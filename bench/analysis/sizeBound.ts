/**
 * Where the bytes of a generated 50-bin candle go, and how few bytes its bin
 * volumes could take at all (docs/storage.md, "Benchmarks", size).
 *
 *   node --conditions=flowtrace-source --import tsx bench/analysis/sizeBound.ts
 *
 * The data is the storage suite's: `generateFootprintCandles({ seed: 2025,
 * bins: 50, emptyRatio: 0 })`, encoded in blocks of 1,000 candles with DEFLATE
 * allowed, as the suite's bytes-per-candle figure is.
 *
 * Three figures for the buy/sell volume of the bins (bv, sv; v, bq, sq and q
 * are predicted from them exactly and cost ~nothing):
 * - what `.ftcd` spends on them: the payload size minus the size of the same
 *   candles with every bin volume (and the candle totals predicted from
 *   them) set to 0;
 * - an order-0 entropy estimate: each value written as (decimal exponent of
 *   its candle, bit length) coded at its empirical entropy, plus its
 *   remaining bits raw. This is roughly what a good general-purpose entropy
 *   coder over such tokens (Huffman, ANS) would reach;
 * - a lower bound given the generator's hidden variables: the generator draws
 *   each bin volume as trades × mean trade size × e^Z with Z ~ N(−0.245, 0.7)
 *   (packages/core/src/generator), so even a decoder that already knew every
 *   bin's trade count and the candle's mean trade size needs, per non-zero
 *   volume of u units, about log2(u) + h bits, h = log2(0.7·√(2πe)) ≈ 1.53
 *   (the differential entropy of Z in bits; u ≫ 1). A real decoder does not
 *   know the trade counts, so the real bound is higher still.
 */
import { generateFootprintCandles } from '@flowtrace/core';
import { BinarySerializer } from '@flowtrace/persistence/shared/storage';

type Candle = ReturnType<typeof generateFootprintCandles>[number];

const COUNT = 10_000;
const PER_BLOCK = 1_000;
const LOGNORMAL_ENTROPY_BITS = Math.log2(0.7 * Math.sqrt(2 * Math.PI * Math.E));

const candles = generateFootprintCandles({ seed: 2025, count: COUNT, bins: 50, emptyRatio: 0 });

function bytesPerCandle(list: readonly Candle[]): number {
  let bytes = 0;
  for (let start = 0; start < list.length; start += PER_BLOCK)
    bytes += BinarySerializer.encodeBlock(list.slice(start, start + PER_BLOCK)).payload.length;
  return bytes / list.length;
}

/** Smallest decimal exponent at which every bin volume of the candle is an integer. */
function volumeExponent(candle: Candle): number {
  let exponent = 0;
  for (const bin of candle.aggs)
    for (const value of [bin.bv, bin.sv])
      while (Math.round(value * 10 ** exponent) / 10 ** exponent !== value) exponent += 1;
  return exponent;
}

const stored = bytesPerCandle(candles);
const withoutVolumes = bytesPerCandle(
  candles.map((candle) => ({
    ...candle,
    // The candle's totals are predicted from its bins (nearly free when stored): zeroed with them.
    bv: 0,
    sv: 0,
    v: 0,
    bq: 0,
    sq: 0,
    q: 0,
    d: 0,
    aggs: candle.aggs.map((bin) => ({ ...bin, bv: 0, sv: 0, v: 0, bq: 0, sq: 0, q: 0 })),
  })),
);

const tokens = new Map<string, number>();
let rawBits = 0;
let boundBits = 0;
let values = 0;
for (const candle of candles) {
  const exponent = volumeExponent(candle);
  for (const bin of candle.aggs) {
    for (const value of [bin.bv, bin.sv]) {
      values += 1;
      const units = Math.round(value * 10 ** exponent);
      const bitLength = units === 0 ? 0 : Math.floor(Math.log2(units)) + 1;
      const token = `${exponent}:${bitLength}`;
      tokens.set(token, (tokens.get(token) ?? 0) + 1);
      // The leading 1 bit is implied by the bit length.
      rawBits += Math.max(0, bitLength - 1);
      if (units > 0) boundBits += Math.log2(units) + LOGNORMAL_ENTROPY_BITS;
    }
  }
}
let tokenBits = 0;
for (const count of tokens.values()) tokenBits -= count * Math.log2(count / values);

const perCandle = (bits: number) => bits / 8 / candles.length;
const rows: [string, number][] = [
  ['.ftcd payload, whole candle', stored],
  ['.ftcd payload, every bin volume and total set to 0', withoutVolumes],
  ['.ftcd bytes spent on bin volumes (difference)', stored - withoutVolumes],
  ['order-0 entropy estimate of the bin volumes', perCandle(tokenBits + rawBits)],
  ['lower bound of the bin volumes, knowing trade counts', perCandle(boundBits)],
];
console.log(`${COUNT} generated 50-bin candles (seed 2025), blocks of ${PER_BLOCK}, bytes per candle:`);
for (const [label, bytes] of rows) console.log(`  ${label.padEnd(54)} ${bytes.toFixed(1)}`);
