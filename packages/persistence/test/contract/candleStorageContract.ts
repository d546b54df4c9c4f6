import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles, type TimeframeName } from '@flowtrace/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CandleStoragePort } from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { findCandleRange } from '../../src/shared/storage/candle/findCandleRange';
import {
  BASE_TIME,
  type CandleBody,
  candleAt,
  candleBodyArbitrary,
  SERIES_POOL,
  TIME_SLOTS,
} from './candleArbitraries';
import { expectSameCandles } from './candleAssertions';
import { CandleStoreModel, groupIteration, seriesOrder } from './candleStoreModel';

export interface CandleStorageHarness {
  /** Opens (or re-opens) the store kept in `dir`, an empty temp directory the suite owns. */
  open(dir: string): Promise<CandleStoragePort>;
  /** Whether a store re-opened on the same `dir` sees what was saved before (false for in-memory). */
  reopens: boolean;
  /** fast-check runs of the model-based property (default 40). */
  propertyRuns?: number;
  /** The adapter's own maintenance (e.g. compaction), run as a command of the model-based property. */
  maintain?: (store: CandleStoragePort) => Promise<unknown>;
}

/**
 * The one behavioural contract every `CandleStoragePort` adapter passes.
 * Call it from a `*.contract.test.ts` file with a harness for the adapter.
 */
export function describeCandleStorageContract(name: string, harness: CandleStorageHarness): void {
  describe(`CandleStoragePort contract: ${name}`, () => {
    let dir: string;
    const opened: CandleStoragePort[] = [];
    const open = async (): Promise<CandleStoragePort> => {
      const store = await harness.open(dir);
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'flowtrace-contract-'));
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('round-trips generated candles exactly (Object.is on every number, bins included)', async () => {
      const store = await open();
      const candles = generateFootprintCandles({
        seed: 7,
        count: 120,
        bins: { min: 1, max: 40 },
        emptyRatio: 0.1,
      });
      const noQuote = generateFootprintCandles({
        seed: 8,
        count: 30,
        symbol: 'ETHUSDT',
        withQuoteVolumes: false,
      });
      expect(await store.saveMany(candles)).toEqual({ written: 120, unchanged: 0 });
      expect(await store.saveMany(noQuote)).toEqual({ written: 30, unchanged: 0 });
      expectSameCandles(await store.findBySymbol('BTCUSDT', 'binance', '1m'), candles);
      expectSameCandles(await store.findBySymbol('ETHUSDT', 'binance', '1m'), noQuote);
    });

    it('round-trips tricky numbers: -0, subnormals, huge values, prices off the tick grid', async () => {
      const store = await open();
      const [template] = generateFootprintCandles({ seed: 3, count: 1, bins: 3, emptyRatio: 0 });
      const candle: FootprintCandleDTO = {
        ...template!,
        o: -0,
        h: 1e300,
        l: 5e-324,
        c: 0.30000000000000004,
        v: 2 ** 53 + 2,
        d: -123.456789012345,
        a: 'spot ✓',
        aggs: [
          { tp: 65000.12345, bv: -0, sv: 1e-310, v: 0.1 },
          { tp: 65000.2, bv: 1, sv: 2, v: 3, bq: 1.7976931348623157e308 },
          { tp: 65000.3, bv: 1, sv: 2, v: 3, q: -0, sq: 0.1 },
        ],
      };
      await store.save(candle);
      expectSameCandles(await store.findBySymbol(candle.s, candle.ex, '1m'), [candle]);
    });

    it('saving an identical candle is a no-op; a different one replaces it', async () => {
      const store = await open();
      const [first, second] = generateFootprintCandles({ seed: 11, count: 2, bins: 5, emptyRatio: 0 });
      const candle = first!;
      expect(await store.save(candle)).toEqual({ written: 1, unchanged: 0 });
      expect(await store.save(structuredClone(candle))).toEqual({ written: 0, unchanged: 1 });
      const changed = { ...candle, c: candle.c + candle.tv, aggs: candle.aggs.map((bin) => ({ ...bin })) };
      expect(await store.save(changed)).toEqual({ written: 1, unchanged: 0 });
      const negativeZero = { ...changed, d: Object.is(changed.d, 0) ? -0 : changed.d, n: changed.n + 1 };
      expect(await store.save(negativeZero)).toEqual({ written: 1, unchanged: 0 });
      // Within one batch candles apply in order: [new, same, changed].
      const other = second!;
      const otherChanged = { ...other, x: !other.x };
      expect(await store.saveMany([other, other, otherChanged])).toEqual({ written: 2, unchanged: 1 });
      expectSameCandles(await store.findBySymbol(candle.s, candle.ex, '1m'), [negativeZero, otherChanged]);
      expect((await store.listSeries())[0]?.count).toBe(2);
      if (harness.reopens) {
        await store.close();
        const reopened = await open();
        expectSameCandles(await reopened.findBySymbol(candle.s, candle.ex, '1m'), [
          negativeZero,
          otherChanged,
        ]);
        expect(await reopened.save(negativeZero)).toEqual({ written: 0, unchanged: 1 });
      }
    });

    it('concurrent saves all resolve, apply in call order, and are all readable', async () => {
      const store = await open();
      const candles = generateFootprintCandles({ seed: 21, count: 60, bins: { min: 1, max: 10 } });
      const results = await Promise.all([
        ...candles.slice(0, 40).map((candle) => store.save(candle)),
        store.saveMany(candles.slice(40)),
      ]);
      expect(results.reduce((sum, result) => sum + result.written, 0)).toBe(60);
      const target = candles[5]!;
      const versionA = { ...target, n: target.n + 1 };
      const versionB = { ...target, n: target.n + 2 };
      const [resultA, resultB] = await Promise.all([store.save(versionA), store.save(versionB)]);
      expect([resultA, resultB]).toEqual([
        { written: 1, unchanged: 0 },
        { written: 1, unchanged: 0 },
      ]);
      await store.flush();
      const expected = candles.map((candle, index) => (index === 5 ? versionB : candle));
      expectSameCandles(await store.findBySymbol(target.s, target.ex, '1m'), expected);
    });

    it('answers range queries: inclusive bounds, limit, order, findLatest, listSeries, iterate', async () => {
      const store = await open();
      const candles = generateFootprintCandles({ seed: 5, count: 100, bins: { min: 1, max: 8 } });
      const hourly = generateFootprintCandles({ seed: 6, count: 10, timeframe: '1h', exchange: 'bybit' });
      await store.saveMany(candles);
      await store.saveMany(hourly);
      const t = (index: number) => candles[index]!.t;
      expectSameCandles(
        await store.findBySymbol('BTCUSDT', 'binance', '1m', { startTime: t(10), endTime: t(20) }),
        candles.slice(10, 21),
      );
      expectSameCandles(
        await store.findBySymbol('BTCUSDT', 'binance', '1m', { startTime: t(10) + 1, endTime: t(20) - 1 }),
        candles.slice(11, 20),
      );
      expectSameCandles(
        await store.findBySymbol('BTCUSDT', 'binance', '1m', { startTime: t(10), limit: 3, order: 'desc' }),
        [candles[99]!, candles[98]!, candles[97]!],
      );
      expectSameCandles(
        await store.findBySymbol('BTCUSDT', 'binance', '1m', { limit: 2 }),
        candles.slice(0, 2),
      );
      expect(await store.findBySymbol('BTCUSDT', 'binance', '1m', { limit: 0 })).toEqual([]);
      expect(await store.findBySymbol('BTCUSDT', 'binance', '5m')).toEqual([]);
      expect(await store.findBySymbol('NOPE', 'binance', '1m')).toEqual([]);
      expectSameCandles(await store.findLatest('BTCUSDT', 'binance', '1m', 3), candles.slice(97));
      expectSameCandles(await store.findLatest('BTCUSDT', 'bybit', '1h', 50), hourly);
      const series = (await store.listSeries()).sort(seriesOrder);
      expect(series).toEqual([
        {
          exchange: 'binance',
          symbol: 'BTCUSDT',
          timeframe: '1m',
          firstOpenTime: t(0),
          lastOpenTime: t(99),
          count: 100,
        },
        {
          exchange: 'bybit',
          symbol: 'BTCUSDT',
          timeframe: '1h',
          firstOpenTime: hourly[0]!.t,
          lastOpenTime: hourly[9]!.t,
          count: 10,
        },
      ]);
      const streamed: FootprintCandleDTO[] = [];
      for await (const candle of store.iterate({ exchange: 'binance', startTime: t(50) }))
        streamed.push(candle);
      expectSameCandles(streamed, candles.slice(50));
      const everything: FootprintCandleDTO[] = [];
      for await (const candle of store.iterate()) everything.push(candle);
      const grouped = groupIteration(everything);
      expectSameCandles(grouped.get('binance:BTCUSDT:1m') ?? [], candles);
      expectSameCandles(grouped.get('bybit:BTCUSDT:1h') ?? [], hourly);
    });

    it('findCandleRange: the same rows as findBySymbol, read through the view without building candles', async () => {
      const store = await open();
      const candles = generateFootprintCandles({ seed: 15, count: 60, bins: { min: 1, max: 6 } });
      // Some bins without the optional quote volumes: absent fields must read as undefined.
      const sparse = candles.map((candle, index) =>
        index % 3 === 0
          ? { ...candle, aggs: candle.aggs.map(({ tp, bv, sv, v }) => ({ tp, bv, sv, v })) }
          : candle,
      );
      await store.saveMany(sparse);
      const t = (index: number) => sparse[index]!.t;
      for (const options of [
        { startTime: t(5), endTime: t(40) },
        { startTime: t(5), limit: 7, order: 'desc' as const },
        {},
        { limit: 0 },
      ]) {
        const range = await findCandleRange(store, 'BTCUSDT', 'binance', '1m', options);
        const expected = await store.findBySymbol('BTCUSDT', 'binance', '1m', options);
        expect(range.length).toBe(expected.length);
        expectSameCandles(range.toArray(), expected);
        expectSameCandles([...range], expected);
        expected.forEach((candle, index) => {
          expect(range.openTime(index)).toBe(candle.t);
          expect(Object.is(range.number(index, 'dMin'), candle.dMin)).toBe(true);
          expect(range.text(index, 's')).toBe(candle.s);
          expect(range.closed(index)).toBe(candle.x);
          expect(range.binCount(index)).toBe(candle.aggs.length);
          candle.aggs.forEach((bin, k) => {
            expect(Object.is(range.binNumber(index, k, 'tp'), bin.tp)).toBe(true);
            expect(range.binNumber(index, k, 'bq')).toBe(bin.bq);
            expect(range.binNumber(index, k, 'q')).toBe(bin.q);
          });
        });
      }
      const range = await findCandleRange(store, 'BTCUSDT', 'binance', '1m');
      expect(() => range.candle(range.length)).toThrow(RangeError);
      expect(() => range.binNumber(0, -1, 'tp')).toThrow(RangeError);
      // A name that is not a field (a JavaScript caller's typo, or one every object inherits).
      expect(() => range.number(0, 'zz' as never)).toThrow(
        /"zz" is not a number field of a candle; they are t, /,
      );
      expect(() => range.number(0, 'toString' as never)).toThrow(/"toString" is not a number field/);
      expect(() => range.text(0, 'sym' as never)).toThrow(/"sym" is not a text field/);
      expect(() => range.binNumber(0, 0, 'price' as never)).toThrow(/"price" is not a bin field/);
      expect((await findCandleRange(store, 'NOPE', 'binance', '1m')).length).toBe(0);
    });

    it('hands out copies: mutating a saved input or a returned candle changes nothing stored', async () => {
      const store = await open();
      const [candle] = generateFootprintCandles({ seed: 9, count: 1, bins: 4, emptyRatio: 0 });
      const original = structuredClone(candle!);
      await store.save(candle!);
      candle!.c = 1;
      candle!.aggs[0]!.bv = 42;
      const [read] = await store.findBySymbol(original.s, original.ex, '1m');
      read!.o = 2;
      read!.aggs[1]!.sv = 43;
      expectSameCandles(await store.findBySymbol(original.s, original.ex, '1m'), [original]);
    });

    it('rejects a candle with an unsafe key and stores nothing of its batch', async () => {
      const store = await open();
      const [good, other] = generateFootprintCandles({ seed: 12, count: 2, bins: 2 });
      for (const bad of [
        { ...other!, ex: '../etc' },
        { ...other!, s: 'a/b' },
        { ...other!, i: '7m' },
        { ...other!, t: 1.5 },
        { ...other!, ex: undefined as unknown as string },
        { ...other!, s: '' },
      ]) {
        await expect(store.saveMany([good!, bad])).rejects.toMatchObject({
          code: 'FLOWTRACE_INVALID_CANDLE_KEY',
        });
      }
      expect(await store.listSeries()).toEqual([]);
    });

    it("names a key field's value in the refusal, with its type when it is not the expected one", async () => {
      const store = await open();
      const [candle] = generateFootprintCandles({ seed: 12, count: 1, bins: 2 }) as [FootprintCandleDTO];
      const wrongType = <T>(value: unknown): T => value as T;
      for (const [bad, message] of [
        // A string open time must not read as the number it looks like.
        [
          { ...candle, t: wrongType<number>(String(candle.t)) },
          `Candle open time (t) "${candle.t}" (a string) must be an integer in [0, 253402300799999]`,
        ],
        [{ ...candle, t: 1.5 }, 'Candle open time (t) 1.5 must be an integer in [0, 253402300799999]'],
        [{ ...candle, t: wrongType<number>(undefined) }, 'Candle open time (t) undefined must be an integer'],
        [{ ...candle, ex: wrongType<string>(5) }, 'Candle exchange (ex) 5 (a number) must be a string'],
        [{ ...candle, ex: '../etc' }, 'Candle exchange (ex) "../etc" must not contain ".."'],
        [{ ...candle, s: wrongType<string>(['BTCUSDT']) }, 'Candle symbol (s) an array must be a string'],
        [
          { ...candle, i: wrongType<string>(60) },
          'Candle timeframe (i) 60 (a number) is not a known timeframe',
        ],
        [{ ...candle, i: '7m' }, 'Candle timeframe (i) "7m" is not a known timeframe'],
      ] as const) {
        const saving = store.saveMany([bad]);
        await expect(saving).rejects.toMatchObject({ code: 'FLOWTRACE_INVALID_CANDLE_KEY' });
        await expect(saving).rejects.toThrow(message);
      }
      expect(await store.listSeries()).toEqual([]);
    });

    it('refuses a candle with a field of the wrong type, saying which, and stores nothing of its batch', async () => {
      const store = await open();
      const [good, other] = generateFootprintCandles({ seed: 13, count: 2, bins: 3 }) as [
        FootprintCandleDTO,
        FootprintCandleDTO,
      ];
      const withBin = (index: number, bin: unknown): FootprintCandleDTO => ({
        ...other,
        aggs: other.aggs.map((original, at) => (at === index ? bin : original)) as FootprintCandleDTO['aggs'],
      });
      const bin = other.aggs[2]!;
      const { aggs: _aggs, ...withoutAggs } = other;
      for (const [bad, message] of [
        [{ ...other, o: '1.5' as unknown as number }, /field o must be a number/],
        // aggs is a field like the others, not part of the key (it was FLOWTRACE_INVALID_CANDLE_KEY).
        [withoutAggs, /Candle aggs must be an array/],
        [{ ...other, aggs: null }, /Candle aggs must be an array/],
        [{ ...other, aggs: 'nope' }, /Candle aggs must be an array/],
        [{ ...other, aggs: { 0: bin, length: 1 } }, /Candle aggs must be an array/],
        [{ ...other, x: 1 as unknown as boolean }, /field x must be a boolean/],
        [{ ...other, tz: null as unknown as string }, /field tz must be a string/],
        [withBin(2, null), /aggs\[2\] must be an object/],
        [withBin(2, { ...bin, v: '1' }), /aggs\[2\] tp, bv, sv and v must be numbers/],
        [withBin(1, { ...bin, tp: undefined }), /aggs\[1\] tp, bv, sv and v must be numbers/],
        [withBin(2, { ...bin, sq: 'x' }), /aggs\[2\] bq, sq and q must be numbers when present/],
      ] as const) {
        const saving = store.saveMany([good, bad as FootprintCandleDTO]);
        await expect(saving).rejects.toMatchObject({ code: 'FLOWTRACE_CANDLE_NOT_STORABLE' });
        await expect(saving).rejects.toThrow(message);
      }
      expect(await store.listSeries()).toEqual([]);
      // The refusals left nothing behind: the same candles, well formed, save and read back whole.
      await store.saveMany([good, other]);
      expectSameCandles(await store.findBySymbol(good.s, good.ex, good.i as TimeframeName), [good, other]);
    });

    it('refuses invalid query arguments with FLOWTRACE_INVALID_QUERY, iterate() included; unknown series and empty ranges read as empty', async () => {
      const store = await open();
      const candles = generateFootprintCandles({ seed: 14, count: 5, bins: 2 });
      await store.saveMany(candles);
      const first = candles[0]!.t;
      const invalid = { code: 'FLOWTRACE_INVALID_QUERY', retryable: false };
      const drain = async (options: unknown) => {
        const seen: FootprintCandleDTO[] = [];
        for await (const candle of store.iterate(options as never)) seen.push(candle);
        return seen;
      };
      for (const options of [
        { startTime: Number.NaN },
        { endTime: Number.NaN },
        { startTime: String(first) },
        { endTime: null, startTime: '0' },
        { exchange: 5 },
        { symbol: ['BTCUSDT'] },
        { timeframe: 1 },
        'binance',
      ]) {
        await expect(drain(options), JSON.stringify(options)).rejects.toMatchObject(invalid);
      }
      for (const options of [{ startTime: Number.NaN }, { endTime: String(first) }, 'binance']) {
        await expect(
          store.findBySymbol('BTCUSDT', 'binance', '1m', options as never),
          JSON.stringify(options),
        ).rejects.toMatchObject(invalid);
      }
      for (const [symbol, exchange, timeframe] of [
        [undefined, 'binance', '1m'],
        ['BTCUSDT', 7, '1m'],
        ['BTCUSDT', 'binance', null],
      ]) {
        const args = [symbol, exchange, timeframe] as unknown as [string, string, '1m'];
        await expect(store.findBySymbol(...args)).rejects.toMatchObject(invalid);
        await expect(store.findLatest(...args, 1)).rejects.toMatchObject(invalid);
        await expect(findCandleRange(store, ...args)).rejects.toMatchObject(invalid);
      }
      for (const limit of [-1, 1.5, Number.NaN, '3']) {
        await expect(
          store.findBySymbol('BTCUSDT', 'binance', '1m', { limit } as never),
        ).rejects.toMatchObject(invalid);
        await expect(store.findLatest('BTCUSDT', 'binance', '1m', limit as never)).rejects.toMatchObject(
          invalid,
        );
      }
      // A misspelt option would be ignored and widen the result: refused, naming what was meant.
      const { s, ex, i } = candles[0]!;
      await expect(drain({ symbl: s })).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining('unknown option "symbl" (did you mean symbol?)'),
      });
      for (const options of [{ start: first + 1 }, { startTime: first, StartTime: first }]) {
        const misspelt = {
          ...invalid,
          message: expect.stringMatching(/unknown option "[sS]tart(Time)?" \(did you mean startTime\?\)/),
        };
        await expect(store.findBySymbol(s, ex, i as TimeframeName, options as never)).rejects.toMatchObject(
          misspelt,
        );
        await expect(
          findCandleRange(store, s, ex, i as TimeframeName, options as never),
        ).rejects.toMatchObject(misspelt);
        await expect(drain(options)).rejects.toMatchObject(misspelt);
      }
      // Valid but empty: a series never stored, an empty range.
      expect(await store.findBySymbol('XRPUSDT', 'binance', '1m')).toEqual([]);
      expect(
        await store.findBySymbol('BTCUSDT', 'binance', '1m', { startTime: first + 1, endTime: first }),
      ).toEqual([]);
      expect(await drain({ startTime: first + 1, endTime: first })).toEqual([]);
      expectSameCandles(await drain({ startTime: first, endTime: first }), [candles[0]!]);
    });

    it('refuses a read of a series no store can hold (unknown timeframe, unsafe name) with FLOWTRACE_INVALID_CANDLE_KEY, as a save of it; a valid series without data reads as empty', async () => {
      const store = await open();
      const candles = generateFootprintCandles({ seed: 15, count: 4, bins: 2 });
      await store.saveMany(candles);
      const { s, ex } = candles[0]!;
      const drain = async (options: unknown) => {
        const seen: FootprintCandleDTO[] = [];
        for await (const candle of store.iterate(options as never)) seen.push(candle);
        return seen;
      };
      const invalidKey = { code: 'FLOWTRACE_INVALID_CANDLE_KEY', retryable: false };
      // The write path's answer to the same names: the read gives the same error code.
      await expect(store.save({ ...candles[0]!, i: '1M' as '1m' })).rejects.toMatchObject(invalidKey);
      const cases: [symbol: string, exchange: string, timeframe: string, named: RegExp][] = [
        [s, ex, '1M', /timeframe "1M" is not one of 1s, 1m, 3m/],
        [s, ex, '7x', /timeframe "7x"/],
        [s, ex, 'bogus', /timeframe "bogus"/],
        [s, ex, '1H', /timeframe "1H"/],
        [s, ex, '', /timeframe ""/],
        [s, ex, ' 1m', /timeframe " 1m"/],
        ['BTC/USDT', ex, '1m', /symbol "BTC\/USDT" must start with a letter or digit/],
        ['', ex, '1m', /symbol "" must not be empty/],
        ['.BTCUSDT', ex, '1m', /symbol ".BTCUSDT"/],
        ['A'.repeat(65), ex, '1m', /symbol "A{65}" must be at most 64 characters/],
        ['B'.repeat(5000), ex, '1m', /symbol "B{64}…" must be at most 64 characters/],
        [s, '../etc', '1m', /exchange "..\/etc" must not contain "\.\."/],
        [s, 'bin\u0000ance', '1m', /exchange "bin\\u0000ance"/],
      ];
      for (const [symbol, exchange, timeframe, named] of cases) {
        const label = JSON.stringify([symbol, exchange, timeframe]);
        const args = [symbol, exchange, timeframe] as [string, string, '1m'];
        for (const read of [
          () => store.findBySymbol(...args),
          () => store.findBySymbol(...args, { limit: 0 }),
          () => store.findLatest(...args, 3),
          () => store.findLatest(...args, 0),
          () => findCandleRange(store, ...args),
        ]) {
          const reading = read();
          await expect(reading, label).rejects.toMatchObject(invalidKey);
          await expect(reading, label).rejects.toThrow(named);
        }
      }
      for (const filter of [
        { timeframe: '1M' },
        { timeframe: 'bogus', exchange: ex },
        { symbol: 'BTC/USDT' },
        { symbol: '' },
        { exchange: '../etc', startTime: 0 },
      ]) {
        await expect(drain(filter), JSON.stringify(filter)).rejects.toMatchObject(invalidKey);
        await expect(drain(filter), JSON.stringify(filter)).rejects.toThrow(/filtered for/);
      }
      // Valid names without data: empty, no error. Names are case-sensitive: `btcusdt` is another,
      // valid, series.
      for (const [symbol, exchange, timeframe] of [
        ['XRPUSDT', ex, '1m'],
        [s.toLowerCase(), ex, '1m'],
        [s, 'kraken', '1m'],
        [s, ex, '1d'],
        [s, ex, '1s'],
      ] as const) {
        expect(await store.findBySymbol(symbol, exchange, timeframe)).toEqual([]);
        expect(await store.findLatest(symbol, exchange, timeframe, 3)).toEqual([]);
        expect((await findCandleRange(store, symbol, exchange, timeframe)).length).toBe(0);
        expect(await drain({ symbol, exchange, timeframe })).toEqual([]);
      }
      expect(await drain({ timeframe: '1d' })).toEqual([]);
      expect(await drain({ symbol: s.toLowerCase() })).toEqual([]);
      // The refusals changed nothing: the stored series reads whole.
      expectSameCandles(await store.findBySymbol(s, ex, '1m'), candles);
      expectSameCandles(await drain({ timeframe: '1m', symbol: s, exchange: ex }), candles);
    });

    it('close() is idempotent and every later call rejects with FLOWTRACE_STORAGE_CLOSED', async () => {
      const store = await open();
      const [candle] = generateFootprintCandles({ seed: 13, count: 1, bins: 2 });
      const pending = store.save(candle!);
      await store.close();
      // A save accepted before close() is flushed by it.
      expect(await pending).toEqual({ written: 1, unchanged: 0 });
      await store.close();
      const closed = { code: 'FLOWTRACE_STORAGE_CLOSED' };
      await expect(store.findBySymbol('BTCUSDT', 'binance', '1m')).rejects.toMatchObject(closed);
      await expect(store.findLatest('BTCUSDT', 'binance', '1m', 1)).rejects.toMatchObject(closed);
      await expect(store.listSeries()).rejects.toMatchObject(closed);
      await expect(store.save(candle!)).rejects.toMatchObject(closed);
      await expect(store.saveMany([candle!])).rejects.toMatchObject(closed);
      await expect(store.flush()).rejects.toMatchObject(closed);
      const drain = async () => {
        for await (const _ of store.iterate()) {
          // nothing: the iteration must reject before yielding
        }
      };
      await expect(drain()).rejects.toMatchObject(closed);
      if (harness.reopens) {
        const reopened = await open();
        expectSameCandles(await reopened.findBySymbol('BTCUSDT', 'binance', '1m'), [candle!]);
      }
    });

    it('matches the in-memory model under any sequence of saves, overwrites, reopenings and queries', async () => {
      type Command =
        | { kind: 'save'; series: number; slot: number; body: number }
        | { kind: 'saveMany'; items: { series: number; slot: number; body: number }[] }
        | { kind: 'concurrent'; items: { series: number; slot: number; body: number }[] }
        | { kind: 'reopen' }
        | { kind: 'maintain' }
        | {
            kind: 'find';
            series: number;
            start?: number;
            end?: number;
            limit?: number;
            order: 'asc' | 'desc';
          }
        | { kind: 'latest'; series: number; n: number }
        | { kind: 'list' }
        | { kind: 'iterate'; filter: number; start?: number };
      const slot = fc.integer({ min: 0, max: TIME_SLOTS - 1 });
      const series = fc.integer({ min: 0, max: SERIES_POOL.length - 1 });
      const item = fc.record({ series, slot, body: fc.integer({ min: 0, max: 2 }) });
      const bound = fc.option(slot, { nil: undefined });
      const command: fc.Arbitrary<Command> = fc.oneof(
        { weight: 4, arbitrary: item.map((i) => ({ kind: 'save' as const, ...i })) },
        {
          weight: 3,
          arbitrary: fc
            .array(item, { minLength: 1, maxLength: 6 })
            .map((items) => ({ kind: 'saveMany' as const, items })),
        },
        {
          weight: 2,
          arbitrary: fc
            .array(item, { minLength: 2, maxLength: 4 })
            .map((items) => ({ kind: 'concurrent' as const, items })),
        },
        { weight: harness.reopens ? 2 : 0, arbitrary: fc.constant({ kind: 'reopen' as const }) },
        { weight: harness.maintain ? 2 : 0, arbitrary: fc.constant({ kind: 'maintain' as const }) },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('find' as const),
            series,
            start: bound,
            end: bound,
            limit: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
            order: fc.constantFrom('asc' as const, 'desc' as const),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('latest' as const),
            series,
            n: fc.integer({ min: 0, max: 7 }),
          }),
        },
        { weight: 1, arbitrary: fc.constant({ kind: 'list' as const }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('iterate' as const),
            filter: fc.integer({ min: 0, max: 3 }),
            start: bound,
          }),
        },
      );
      const bodies = fc.array(candleBodyArbitrary, { minLength: 3, maxLength: 3 });
      let runIndex = 0;
      await fc.assert(
        fc.asyncProperty(
          bodies,
          fc.array(command, { minLength: 1, maxLength: 25 }),
          async (bodyPool, commands) => {
            const runDir = join(dir, `run-${runIndex++}`);
            const model = new CandleStoreModel();
            let store = await harness.open(runDir);
            const build = (i: { series: number; slot: number; body: number }) =>
              candleAt(i.series, i.slot, bodyPool[i.body] as CandleBody);
            const timeOf = (seriesIndex: number, slotIndex: number | undefined) =>
              slotIndex === undefined ? undefined : BASE_TIME + slotIndex * SERIES_POOL[seriesIndex]!.stepMs;
            try {
              for (const cmd of commands) {
                switch (cmd.kind) {
                  case 'save': {
                    const candle = build(cmd);
                    expect(await store.save(candle)).toEqual(model.saveMany([candle]));
                    break;
                  }
                  case 'saveMany': {
                    const candles = cmd.items.map(build);
                    expect(await store.saveMany(candles)).toEqual(model.saveMany(candles));
                    break;
                  }
                  case 'concurrent': {
                    const candles = cmd.items.map(build);
                    const results = await Promise.all(candles.map((candle) => store.save(candle)));
                    expect(results).toEqual(candles.map((candle) => model.saveMany([candle])));
                    break;
                  }
                  case 'reopen':
                    await store.close();
                    store = await harness.open(runDir);
                    break;
                  case 'maintain':
                    await harness.maintain?.(store);
                    break;
                  case 'find': {
                    const { ex, s, i } = SERIES_POOL[cmd.series]!;
                    const options = {
                      startTime: timeOf(cmd.series, cmd.start),
                      endTime: timeOf(cmd.series, cmd.end),
                      limit: cmd.limit,
                      order: cmd.order,
                    };
                    expectSameCandles(
                      await store.findBySymbol(s, ex, i, options),
                      model.find(s, ex, i, options),
                    );
                    break;
                  }
                  case 'latest': {
                    const { ex, s, i } = SERIES_POOL[cmd.series]!;
                    expectSameCandles(await store.findLatest(s, ex, i, cmd.n), model.latest(s, ex, i, cmd.n));
                    break;
                  }
                  case 'list':
                    expect((await store.listSeries()).sort(seriesOrder)).toEqual(model.series());
                    break;
                  case 'iterate': {
                    const filters = [
                      {},
                      { exchange: 'binance' },
                      { symbol: 'BTCUSDT' },
                      { timeframe: '1h' as const },
                    ];
                    const options = { ...filters[cmd.filter], startTime: timeOf(0, cmd.start) };
                    const streamed: FootprintCandleDTO[] = [];
                    for await (const candle of store.iterate(options)) streamed.push(candle);
                    const actual = groupIteration(streamed);
                    const expected = model.iterate(options);
                    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
                    for (const [id, candles] of expected) expectSameCandles(actual.get(id) ?? [], candles);
                    break;
                  }
                }
              }
            } finally {
              await store.close();
              await rm(runDir, { recursive: true, force: true });
            }
          },
        ),
        { numRuns: harness.propertyRuns ?? 40 },
      );
    }, 120_000);
  });
}
