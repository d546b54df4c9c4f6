import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import fc from 'fast-check';
import { Builder, ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { CandleTransformer } from '../../src/shared/storage/CandleTransformer';
import { FlatBufferSerializer } from '../../src/shared/storage/serialization/flatbuffer/FlatBufferSerializer';
import { Candle } from '../../src/shared/storage/serialization/flatbuffer/generated/flow-trace/flat-buffers/candle';
import { CandleBatch } from '../../src/shared/storage/serialization/flatbuffer/generated/flow-trace/flat-buffers/candle-batch';
import { candleAt, candleBodyArbitrary } from '../contract/candleArbitraries';
import { expectSameCandles } from '../contract/candleAssertions';

const serializer = new FlatBufferSerializer();
const transformer = new CandleTransformer();

/** Decoding through the flatc-generated accessors: an independent reader of our bytes. */
function decodeWithGeneratedCode(bytes: Uint8Array): FootprintCandleDTO {
  return transformer.readCandle(Candle.getRootAsCandle(new ByteBuffer(bytes))).candle;
}

describe('FlatBufferSerializer', () => {
  const generated = generateFootprintCandles({ seed: 7, count: 300, bins: { min: 1, max: 80 } });
  const withoutQuotes = generateFootprintCandles({ seed: 8, count: 20, withQuoteVolumes: false, bins: 5 });

  it('round-trips generated candles exactly, through our reader and through the generated accessors', () => {
    for (const candle of [...generated, ...withoutQuotes]) {
      const bytes = serializer.serialize(candle);
      expectSameCandles([serializer.deserialize(bytes)], [candle]);
      expectSameCandles([decodeWithGeneratedCode(bytes)], [candle]);
      expect(serializer.deserializeWithReport(bytes).defaulted).toEqual([]);
    }
  });

  it('round-trips any candle body: -0, subnormals, 2^53, huge values, absent vs zero optional bin fields', () => {
    fc.assert(
      fc.property(candleBodyArbitrary, fc.integer({ min: 0, max: 5 }), (body, slot) => {
        const candle = candleAt(0, slot, body);
        const bytes = serializer.serialize(candle);
        expectSameCandles([serializer.deserialize(bytes)], [candle]);
        expectSameCandles([decodeWithGeneratedCode(bytes)], [candle]);
        // Deterministic: identical candles, identical bytes (storage relies on it for no-op saves).
        expect(Buffer.from(serializer.serialize(structuredClone(candle))).equals(Buffer.from(bytes))).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an exact non-integer or unsafe close time / trade count in the companion doubles', () => {
    const [base] = generateFootprintCandles({ seed: 3, count: 1, bins: 2 });
    for (const odd of [{ ct: 1.5 }, { ct: -0 }, { ct: 2 ** 60 }, { n: 2 ** 53 }, { vi: 0.25 }]) {
      const candle = { ...base!, ...odd };
      const bytes = serializer.serialize(candle);
      expectSameCandles([serializer.deserialize(bytes)], [candle]);
      expectSameCandles([decodeWithGeneratedCode(bytes)], [candle]);
    }
  });

  it('round-trips candles larger than the 64 KiB first buffer: on a fresh writer, after it grew, in batches', () => {
    // A candle past the writer's first buffer grows it in the middle of the candle: the bytes
    // returned must be those of the grown buffer (they were a slice of the old one: lost data).
    const [wide] = generateFootprintCandles({ seed: 11, count: 1, bins: 1000 });
    const [wider] = generateFootprintCandles({ seed: 12, count: 1, bins: 5000 });
    const [small] = generateFootprintCandles({ seed: 13, count: 1, bins: 3 });
    const longText = { ...small!, a: 'x'.repeat(40_000) };
    for (const order of [[wide!, small!, wider!, longText], [longText, wide!], [wider!]]) {
      const fresh = new FlatBufferSerializer();
      for (const candle of order) {
        const bytes = fresh.serialize(candle);
        expectSameCandles([fresh.deserialize(bytes)], [candle]);
        expectSameCandles([decodeWithGeneratedCode(bytes)], [candle]);
        const batch = new FlatBufferSerializer().serializeBatch([small!, candle, small!]);
        expectSameCandles(fresh.deserializeBatch(batch), [small!, candle, small!]);
      }
    }
  });

  it('round-trips batches in order, including a one-candle batch and an empty one', () => {
    for (const candles of [generated.slice(0, 50), generated.slice(5, 6), []]) {
      const bytes = serializer.serializeBatch(candles);
      expectSameCandles(serializer.deserializeBatch(bytes), candles);
      const batch = CandleBatch.getRootAsCandleBatch(new ByteBuffer(bytes));
      expect(batch.count()).toBe(candles.length);
      expect(batch.candlesLength()).toBe(candles.length);
    }
  });

  it('refuses an open time it cannot store exactly, with a typed error', () => {
    const [candle] = generateFootprintCandles({ seed: 4, count: 1, bins: 1 });
    for (const t of [1.5, Number.NaN, 2 ** 53]) {
      expect(() => serializer.serialize({ ...candle!, t })).toThrow(
        expect.objectContaining({ code: 'FLOWTRACE_FLATBUFFER_UNENCODABLE' }),
      );
    }
    const unencodable = expect.objectContaining({ code: 'FLOWTRACE_FLATBUFFER_UNENCODABLE' });
    expect(() => serializer.serialize({ ...candle!, x: 'yes' as unknown as boolean })).toThrow(unencodable);
    expect(() => serializer.serialize({ ...candle!, o: '1.5' as unknown as number })).toThrow(unencodable);
    expect(() => serializer.serialize({ ...candle!, a: 7 as unknown as string })).toThrow(unencodable);
    const badBin = { ...candle!.aggs[0]!, bq: null as unknown as number };
    expect(() => serializer.serialize({ ...candle!, aggs: [badBin] })).toThrow(unencodable);
  });

  it('refuses a foreign int64 beyond Number.MAX_SAFE_INTEGER instead of rounding it', () => {
    const builder = new Builder(256);
    const ex = builder.createString('binance');
    Candle.startCandle(builder);
    Candle.addEx(builder, ex);
    Candle.addT(builder, 2n ** 60n + 1n);
    builder.finish(Candle.endCandle(builder));
    const bytes = builder.asUint8Array();
    expect(() => serializer.deserialize(bytes)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FLATBUFFER_UNSAFE_INT64' }),
    );
    expect(() => decodeWithGeneratedCode(bytes)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FLATBUFFER_UNSAFE_INT64' }),
    );
  });

  it('reports truncated or garbage bytes as FLOWTRACE_FLATBUFFER_CORRUPT, never a RangeError', () => {
    const bytes = serializer.serialize(generated[0]!);
    const corrupt = { code: 'FLOWTRACE_FLATBUFFER_CORRUPT' };
    expect(() => serializer.deserialize(bytes.subarray(0, 8))).toThrow(expect.objectContaining(corrupt));
    expect(() => serializer.deserialize(bytes.subarray(0, bytes.byteLength / 2))).toThrow(
      expect.objectContaining(corrupt),
    );
    const garbage = new Uint8Array(64).fill(0xff);
    expect(() => serializer.deserialize(garbage)).toThrow(expect.objectContaining(corrupt));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (random) => {
        try {
          serializer.deserialize(random);
        } catch (error) {
          expect(error).toMatchObject({ code: expect.stringMatching(/^FLOWTRACE_FLATBUFFER_/) });
        }
      }),
      { numRuns: 300 },
    );
  });
});
