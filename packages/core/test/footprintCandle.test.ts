import { CandleValidationError, FootprintCandle, type FootprintCandleDTO } from '@flowtrace/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { OPEN_TIME, validCandle } from './fixtures';

const WIRE_ORDER = 'e,tz,ex,a,s,i,vi,t,o,h,l,c,ct,v,bv,sv,q,bq,sq,n,d,dMax,dMin,tv,aggs,f,ls,x'.split(',');

describe('FootprintCandle', () => {
  it('is a FootprintCandleDTO with readable accessors', () => {
    const candle = FootprintCandle.fromJSON(validCandle());
    expectTypeOf(candle).toMatchTypeOf<FootprintCandleDTO>();
    const dto: FootprintCandleDTO = candle;
    expect(dto.o).toBe(83.29);
    expect(candle.key).toEqual({
      exchange: 'binance',
      symbol: 'LTCUSDT',
      timeframe: '1m',
      openTime: OPEN_TIME,
    });
    expect([candle.openTime, candle.closeTime, candle.open, candle.high, candle.low, candle.close]).toEqual([
      OPEN_TIME,
      OPEN_TIME + 59_999,
      83.29,
      83.3,
      83.28,
      83.3,
    ]);
    expect([candle.volume, candle.buyVolume, candle.sellVolume, candle.delta, candle.tradeCount]).toEqual([
      3.607, 1.107, 2.5, -1.393, 5,
    ]);
    expect([candle.firstTradeId, candle.lastTradeId, candle.isComplete, candle.isEmpty]).toEqual([
      100,
      104,
      true,
      false,
    ]);
    expect(candle.bins).toHaveLength(3);
    expect(candle.warnings).toEqual([]);
  });

  it('toJSON gives a plain object in the original wire order, whatever the input order', () => {
    const shuffled = Object.fromEntries(Object.entries(validCandle()).reverse());
    const candle = FootprintCandle.fromJSON(shuffled);
    const json = candle.toJSON();
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(Object.keys(json)).toEqual(WIRE_ORDER);
    expect(Object.keys(json.aggs[0] ?? {})).toEqual(['tp', 'bv', 'sv', 'v', 'bq', 'sq', 'q']);
    expect(json).toEqual(validCandle());
    expect(JSON.parse(JSON.stringify(candle))).toEqual(validCandle());
    expect(Object.keys(candle)).toEqual(WIRE_ORDER);
  });

  it('applies defaults and keeps warnings off the wire', () => {
    const { e: _e, tz: _tz, ...rest } = { ...validCandle(), vi: 61 };
    const candle = FootprintCandle.fromJSON(rest);
    expect([candle.e, candle.tz]).toEqual(['CANDLESTICK', 'UTC']);
    expect(candle.warnings.map((issue) => issue.rule)).toEqual(['interval-mismatch']);
    expect(Object.keys(candle.toJSON())).not.toContain('warnings');
    expect(() => FootprintCandle.fromJSON(rest, { strict: true })).toThrow(CandleValidationError);
  });

  it('fromJSON throws a typed error listing every issue', () => {
    let caught: unknown;
    try {
      FootprintCandle.fromJSON({ ...validCandle(), h: 1, s: '../x', n: -1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CandleValidationError);
    const error = caught as CandleValidationError;
    expect(error.code).toBe('FLOWTRACE_INVALID_CANDLE');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['h', 'n', 's']);
    expect(error.message).toContain('high-below-open-close');
  });

  it("fromJSON's message names each field once, also where the issue's message begins with it", () => {
    const messageOf = (input: unknown): string => {
      try {
        FootprintCandle.fromJSON(input);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const { t: _t, ...withoutT } = validCandle();
    expect(messageOf(withoutT)).toBe('Invalid footprint candle: t is required [missing-field]');
    expect(messageOf({ ...validCandle(), t: 'x' })).toBe(
      'Invalid footprint candle: t: Invalid input: expected number, received string [wrong-type]',
    );
    expect(messageOf({ ...validCandle(), v: 999 })).toMatch(
      /^Invalid footprint candle: v 999 is not bv \+ sv = [\d.]+ \[volume-mismatch\]$/,
    );
    // A message that does not begin with its field keeps the field in front.
    expect(messageOf({ ...validCandle(), ct: OPEN_TIME })).toBe(
      `Invalid footprint candle: ct: close time ${OPEN_TIME} is not after open time ${OPEN_TIME} [close-before-open]`,
    );
    expect(messageOf(5)).toBe('Invalid footprint candle: a candle must be a JSON object [not-an-object]');
  });

  it('does not share arrays with its input', () => {
    const input = validCandle();
    const candle = FootprintCandle.fromJSON(input);
    input.aggs.pop();
    expect(candle.aggs).toHaveLength(3);
  });
});
