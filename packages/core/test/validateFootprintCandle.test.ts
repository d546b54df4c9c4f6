import {
  aggregateTrades,
  type CandleIssue,
  FootprintCandle,
  type FootprintCandleDTO,
  footprintCandleSchema,
  validateFootprintCandle,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { emptyCandle, OPEN_TIME, validCandle } from './fixtures';

type Mutation = (candle: Record<string, unknown> & FootprintCandleDTO) => void;

function mutated(mutate: Mutation, base: () => FootprintCandleDTO = validCandle): Record<string, unknown> {
  const candle = structuredClone(base()) as Record<string, unknown> & FootprintCandleDTO;
  mutate(candle);
  return candle;
}

function bin(candle: FootprintCandleDTO, index: number) {
  const found = candle.aggs[index];
  if (!found) throw new Error(`fixture has no bin ${index}`);
  return found;
}

function errorsOf(input: unknown): CandleIssue[] {
  const result = validateFootprintCandle(input);
  return result.ok ? [] : result.issues.filter((issue) => issue.severity === 'error');
}

describe('validateFootprintCandle: valid candles', () => {
  it('accepts the hand-checked fixture with no warnings, strict', () => {
    const result = validateFootprintCandle(validCandle(), { strict: true });
    expect(result).toEqual({ ok: true, candle: validCandle(), warnings: [] });
  });

  it('accepts an empty candle (n=0, no bins, zero volumes, o=h=l=c, f=ls=0), strict', () => {
    expect(validateFootprintCandle(emptyCandle(), { strict: true }).ok).toBe(true);
  });

  it('applies the defaults e, tz, a, x and drops unknown keys', () => {
    const input: Record<string, unknown> = { ...validCandle(), extra: 1 };
    delete input.e;
    delete input.tz;
    delete input.a;
    delete input.x;
    const result = validateFootprintCandle(input, { strict: true });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.candle).toEqual(validCandle());
    expect(result.candle).not.toHaveProperty('extra');
    expect(Object.keys(result.candle).join(',')).toBe(
      'e,tz,ex,a,s,i,vi,t,o,h,l,c,ct,v,bv,sv,q,bq,sq,n,d,dMax,dMin,tv,aggs,f,ls,x',
    );
  });

  it('accepts bins without quote volumes', () => {
    const candle = mutated((c) => {
      for (const priceBin of c.aggs) {
        delete priceBin.bq;
        delete priceBin.sq;
        delete priceBin.q;
      }
    });
    const result = validateFootprintCandle(candle, { strict: true });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(Object.keys(result.candle.aggs[0] ?? {})).toEqual(['tp', 'bv', 'sv', 'v']);
  });

  it('tolerates float drift within 1e-9 relative but not beyond', () => {
    expect(
      validateFootprintCandle(
        mutated((c) => (c.v = 3.607 * (1 + 5e-10))),
        { strict: true },
      ).ok,
    ).toBe(true);
    expect(validateFootprintCandle(mutated((c) => (c.v = 3.607 * (1 + 5e-9)))).ok).toBe(false);
  });
});

describe('validateFootprintCandle: not a candle', () => {
  it.each([null, 'candle', 42, [validCandle()]])('rejects %j as not-an-object', (input) => {
    expect(errorsOf(input)).toEqual([expect.objectContaining({ path: '', rule: 'not-an-object' })]);
  });
});

// Each case breaks exactly one hard rule; the only errors reported must be that rule on the named paths.
const hardCases: [string, Mutation, string[], (() => FootprintCandleDTO)?][] = [
  ['missing-field', (c) => delete (c as Partial<FootprintCandleDTO>).o, ['o']],
  ['missing-field', (c) => delete (c as Partial<FootprintCandleDTO>).aggs, ['aggs']],
  ['missing-field', (c) => delete (bin(c, 1) as { tp?: number }).tp, ['aggs[1].tp']],
  ['wrong-type', (c) => (c.s = 5 as unknown as string), ['s']],
  ['wrong-type', (c) => (c.x = 'yes' as unknown as boolean), ['x']],
  ['wrong-type', (c) => (c.aggs = {} as unknown as []), ['aggs']],
  ['not-finite', (c) => (c.h = Number.NaN), ['h']],
  ['not-finite', (c) => (c.v = Number.POSITIVE_INFINITY), ['v']],
  ['not-finite', (c) => (bin(c, 2).sv = Number.NEGATIVE_INFINITY), ['aggs[2].sv']],
  ['unsafe-name', (c) => (c.ex = '..'), ['ex']],
  ['unsafe-name', (c) => (c.ex = '../etc'), ['ex']],
  ['unsafe-name', (c) => (c.s = 'LTC/USDT'), ['s']],
  ['unsafe-name', (c) => (c.s = 'LTC\u0000'), ['s']],
  ['unsafe-name', (c) => (c.s = 'LTC\nUSDT'), ['s']],
  ['unsafe-name', (c) => (c.s = ''), ['s']],
  ['unknown-timeframe', (c) => (c.i = '7m'), ['i']],
  ['not-integer', (c) => (c.t = OPEN_TIME + 0.5), ['t']],
  ['not-integer', (c) => (c.n = 4.5), ['n']],
  ['not-integer', (c) => (c.ls = 104.5), ['ls']],
  [
    'open-time-unaligned',
    (c) => {
      c.t += 1000;
      c.ct += 1000;
    },
    ['t'],
  ],
  ['close-before-open', (c) => (c.ct = c.t), ['ct']],
  [
    'negative-price',
    (c) => {
      c.o = -1;
      c.l = -1;
    },
    ['o', 'l'],
  ],
  ['negative-price', (c) => (bin(c, 0).tp = -83.28), ['aggs[0].tp']],
  ['high-below-open-close', (c) => (c.h = 83.29), ['h']],
  ['low-above-open-close', (c) => (c.l = 83.295), ['l']],
  [
    'negative-volume',
    (c) => {
      c.bq = -1;
      c.sq = 301.43203;
    },
    ['bq'],
  ],
  [
    'negative-volume',
    (c) => {
      bin(c, 0).sv = -0.5;
      bin(c, 0).v = 0.5;
    },
    ['aggs[0].sv'],
  ],
  ['volume-mismatch', (c) => (c.v = 3.7), ['v']],
  ['quote-volume-mismatch', (c) => (c.q = 301), ['q']],
  ['delta-mismatch', (c) => (c.d = -1.3), ['d']],
  ['negative-count', (c) => (c.n = -1), ['n']],
  [
    'volume-without-trades',
    (c) => {
      c.v = 0.5;
      c.bv = 0.5;
      c.d = 0.5;
      c.dMax = 0.5;
    },
    ['v'],
    emptyCandle,
  ],
  // Below the 1e-9 tolerance of volume-mismatch (v 0 = bv + sv), still a volume without trades.
  ['volume-without-trades', (c) => (c.bv = 5e-10), ['bv'], emptyCandle],
  [
    'quote-volume-without-trades',
    (c) => {
      c.q = 41.65;
      c.bq = 41.65;
    },
    ['q'],
    emptyCandle,
  ],
  [
    'quote-volume-without-trades',
    (c) => {
      c.q = 0.3;
      c.sq = 0.3;
    },
    ['q'],
    emptyCandle,
  ],
  ['quote-volume-without-trades', (c) => (c.sq = 5e-10), ['sq'], emptyCandle],
  ['bins-without-trades', (c) => (c.aggs = [{ tp: 83.3, bv: 0, sv: 0, v: 0 }]), ['aggs'], emptyCandle],
  ['negative-trade-id', (c) => (c.f = -1), ['f']],
  ['first-after-last', (c) => (c.f = 105), ['f']],
  ['tick-value-not-positive', (c) => (c.tv = 0), ['tv']],
  [
    'aggs-unsorted',
    (c) => {
      c.aggs = [bin(c, 1), bin(c, 0), bin(c, 2)];
    },
    ['aggs[1].tp'],
  ],
  [
    'aggs-duplicate-tp',
    (c) => {
      c.aggs = [bin(c, 0), { ...bin(c, 1), tp: 83.28 }, bin(c, 2)];
    },
    ['aggs[1].tp'],
  ],
  ['bin-volume-mismatch', (c) => (bin(c, 2).v = 2.1), ['aggs[2].v']],
  ['bin-quote-volume-mismatch', (c) => (bin(c, 2).q = 170), ['aggs[2].q']],
];

describe('validateFootprintCandle: hard rules always reject', () => {
  it.each(hardCases.map(([rule, mutate, paths, base]) => [rule, paths.join(' '), mutate, base] as const))(
    '%s at %s',
    (rule, pathList, mutate, base) => {
      const paths = pathList.split(' ');
      const input = mutated(mutate, base);
      const errors = errorsOf(input);
      expect(errors.map((issue) => issue.rule)).toEqual(paths.map(() => rule));
      expect(errors.map((issue) => issue.path)).toEqual(paths);
      for (const issue of errors) expect(issue.message.length).toBeGreaterThan(5);
      expect(footprintCandleSchema.safeParse(input).success).toBe(false);
    },
  );

  it('high-below-low, checked when open or close is unusable', () => {
    const input = mutated((c) => {
      c.c = null as unknown as number;
      c.h = 83.2;
    });
    expect(errorsOf(input).map((issue) => `${issue.rule}@${issue.path}`)).toEqual([
      'wrong-type@c',
      'high-below-low@h',
    ]);
  });
});

// Each case breaks exactly one soft rule: accepted with that warning, rejected when strict.
const softCases: [string, Mutation, string[]][] = [
  ['event-type', (c) => (c.e = 'KLINE'), ['e']],
  ['time-zone', (c) => (c.tz = 'Europe/Paris'), ['tz']],
  ['interval-mismatch', (c) => (c.vi = 300), ['vi']],
  ['close-time-mismatch', (c) => (c.ct = c.t + 59_998), ['ct']],
  ['delta-extremes', (c) => (c.dMax = -0.1), ['dMax']],
  ['delta-extremes', (c) => (c.dMin = -1), ['dMin']],
  ['tick-misaligned', (c) => (bin(c, 1).tp = 83.295), ['aggs[1].tp']],
  ['bin-outside-range', (c) => (bin(c, 2).tp = 83.4), ['aggs[2].tp']],
  [
    'volume-sum',
    (c) => {
      bin(c, 0).bv = 1.1;
      bin(c, 0).v = 1.6;
    },
    ['v', 'bv'],
  ],
  [
    'quote-volume-sum',
    (c) => {
      bin(c, 0).bq = 83.3;
      bin(c, 0).q = 124.94;
    },
    ['q', 'bq'],
  ],
  ['trade-count-below-bins', (c) => (c.n = 2), ['n']],
  ['trade-id-span', (c) => (c.ls = 102), ['n']],
];

describe('validateFootprintCandle: trade count and volumes', () => {
  it('n = 0 with quote volume q > 0 is a hard error naming n and q, also when the base volumes are 0', () => {
    const input = mutated((c) => {
      c.q = 41.65;
      c.bq = 41.65;
    }, emptyCandle);
    const lenient = validateFootprintCandle(input);
    expect(lenient.ok).toBe(false);
    if (lenient.ok) return;
    expect(lenient.issues).toEqual([
      {
        path: 'q',
        rule: 'quote-volume-without-trades',
        severity: 'error',
        message: 'q (quote volume) is 41.65 but trade count n is 0',
      },
    ]);
    expect(() => FootprintCandle.fromJSON(input)).toThrow(
      'Invalid footprint candle: q (quote volume) is 41.65 but trade count n is 0 [quote-volume-without-trades]',
    );
  });

  it('n = 0 with both base and quote volume: one error per family, each naming its field', () => {
    const input = mutated((c) => {
      c.v = 0.5;
      c.bv = 0.5;
      c.d = 0.5;
      c.dMax = 0.5;
      c.q = 41.65;
      c.bq = 41.65;
    }, emptyCandle);
    expect(errorsOf(input).map((issue) => [issue.rule, issue.path, issue.message])).toEqual([
      ['volume-without-trades', 'v', 'v (volume) is 0.5 but trade count n is 0'],
      ['quote-volume-without-trades', 'q', 'q (quote volume) is 41.65 but trade count n is 0'],
    ]);
  });

  it('n > 0 with zero volumes is valid (trades of quantity 0 are valid trades): the builder makes such candles', () => {
    const candles = aggregateTrades(
      [
        { time: OPEN_TIME + 1_000, price: 83.29, quantity: 0, isBuyerMaker: false, tradeId: 7 },
        { time: OPEN_TIME + 2_000, price: 83.3, quantity: 0, isBuyerMaker: true, tradeId: 8 },
      ],
      { exchange: 'binance', symbol: 'LTCUSDT', timeframes: ['1m'], tickValue: 0.01, trailing: 'complete' },
    );
    expect(candles).toHaveLength(1);
    expect(candles[0]).toMatchObject({ n: 2, v: 0, bv: 0, sv: 0, q: 0, bq: 0, sq: 0 });
    expect(validateFootprintCandle(candles[0], { strict: true })).toMatchObject({ ok: true, warnings: [] });
  });
});

describe('validateFootprintCandle: soft rules warn, and reject only when strict', () => {
  it.each(softCases.map(([rule, mutate, paths]) => [rule, paths.join(' '), mutate] as const))(
    '%s at %s',
    (rule, pathList, mutate) => {
      const paths = pathList.split(' ');
      const input = mutated(mutate);
      const lenient = validateFootprintCandle(input);
      if (!lenient.ok) throw new Error(`expected acceptance, got ${JSON.stringify(lenient.issues)}`);
      expect(lenient.warnings.map((issue) => [issue.rule, issue.path, issue.severity])).toEqual(
        paths.map((path) => [rule, path, 'warning']),
      );
      const strict = validateFootprintCandle(input, { strict: true });
      expect(strict.ok).toBe(false);
      if (!strict.ok) expect(strict.issues.map((issue) => issue.path)).toEqual(paths);
      expect(footprintCandleSchema.safeParse(input).success).toBe(true);
    },
  );
});

describe('validateFootprintCandle: reports every problem', () => {
  it('lists all hard errors and warnings of a candle broken in many ways', () => {
    const input = mutated((c) => {
      c.ex = 'bin/ance';
      c.h = 83.0;
      c.v = Number.NaN;
      c.ct = c.t - 1;
      c.vi = 1;
      c.f = 200;
      bin(c, 2).tp = 83.2;
    });
    const result = validateFootprintCandle(input, { strict: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.issues.map((issue) => `${issue.rule}@${issue.path}`).sort();
    expect(found).toEqual(
      [
        'unsafe-name@ex',
        'high-below-open-close@h',
        'not-finite@v',
        'close-before-open@ct',
        'interval-mismatch@vi',
        'first-after-last@f',
        'aggs-unsorted@aggs[2].tp',
        'bin-outside-range@aggs[0].tp',
        'bin-outside-range@aggs[1].tp',
        'bin-outside-range@aggs[2].tp',
      ].sort(),
    );
  });
});
