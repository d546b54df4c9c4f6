import { explainUnsafeName, isSafeName } from '../naming/safeName';
import { isOnTick, type TickSize, tickSizeOf } from '../tick/TickSize';
import {
  isAlignedOpenTime,
  isTimeframeName,
  TIMEFRAME_DURATION_MS,
  type TimeframeName,
} from '../timeframe/timeframes';
import type { CandleIssueSeverity } from './CandleIssue';
import { approximatelyAtMost, approximatelyEqual } from './tolerance';

/** A broken rule, with its path still as segments (zod wants them that way). */
export interface RuleViolation {
  path: (string | number)[];
  message: string;
  rule: string;
  severity: CandleIssueSeverity;
}

type Fields = Record<string, unknown>;
type Found = RuleViolation[];

/*
 * This runs once per candle on the service's hot path, so it allocates nothing
 * while the candle is clean: no reporter closures, no [key, value] tuples, no
 * per-bin callbacks. Paths and messages are built only when a rule is broken.
 * The order of the checks IS the order of the reported issues; the
 * differential test (test/validationFastPath.test.ts) holds it equal to the
 * reference implementation in test/reference.
 */

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value when it is a finite number; type problems are reported by the
 * schema. Callers read fields by name (`fields.t`), not by computed key, so each
 * access site stays monomorphic.
 */
function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function error(found: Found, path: (string | number)[], rule: string, message: string): void {
  found.push({ path, rule, severity: 'error', message });
}

function warning(found: Found, path: (string | number)[], rule: string, message: string): void {
  found.push({ path, rule, severity: 'warning', message });
}

/**
 * Every cross-field rule of a footprint candle, hard and soft. Works on the
 * raw input so that a candle with a wrongly typed field still gets all its
 * other problems reported; a rule whose fields are missing or mistyped is
 * skipped (the schema reports those).
 */
export function checkCandleRules(input: unknown): RuleViolation[] {
  const found: Found = [];
  if (!isRecord(input)) return found;
  checkIdentity(input, found);
  checkTimes(input, found);
  checkPrices(input, found);
  checkVolumes(input, found);
  checkTradeIds(input, found);
  const tick = checkTickValue(input, found);
  checkBins(input, tick, found);
  return found;
}

function checkName(key: 'ex' | 's', value: unknown, found: Found): void {
  if (typeof value === 'string' && !isSafeName(value)) {
    error(found, [key], 'unsafe-name', `${key === 'ex' ? 'exchange' : 'symbol'} ${explainUnsafeName(value)}`);
  }
}

function checkIdentity(fields: Fields, found: Found): void {
  checkName('ex', fields.ex, found);
  checkName('s', fields.s, found);
  if (typeof fields.e === 'string' && fields.e !== 'CANDLESTICK') {
    warning(found, ['e'], 'event-type', `event type is "${fields.e}", expected "CANDLESTICK"`);
  }
  if (typeof fields.tz === 'string' && fields.tz !== 'UTC') {
    warning(found, ['tz'], 'time-zone', `time zone is "${fields.tz}"; FlowTrace times are UTC epoch ms`);
  }
}

function checkEpochMs(key: 't' | 'ct', value: number | undefined, found: Found): void {
  if (value !== undefined && !Number.isSafeInteger(value)) {
    error(
      found,
      [key],
      'not-integer',
      `${key} must be an integer number of epoch milliseconds, got ${value}`,
    );
  }
}

function checkTimes(fields: Fields, found: Found): void {
  const name = fields.i;
  let timeframe: TimeframeName | undefined;
  if (typeof name === 'string') {
    if (isTimeframeName(name)) timeframe = name;
    else error(found, ['i'], 'unknown-timeframe', `unknown timeframe "${name}"`);
  }
  const t = finite(fields.t);
  const ct = finite(fields.ct);
  const vi = finite(fields.vi);
  checkEpochMs('t', t, found);
  checkEpochMs('ct', ct, found);
  if (timeframe !== undefined) {
    const duration = TIMEFRAME_DURATION_MS[timeframe];
    if (t !== undefined && Number.isSafeInteger(t) && !isAlignedOpenTime(t, timeframe)) {
      error(
        found,
        ['t'],
        'open-time-unaligned',
        `open time ${t} is not a multiple of ${timeframe} (${duration} ms)`,
      );
    }
    if (vi !== undefined && vi !== duration / 1000) {
      warning(found, ['vi'], 'interval-mismatch', `vi is ${vi} s but ${timeframe} is ${duration / 1000} s`);
    }
    if (t !== undefined && ct !== undefined && ct > t && ct !== t + duration - 1) {
      warning(
        found,
        ['ct'],
        'close-time-mismatch',
        `close time ${ct} is not open time + ${duration} - 1 = ${t + duration - 1}`,
      );
    }
  }
  if (t !== undefined && ct !== undefined && ct <= t) {
    error(found, ['ct'], 'close-before-open', `close time ${ct} is not after open time ${t}`);
  }
}

function checkNotNegativePrice(key: string, value: number | undefined, found: Found): void {
  if (value !== undefined && value < 0)
    error(found, [key], 'negative-price', `${key} is negative (${value})`);
}

function checkPrices(fields: Fields, found: Found): void {
  const o = finite(fields.o);
  const h = finite(fields.h);
  const l = finite(fields.l);
  const c = finite(fields.c);
  checkNotNegativePrice('o', o, found);
  checkNotNegativePrice('h', h, found);
  checkNotNegativePrice('l', l, found);
  checkNotNegativePrice('c', c, found);
  if (o !== undefined && c !== undefined) {
    if (h !== undefined && h < Math.max(o, c)) {
      error(found, ['h'], 'high-below-open-close', `high ${h} is below max(open ${o}, close ${c})`);
    }
    if (l !== undefined && l > Math.min(o, c)) {
      error(found, ['l'], 'low-above-open-close', `low ${l} is above min(open ${o}, close ${c})`);
    }
  }
  // With open and close known, a high below the low already broke one of the rules above.
  if (h !== undefined && l !== undefined && h < l && (o === undefined || c === undefined)) {
    error(found, ['h'], 'high-below-low', `high ${h} is below low ${l}`);
  }
}

function checkNotNegativeVolume(key: string, value: number | undefined, found: Found): void {
  if (value !== undefined && value < 0)
    error(found, [key], 'negative-volume', `${key} is negative (${value})`);
}

function checkVolumes(fields: Fields, found: Found): void {
  const v = finite(fields.v);
  const bv = finite(fields.bv);
  const sv = finite(fields.sv);
  const q = finite(fields.q);
  const bq = finite(fields.bq);
  const sq = finite(fields.sq);
  checkNotNegativeVolume('v', v, found);
  checkNotNegativeVolume('bv', bv, found);
  checkNotNegativeVolume('sv', sv, found);
  checkNotNegativeVolume('q', q, found);
  checkNotNegativeVolume('bq', bq, found);
  checkNotNegativeVolume('sq', sq, found);
  const d = finite(fields.d);
  const dMax = finite(fields.dMax);
  const dMin = finite(fields.dMin);
  const n = finite(fields.n);
  if (v !== undefined && bv !== undefined && sv !== undefined && !approximatelyEqual(v, bv + sv)) {
    error(found, ['v'], 'volume-mismatch', `v ${v} is not bv + sv = ${bv + sv}`);
  }
  if (q !== undefined && bq !== undefined && sq !== undefined && !approximatelyEqual(q, bq + sq)) {
    error(found, ['q'], 'quote-volume-mismatch', `q ${q} is not bq + sq = ${bq + sq}`);
  }
  if (d !== undefined && bv !== undefined && sv !== undefined && !approximatelyEqual(d, bv - sv)) {
    error(found, ['d'], 'delta-mismatch', `d ${d} is not bv - sv = ${bv - sv}`);
  }
  if (d !== undefined && dMax !== undefined && !approximatelyAtMost(Math.max(0, d), dMax)) {
    warning(
      found,
      ['dMax'],
      'delta-extremes',
      `dMax ${dMax} is below max(0, d = ${d}); the running delta starts at 0`,
    );
  }
  if (d !== undefined && dMin !== undefined && !approximatelyAtMost(dMin, Math.min(0, d))) {
    warning(
      found,
      ['dMin'],
      'delta-extremes',
      `dMin ${dMin} is above min(0, d = ${d}); the running delta starts at 0`,
    );
  }
  if (n !== undefined) {
    if (!Number.isSafeInteger(n)) error(found, ['n'], 'not-integer', `trade count ${n} is not an integer`);
    else if (n < 0) error(found, ['n'], 'negative-count', `trade count ${n} is negative`);
    else if (n === 0) {
      checkNoVolumeWithoutTrades('volume-without-trades', 'v', v, 'bv', bv, 'sv', sv, found);
      checkNoVolumeWithoutTrades('quote-volume-without-trades', 'q', q, 'bq', bq, 'sq', sq, found);
    }
  }
}

const VOLUME_NAMES: Readonly<Record<string, string>> = {
  v: 'volume',
  bv: 'buy volume',
  sv: 'sell volume',
  q: 'quote volume',
  bq: 'buy quote volume',
  sq: 'sell quote volume',
};

/**
 * A candle without trades (`n = 0`) has no volume: every volume is a sum over
 * the candle's trades, so over none it is exactly 0 (float drift cannot make
 * a sum of nothing positive). Reports the first positive one of the total and
 * its buy and sell parts, once per family (base, quote). The converse does
 * not hold: trades of quantity 0 are valid, so `n > 0` with `v = 0` is not a
 * violation.
 */
function checkNoVolumeWithoutTrades(
  rule: string,
  totalKey: string,
  total: number | undefined,
  buyKey: string,
  buy: number | undefined,
  sellKey: string,
  sell: number | undefined,
  found: Found,
): void {
  let key: string;
  let value: number;
  if (total !== undefined && total > 0) {
    key = totalKey;
    value = total;
  } else if (buy !== undefined && buy > 0) {
    key = buyKey;
    value = buy;
  } else if (sell !== undefined && sell > 0) {
    key = sellKey;
    value = sell;
  } else return;
  error(found, [key], rule, `${key} (${VOLUME_NAMES[key]}) is ${value} but trade count n is 0`);
}

function checkTradeId(key: 'f' | 'ls', value: number | undefined, found: Found): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value))
    error(found, [key], 'not-integer', `trade id ${key} ${value} is not an integer`);
  else if (value < 0) error(found, [key], 'negative-trade-id', `trade id ${key} ${value} is negative`);
}

function checkTradeIds(fields: Fields, found: Found): void {
  const f = finite(fields.f);
  const ls = finite(fields.ls);
  const n = finite(fields.n);
  checkTradeId('f', f, found);
  checkTradeId('ls', ls, found);
  if (f !== undefined && ls !== undefined && f > ls) {
    error(found, ['f'], 'first-after-last', `first trade id ${f} is after last trade id ${ls}`);
  }
  if (f !== undefined && ls !== undefined && n !== undefined && n > 0 && f <= ls && ls - f + 1 < n) {
    warning(found, ['n'], 'trade-id-span', `${n} trades cannot have ids within ${f}..${ls}`);
  }
}

function checkTickValue(fields: Fields, found: Found): TickSize | undefined {
  const tv = finite(fields.tv);
  if (tv === undefined) return undefined;
  if (tv <= 0) {
    error(found, ['tv'], 'tick-value-not-positive', `tick value must be > 0, got ${tv}`);
    return undefined;
  }
  try {
    return tickSizeOf(tv);
  } catch {
    // A tick with more than 12 decimals: bins cannot be checked against it, but that is not an error of the candle.
    return undefined;
  }
}

function checkBinNotNegative(index: number, key: string, value: number | undefined, found: Found): void {
  if (value !== undefined && value < 0) {
    error(found, ['aggs', index, key], 'negative-volume', `bin ${key} is negative (${value})`);
  }
}

function checkBins(fields: Fields, tick: TickSize | undefined, found: Found): void {
  const aggs = fields.aggs;
  if (!Array.isArray(aggs)) return;
  let sumV = 0;
  let sumBv = 0;
  let sumSv = 0;
  let sumQ = 0;
  let sumBq = 0;
  let sumSq = 0;
  let quoteComplete = true;
  const low = finite(fields.l);
  const high = finite(fields.h);
  const lowestBin = low === undefined ? undefined : low - (tick?.value ?? 0);
  let previousTp: number | undefined;
  let binsWellFormed = true;
  const count = aggs.length;
  for (let index = 0; index < count; index++) {
    const bin: unknown = aggs[index];
    // Holes of a sparse array are skipped, as Array#forEach does.
    if (bin === undefined && !(index in aggs)) continue;
    if (!isRecord(bin)) {
      binsWellFormed = false;
      continue;
    }
    const tp = finite(bin.tp);
    const bv = finite(bin.bv);
    const sv = finite(bin.sv);
    const v = finite(bin.v);
    const bq = finite(bin.bq);
    const sq = finite(bin.sq);
    const q = finite(bin.q);
    checkBinNotNegative(index, 'bv', bv, found);
    checkBinNotNegative(index, 'sv', sv, found);
    checkBinNotNegative(index, 'v', v, found);
    checkBinNotNegative(index, 'bq', bq, found);
    checkBinNotNegative(index, 'sq', sq, found);
    checkBinNotNegative(index, 'q', q, found);
    if (tp !== undefined) {
      if (tp < 0) error(found, ['aggs', index, 'tp'], 'negative-price', `bin price is negative (${tp})`);
      if (previousTp !== undefined) {
        if (tp === previousTp) {
          error(found, ['aggs', index, 'tp'], 'aggs-duplicate-tp', `bin price ${tp} appears twice`);
        } else if (tp < previousTp) {
          error(
            found,
            ['aggs', index, 'tp'],
            'aggs-unsorted',
            `bin price ${tp} follows ${previousTp}; bins must ascend`,
          );
        }
      }
      previousTp = tp;
      if (tick !== undefined && !isOnTick(tp, tick)) {
        warning(
          found,
          ['aggs', index, 'tp'],
          'tick-misaligned',
          `bin price ${tp} is not a multiple of tick value ${tick.value}`,
        );
      }
      if (
        (lowestBin !== undefined && !approximatelyAtMost(lowestBin, tp)) ||
        (high !== undefined && !approximatelyAtMost(tp, high))
      ) {
        warning(
          found,
          ['aggs', index, 'tp'],
          'bin-outside-range',
          `bin price ${tp} lies outside the candle's low..high`,
        );
      }
    } else {
      binsWellFormed = false;
    }
    if (v !== undefined && bv !== undefined && sv !== undefined) {
      if (!approximatelyEqual(v, bv + sv)) {
        error(found, ['aggs', index, 'v'], 'bin-volume-mismatch', `bin v ${v} is not bv + sv = ${bv + sv}`);
      }
      sumV += v;
      sumBv += bv;
      sumSv += sv;
    } else {
      binsWellFormed = false;
    }
    if (bq !== undefined && sq !== undefined) {
      if (q !== undefined && !approximatelyEqual(q, bq + sq)) {
        error(
          found,
          ['aggs', index, 'q'],
          'bin-quote-volume-mismatch',
          `bin q ${q} is not bq + sq = ${bq + sq}`,
        );
      }
      sumBq += bq;
      sumSq += sq;
      sumQ += q ?? bq + sq;
    } else {
      quoteComplete = false;
    }
  }
  if (!binsWellFormed) return;
  const n = finite(fields.n);
  if (n !== undefined && Number.isSafeInteger(n) && n >= 0 && n < aggs.length) {
    warning(found, ['n'], 'trade-count-below-bins', `${n} trades cannot fill ${aggs.length} bins`);
  }
  if (n === 0 && aggs.length > 0) {
    error(found, ['aggs'], 'bins-without-trades', `trade count is 0 but there are ${aggs.length} bins`);
  }
  if (aggs.length === 0) return;
  checkBinSum('v', finite(fields.v), sumV, true, found);
  checkBinSum('bv', finite(fields.bv), sumBv, true, found);
  checkBinSum('sv', finite(fields.sv), sumSv, true, found);
  checkBinSum('q', finite(fields.q), sumQ, quoteComplete, found);
  checkBinSum('bq', finite(fields.bq), sumBq, quoteComplete, found);
  checkBinSum('sq', finite(fields.sq), sumSq, quoteComplete, found);
}

function checkBinSum(
  key: string,
  total: number | undefined,
  sum: number,
  applicable: boolean,
  found: Found,
): void {
  if (!applicable || total === undefined || approximatelyEqual(total, sum)) return;
  const rule = key.endsWith('q') ? 'quote-volume-sum' : 'volume-sum';
  warning(found, [key], rule, `${key} ${total} differs from the sum of the bins' ${key} (${sum})`);
}
