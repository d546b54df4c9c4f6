import { deepStrictEqual } from 'node:assert';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { PlainBin, PlainFullBin } from '../../src/shared/storage/candle/plainObjects';
import { BinarySerializer } from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { FlatBufferSerializer } from '../../src/shared/storage/serialization/flatbuffer/FlatBufferSerializer';

const candles = generateFootprintCandles({ seed: 9, count: 20, bins: { min: 1, max: 8 }, emptyRatio: 0.1 });
// Bins with some optional fields absent, as older producers send them.
const partial = candles.map((candle, index) => ({
  ...candle,
  aggs: candle.aggs.map((bin) =>
    index % 2 === 0 ? { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v, q: bin.q } : bin,
  ),
}));

/** The original platform's field order (docs/formats/ftcd.md, "Decoded candle"). */
const WIRE_ORDER = 'e tz ex a s i vi t o h l c ct v bv sv q bq sq n d dMax dMin tv aggs f ls x'.split(' ');

describe('bins built by constructors (plainObjects.ts) are plain objects', () => {
  it('match object literals for deepStrictEqual, JSON, structuredClone and key order', () => {
    const full = new PlainFullBin(1.5, 2, 3, 5, 3, 4.5, 7.5);
    const literal = { tp: 1.5, bv: 2, sv: 3, v: 5, bq: 3, sq: 4.5, q: 7.5 };
    expect(Object.getPrototypeOf(full)).toBe(Object.prototype);
    deepStrictEqual(full, literal);
    expect(Object.keys(full)).toEqual(Object.keys(literal));
    expect(JSON.stringify(full)).toBe(JSON.stringify(literal));
    deepStrictEqual(structuredClone(full), literal);
    const short = new PlainBin(1, 2, 3, 5);
    short.q = 9;
    deepStrictEqual(short, { tp: 1, bv: 2, sv: 3, v: 5, q: 9 });
    expect(full.constructor).toBe(Object);
  });

  it('.ftcd and FlatBuffer decodes return candles deepStrictEqual to what was encoded', () => {
    const flat = new FlatBufferSerializer();
    for (const input of [candles, partial]) {
      const block = BinarySerializer.encodeBlock(input);
      const decoded = BinarySerializer.decodeBlock(block.codec, block.payload);
      deepStrictEqual(decoded, input);
      for (const candle of decoded) {
        expect(Object.getPrototypeOf(candle)).toBe(Object.prototype);
        expect(Object.keys(candle)).toEqual(WIRE_ORDER);
      }
      for (const candle of input) deepStrictEqual(flat.deserialize(flat.serialize(candle)), candle);
    }
  });
});
