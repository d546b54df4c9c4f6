import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BinarySerializer,
  CODEC_COLUMNAR_V1,
  CODEC_COLUMNAR_V1_DEFLATE,
  deflateOptionsFor,
} from '../../src/shared/storage/serialization/binary/BinarySerializer';
import { candleBodyArbitrary } from '../contract/candleArbitraries';
import { expectSameCandles } from '../contract/candleAssertions';

const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    Number.MIN_VALUE,
    2 ** 53 + 1,
  ),
);

describe('BinarySerializer (the .ftcd block codec)', () => {
  it('round-trips any candles exactly, NaN, infinities, lone surrogates and duplicates included', () => {
    const candle = fc
      .tuple(
        candleBodyArbitrary,
        fc.array(anyDouble, { minLength: 6, maxLength: 6 }),
        fc.string({ unit: 'binary' }),
      )
      .map(
        ([body, [t, o, h, tpA, bvA, q], text]): FootprintCandleDTO => ({
          ...body,
          o: o!,
          h: h!,
          q: q!,
          a: text,
          ex: 'binance',
          s: 'BTCUSDT',
          i: '1m',
          t: Number.isSafeInteger(t) ? t! : 1_700_000_000_000,
          aggs: [...body.aggs, { tp: tpA!, bv: bvA!, sv: 0, v: bvA! }],
        }),
      );
    fc.assert(
      fc.property(fc.array(candle, { maxLength: 12 }), (candles) => {
        const { codec, payload } = BinarySerializer.encodeBlock(candles);
        expectSameCandles(BinarySerializer.decodeBlock(codec, payload), candles);
        expectSameCandles(BinarySerializer.decode(BinarySerializer.encode(candles)), candles);
        const columns = BinarySerializer.decodeBlockColumns(codec, payload);
        expectSameCandles(
          candles.map((_, row) => columns.candle(row)),
          candles,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a block the same whatever was encoded or decoded before it', () => {
    // The codec's working memory is reused from block to block: blocks are encoded in one order and
    // decoded in the reverse one, and some candles have a bin column that is not decimal (stored raw,
    // so their totals are predicted from nothing), next to candles whose totals are predicted.
    const spoiledBlock = fc.record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      count: fc.integer({ min: 1, max: 6 }),
      bins: fc.integer({ min: 1, max: 12 }),
      spoiled: fc.array(
        fc.tuple(
          fc.nat(),
          fc.constantFrom('bv', 'sv', 'bq', 'sq'),
          fc.constantFrom(1 / 3, Number.NaN, 0.1 + 0.2),
        ),
      ),
    });
    fc.assert(
      fc.property(fc.array(spoiledBlock, { minLength: 2, maxLength: 5 }), (specs) => {
        const blocks = specs.map(({ seed, count, bins, spoiled }) => {
          const candles = generateFootprintCandles({ seed, count, bins });
          for (const [at, field, value] of spoiled) {
            const candle = candles[at % candles.length]!;
            if (candle.aggs.length === 0) continue;
            const aggs = candle.aggs.map((bin) => ({ ...bin }));
            aggs[at % aggs.length]![field] = value;
            candles[at % candles.length] = { ...candle, aggs };
          }
          return candles;
        });
        const encoded = blocks.map((candles) => BinarySerializer.encodeBlock(candles, false));
        for (let index = blocks.length - 1; index >= 0; index -= 1) {
          const { codec, payload } = encoded[index]!;
          expectSameCandles(BinarySerializer.decodeBlock(codec, payload), blocks[index]!);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('hands out columns of their own: later decodes of any block leave them intact', () => {
    // Blocks of one shape decode into reused working memory; what decodeBlockColumns returns must not be part of it.
    const blocks = [
      generateFootprintCandles({ seed: 1, count: 1, bins: 50 }),
      generateFootprintCandles({ seed: 2, count: 1, bins: 50 }),
      generateFootprintCandles({
        seed: 3,
        count: 3,
        bins: { min: 1, max: 20 },
        emptyRatio: 0.5,
        withQuoteVolumes: false,
      }),
      generateFootprintCandles({ seed: 4, count: 256, bins: 50 }),
      generateFootprintCandles({ seed: 5, count: 1, bins: 50 }),
    ];
    const decoded = blocks.map((candles) => {
      const { codec, payload } = BinarySerializer.encodeBlock(candles);
      return BinarySerializer.decodeBlockColumns(codec, payload);
    });
    for (const candles of blocks) {
      const { codec, payload } = BinarySerializer.encodeBlock(candles);
      BinarySerializer.decodeBlock(codec, payload);
      BinarySerializer.decodeBlockColumns(codec, payload);
    }
    decoded.forEach((columns, index) => {
      const candles = blocks[index]!;
      expectSameCandles(
        candles.map((_, row) => columns.candle(row)),
        candles,
      );
    });
  });

  it('keeps lone surrogates in strings of any length, alone in a column or beside others', () => {
    const base = generateFootprintCandles({ seed: 11, count: 1, bins: 2 })[0]!;
    const lone = ['\uD800', `${'x'.repeat(40)}\uDC00`, `\uDBFF${'y'.repeat(100)}`, `${'z'.repeat(31)}\uD834`];
    for (const text of lone) {
      for (const neighbours of [
        [text, text],
        [text, 'plain'],
        ['plain', text],
      ]) {
        const candles = neighbours.map((a, k) => ({ ...base, t: base.t + k * 60_000, a }));
        const { codec, payload } = BinarySerializer.encodeBlock(candles);
        expect(BinarySerializer.decodeBlock(codec, payload).map((candle) => candle.a)).toEqual(neighbours);
      }
    }
  });

  it('tells short strings apart by every byte (decoded strings are remembered by their bytes)', () => {
    // Same length, same first, middle and last characters: only the other bytes differ, and many
    // more distinct strings than remembered slots, in an order that evicts and revisits them.
    const symbols = Array.from({ length: 300 }, (_, k) => `A${String(k).padStart(3, '0')}X${(k * 7) % 10}Z`);
    const exchanges = ['binance', 'bināncé', 'bitmex', 'okx', 'ÖKX', ''];
    const base = generateFootprintCandles({ seed: 9, count: 1, bins: 3 })[0]!;
    for (let round = 0; round < 3; round += 1) {
      symbols.forEach((symbol, k) => {
        const candle = {
          ...base,
          s: symbol,
          ex: exchanges[(k + round) % exchanges.length]!,
          a: symbol.toLowerCase(),
        };
        const { codec, payload } = BinarySerializer.encodeBlock([candle]);
        const decoded = BinarySerializer.decodeBlockColumns(codec, payload).candle(0);
        expect([decoded.s, decoded.ex, decoded.a]).toEqual([symbol, candle.ex, candle.a]);
      });
    }
  });

  it('round-trips generated candles of every shape and stays compact', () => {
    for (const options of [
      { bins: 50 },
      { bins: 50, withQuoteVolumes: false },
      { tickValue: 0.00001, startPrice: 0.5, bins: { min: 1, max: 30 } },
      { tickValue: 5, startPrice: 3000, timeframe: '1h' as const },
    ]) {
      const candles = generateFootprintCandles({ seed: 42, count: 256, ...options });
      const payload = BinarySerializer.encode(candles);
      expectSameCandles(BinarySerializer.decode(payload), candles);
      const json = Buffer.byteLength(JSON.stringify(candles));
      expect(payload.length * 5, JSON.stringify(options)).toBeLessThan(json);
    }
  });

  it('round-trips integers at the edges of exact binary64 arithmetic (no decode-and-compare pass)', () => {
    const edges = [
      2 ** 51 - 1,
      -(2 ** 51 - 1),
      2 ** 51,
      -(2 ** 51),
      2 ** 52 + 1,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53 + 2,
      0.1 + 0.2,
      1e21,
      -1e-7,
    ];
    const base = generateFootprintCandles({ seed: 11, count: edges.length * edges.length, bins: 3 });
    const candles = base.map((candle, index): FootprintCandleDTO => {
      const a = edges[index % edges.length]!;
      const b = edges[Math.floor(index / edges.length)]!;
      return {
        ...candle,
        o: a,
        h: b,
        v: a,
        bv: b,
        aggs: candle.aggs.map((bin, k) => ({ ...bin, bv: k === 0 ? a : b, sv: b, v: a, bq: a, q: b })),
      };
    });
    for (const compression of [true, false]) {
      const { codec, payload } = BinarySerializer.encodeBlock(candles, compression);
      expectSameCandles(BinarySerializer.decodeBlock(codec, payload), candles);
    }
  });

  it('round-trips decimals at every exponent whose totals hold, or nearly hold, as predicted', () => {
    // The predictions (v = bv + sv, bq = tp·bv, candle totals = sums of the bins, d = bv − sv)
    // pay only on related values; here the values are decimals of up to 16 digits at exponents
    // 0–12, the relations computed in binary64 as a producer would, and each relation is kept,
    // broken, or the field left out at random: every path must decide exactness, not assume it.
    const decimal = (digits: number, exponent: number) =>
      fc.maxSafeNat().map((k) => (k % 10 ** digits) / 10 ** exponent);
    const related = <T>(kept: T, broken: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 9, arbitrary: fc.constant(kept) }, { weight: 1, arbitrary: broken });
    const candle = fc
      .record({
        ep: fc.integer({ min: 0, max: 10 }),
        eq: fc.integer({ min: 0, max: 12 }),
        digits: fc.integer({ min: 1, max: 16 }),
        low: fc.maxSafeNat(),
        bins: fc.integer({ min: 0, max: 60 }),
        body: candleBodyArbitrary,
      })
      .chain(({ ep, eq, digits, low, bins, body }) => {
        const first = (low % 10 ** Math.min(digits, 15)) / 10 ** ep;
        const bin = (k: number) =>
          fc
            .record({
              bv: decimal(digits, eq),
              sv: decimal(digits, eq),
              quote: fc.constantFrom('all', 'all', 'all', 'none', 'bq', 'q'),
            })
            .chain(({ bv, sv, quote }) => {
              const tp = first + k / 10 ** ep;
              return fc.record({
                tp: fc.constant(tp),
                bv: fc.constant(bv),
                sv: fc.constant(sv),
                v: related(bv + sv, decimal(digits, eq)),
                bq: related(tp * bv, decimal(16, ep + eq)),
                sq: related(tp * sv, decimal(16, ep + eq)),
                quote: fc.constant(quote),
              });
            });
        return fc.tuple(
          fc.tuple(...Array.from({ length: bins }, (_, k) => bin(k))),
          fc.constant({ ep, eq, digits, body }),
        );
      })
      .chain(([rows, { ep, eq, digits, body }]) => {
        let bv = 0;
        let sv = 0;
        let bq = 0;
        let sq = 0;
        const aggs = rows.map((row): FootprintCandleDTO['aggs'][number] => {
          bv += row.bv;
          sv += row.sv;
          bq += row.bq;
          sq += row.sq;
          const bin: FootprintCandleDTO['aggs'][number] = { tp: row.tp, bv: row.bv, sv: row.sv, v: row.v };
          if (row.quote === 'all' || row.quote === 'bq') bin.bq = row.bq;
          if (row.quote === 'all') bin.sq = row.sq;
          if (row.quote === 'all' || row.quote === 'q') bin.q = row.bq + row.sq;
          return bin;
        });
        return fc.record({
          body: fc.constant(body),
          aggs: fc.constant(aggs),
          tv: fc.constant(1 / 10 ** ep),
          bv: related(bv, decimal(digits, eq)),
          sv: related(sv, decimal(digits, eq)),
          v: related(bv + sv, decimal(digits, eq)),
          bq: related(bq, decimal(16, ep + eq)),
          sq: related(sq, decimal(16, ep + eq)),
          q: related(bq + sq, decimal(16, ep + eq)),
          d: related(bv - sv, decimal(digits, eq)),
        });
      })
      .map(
        ({ body, ...numbers }): FootprintCandleDTO => ({
          ...body,
          ...numbers,
          ex: 'binance',
          s: 'BTCUSDT',
          i: '1m',
          t: 1_700_000_000_000,
        }),
      );
    fc.assert(
      fc.property(fc.array(candle, { minLength: 1, maxLength: 8 }), (candles) => {
        const timed = candles.map((c, k) => ({ ...c, t: c.t + k * 60_000 }));
        for (const compression of [true, false]) {
          const { codec, payload } = BinarySerializer.encodeBlock(timed, compression);
          expectSameCandles(BinarySerializer.decodeBlock(codec, payload), timed);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('uses DEFLATE only when it pays, and open times decode without the rest', () => {
    const candles = generateFootprintCandles({ seed: 3, count: 64, bins: 20 });
    const compressed = BinarySerializer.encodeBlock(candles);
    expect(compressed.codec).toBe(CODEC_COLUMNAR_V1_DEFLATE);
    expect(BinarySerializer.encodeBlock(candles, false).codec).toBe(CODEC_COLUMNAR_V1);
    const times = BinarySerializer.decodeOpenTimes(
      BinarySerializer.unwrap(compressed.codec, compressed.payload),
    );
    expect([...times]).toEqual(candles.map((candle) => candle.t));
  });

  it('inflates blocks of any compression ratio whole (the output buffer is sized from the stored bytes)', () => {
    const varied = generateFootprintCandles({ seed: 5, count: 256, bins: 50 });
    // One flat candle 256 times (each at its own time): its columns deflate to below a sixth.
    const flat = { ...varied[0]!, aggs: varied[0]!.aggs.map((bin) => ({ tp: bin.tp, bv: 1, sv: 1, v: 2 })) };
    const repetitive = varied.map((candle) => ({ ...flat, t: candle.t, ct: candle.ct }));
    for (const candles of [varied.slice(0, 1), varied, repetitive]) {
      const { codec, payload } = BinarySerializer.encodeBlock(candles);
      expect(codec).toBe(CODEC_COLUMNAR_V1_DEFLATE);
      const raw = BinarySerializer.unwrap(codec, payload);
      expect(new Uint8Array(raw)).toEqual(BinarySerializer.encodeBlock(candles, false).payload);
      expectSameCandles(BinarySerializer.decodeBlock(codec, payload), candles);
      const columns = BinarySerializer.decodeBlockColumns(codec, payload);
      expectSameCandles(
        candles.map((_, row) => columns.candle(row)),
        candles,
      );
    }
    // The first output buffer is under 6x the stored bytes: this one inflates in several pieces.
    const { payload } = BinarySerializer.encodeBlock(repetitive);
    expect(BinarySerializer.unwrap(CODEC_COLUMNAR_V1_DEFLATE, payload).length).toBeGreaterThan(
      payload.length * 6,
    );
  });

  it('compresses with zlib state sized to the payload exactly as well as with the defaults', () => {
    const candles = generateFootprintCandles({ seed: 11, count: 80, bins: 50 });
    // One candle (~550 B) up to 80 (~45 KB): every window size from 2^10 to 2^15.
    const windows = new Set<number>();
    for (const count of [1, 2, 3, 5, 8, 13, 21, 34, 55, 80]) {
      const raw = BinarySerializer.encodeBlock(candles.slice(0, count), false).payload;
      const options = deflateOptionsFor(raw.length);
      windows.add(options.windowBits ?? 0);
      const sized = deflateRawSync(raw, options);
      const defaults = deflateRawSync(raw, { level: 1, strategy: constants.Z_RLE });
      expect(new Uint8Array(inflateRawSync(sized))).toEqual(raw);
      expect(sized.length, `${count} candles, ${raw.length} B`).toBeLessThanOrEqual(defaults.length);
      expect(new Uint8Array(BinarySerializer.encodeBlock(candles.slice(0, count)).payload)).toEqual(
        new Uint8Array(sized),
      );
    }
    expect([...windows].sort()).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('reads the open times of a compressed block from a prefix of its stream', () => {
    // Irregular times (a times column of ~3 bytes per candle, longer than the first prefix tried).
    let time = Date.UTC(2025, 0, 1);
    const candles = generateFootprintCandles({ seed: 5, count: 1000, bins: 50 }).map((candle, k) => {
      time += 1000 + ((k * 7919) % 100_003);
      return { ...candle, t: time };
    });
    const { codec, payload } = BinarySerializer.encodeBlock(candles);
    expect(codec).toBe(CODEC_COLUMNAR_V1_DEFLATE);
    const expected = candles.map((candle) => candle.t);
    expect([...BinarySerializer.decodeBlockOpenTimes(codec, payload, 1000)]).toEqual(expected);
    // Half the stream suffices: only a prefix is inflated (a whole-stream inflate would fail here).
    const half = payload.subarray(0, payload.length >> 1);
    expect([...BinarySerializer.decodeBlockOpenTimes(codec, half, 1000)]).toEqual(expected);
    expect(() => BinarySerializer.unwrap(codec, half)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FTCD_DECODE' }),
    );
    // A count above the header's, a stream that does not inflate, an uncompressed block.
    expect(() => BinarySerializer.decodeBlockOpenTimes(codec, payload, 999)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FTCD_DECODE' }),
    );
    expect(() => BinarySerializer.decodeBlockOpenTimes(codec, new Uint8Array(600).fill(0xff), 1000)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FTCD_DECODE' }),
    );
    const plain = BinarySerializer.encodeBlock(candles, false);
    expect([...BinarySerializer.decodeBlockOpenTimes(plain.codec, plain.payload, 1000)]).toEqual(expected);
  });

  it('rejects truncated, padded or unknown payloads with FLOWTRACE_FTCD_DECODE', () => {
    const payload = BinarySerializer.encode(generateFootprintCandles({ seed: 4, count: 8, bins: 5 }));
    for (const bad of [payload.subarray(0, payload.length - 1), Buffer.concat([payload, Buffer.from([0])])]) {
      expect(() => BinarySerializer.decode(bad)).toThrow(
        expect.objectContaining({ code: 'FLOWTRACE_FTCD_DECODE' }),
      );
    }
    expect(() => BinarySerializer.decodeBlock(9, payload)).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_FTCD_DECODE' }),
    );
  });
});
