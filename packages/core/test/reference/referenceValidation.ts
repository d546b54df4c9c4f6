/**
 * TEST ORACLE: the candle rules and validateFootprintCandle exactly as they were
 * before the allocation-free rewrite (commit 0fde9df), kept verbatim so the
 * differential test (validationFastPath.test.ts) can prove the fast
 * implementation reports the same issues, in the same order, with the same
 * messages, and returns the same DTO. Do not "fix" this file: it is the spec.
 * A rule added to the spec since is added here too, marked where it is.
 */
import {
  approximatelyAtMost,
  approximatelyEqual,
  type CandleIssue,
  type CandleIssueSeverity,
  explainUnsafeName,
  type FootprintCandleDTO,
  footprintCandleShapeSchema,
  formatIssuePath,
  isAlignedOpenTime,
  isOnTick,
  isSafeName,
  isTimeframeName,
  TIMEFRAME_DURATION_MS,
  type TickSize,
  type TimeframeName,
  tickSizeOf,
} from '@flowtrace/core';
import type { z } from 'zod';

/** A broken rule, with its path still as segments (zod wants them that way). */
export interface RuleViolation {
  path: (string | number)[];
  message: string;
  rule: string;
  severity: CandleIssueSeverity;
}

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field's value when it is a finite number; type problems are reported by the schema. */
function numberAt(fields: Fields, key: string): number | undefined {
  const value = fields[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Every cross-field rule of a footprint candle, hard and soft. Works on the
 * raw input so that a candle with a wrongly typed field still gets all its
 * other problems reported; a rule whose fields are missing or mistyped is
 * skipped (the schema reports those).
 */
export function referenceCandleRules(input: unknown): RuleViolation[] {
  const found: RuleViolation[] = [];
  if (!isRecord(input)) return found;
  const report = (path: (string | number)[], rule: string, severity: CandleIssueSeverity, message: string) =>
    found.push({ path, rule, severity, message });
  const error = (path: (string | number)[], rule: string, message: string) =>
    report(path, rule, 'error', message);
  const warning = (path: (string | number)[], rule: string, message: string) =>
    report(path, rule, 'warning', message);

  checkIdentity(input, error, warning);
  checkTimes(input, error, warning);
  checkPrices(input, error);
  checkVolumes(input, error, warning);
  checkTradeIds(input, error, warning);
  const tick = checkTickValue(input, error);
  checkBins(input, tick, error, warning);
  return found;
}

type Reporter = (path: (string | number)[], rule: string, message: string) => void;

function checkIdentity(fields: Fields, error: Reporter, warning: Reporter): void {
  for (const key of ['ex', 's'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && !isSafeName(value)) {
      error([key], 'unsafe-name', `${key === 'ex' ? 'exchange' : 'symbol'} ${explainUnsafeName(value)}`);
    }
  }
  if (typeof fields.e === 'string' && fields.e !== 'CANDLESTICK') {
    warning(['e'], 'event-type', `event type is "${fields.e}", expected "CANDLESTICK"`);
  }
  if (typeof fields.tz === 'string' && fields.tz !== 'UTC') {
    warning(['tz'], 'time-zone', `time zone is "${fields.tz}"; FlowTrace times are UTC epoch ms`);
  }
}

function checkTimes(fields: Fields, error: Reporter, warning: Reporter): void {
  const name = fields.i;
  let timeframe: TimeframeName | undefined;
  if (typeof name === 'string') {
    if (isTimeframeName(name)) timeframe = name;
    else error(['i'], 'unknown-timeframe', `unknown timeframe "${name}"`);
  }
  const t = numberAt(fields, 't');
  const ct = numberAt(fields, 'ct');
  const vi = numberAt(fields, 'vi');
  for (const [key, value] of [
    ['t', t],
    ['ct', ct],
  ] as const) {
    if (value !== undefined && !Number.isSafeInteger(value)) {
      error([key], 'not-integer', `${key} must be an integer number of epoch milliseconds, got ${value}`);
    }
  }
  if (timeframe !== undefined) {
    const duration = TIMEFRAME_DURATION_MS[timeframe];
    if (t !== undefined && Number.isSafeInteger(t) && !isAlignedOpenTime(t, timeframe)) {
      error(
        ['t'],
        'open-time-unaligned',
        `open time ${t} is not a multiple of ${timeframe} (${duration} ms)`,
      );
    }
    if (vi !== undefined && vi !== duration / 1000) {
      warning(['vi'], 'interval-mismatch', `vi is ${vi} s but ${timeframe} is ${duration / 1000} s`);
    }
    if (t !== undefined && ct !== undefined && ct > t && ct !== t + duration - 1) {
      warning(
        ['ct'],
        'close-time-mismatch',
        `close time ${ct} is not open time + ${duration} - 1 = ${t + duration - 1}`,
      );
    }
  }
  if (t !== undefined && ct !== undefined && ct <= t) {
    error(['ct'], 'close-before-open', `close time ${ct} is not after open time ${t}`);
  }
}

function checkPrices(fields: Fields, error: Reporter): void {
  const o = numberAt(fields, 'o');
  const h = numberAt(fields, 'h');
  const l = numberAt(fields, 'l');
  const c = numberAt(fields, 'c');
  for (const [key, value] of [
    ['o', o],
    ['h', h],
    ['l', l],
    ['c', c],
  ] as const) {
    if (value !== undefined && value < 0) error([key], 'negative-price', `${key} is negative (${value})`);
  }
  if (o !== undefined && c !== undefined) {
    if (h !== undefined && h < Math.max(o, c)) {
      error(['h'], 'high-below-open-close', `high ${h} is below max(open ${o}, close ${c})`);
    }
    if (l !== undefined && l > Math.min(o, c)) {
      error(['l'], 'low-above-open-close', `low ${l} is above min(open ${o}, close ${c})`);
    }
  }
  // With open and close known, a high below the low already broke one of the rules above.
  if (h !== undefined && l !== undefined && h < l && (o === undefined || c === undefined)) {
    error(['h'], 'high-below-low', `high ${h} is below low ${l}`);
  }
}

function checkVolumes(fields: Fields, error: Reporter, warning: Reporter): void {
  for (const key of ['v', 'bv', 'sv', 'q', 'bq', 'sq'] as const) {
    const value = numberAt(fields, key);
    if (value !== undefined && value < 0) error([key], 'negative-volume', `${key} is negative (${value})`);
  }
  const v = numberAt(fields, 'v');
  const bv = numberAt(fields, 'bv');
  const sv = numberAt(fields, 'sv');
  const q = numberAt(fields, 'q');
  const bq = numberAt(fields, 'bq');
  const sq = numberAt(fields, 'sq');
  const d = numberAt(fields, 'd');
  const dMax = numberAt(fields, 'dMax');
  const dMin = numberAt(fields, 'dMin');
  const n = numberAt(fields, 'n');
  if (v !== undefined && bv !== undefined && sv !== undefined && !approximatelyEqual(v, bv + sv)) {
    error(['v'], 'volume-mismatch', `v ${v} is not bv + sv = ${bv + sv}`);
  }
  if (q !== undefined && bq !== undefined && sq !== undefined && !approximatelyEqual(q, bq + sq)) {
    error(['q'], 'quote-volume-mismatch', `q ${q} is not bq + sq = ${bq + sq}`);
  }
  if (d !== undefined && bv !== undefined && sv !== undefined && !approximatelyEqual(d, bv - sv)) {
    error(['d'], 'delta-mismatch', `d ${d} is not bv - sv = ${bv - sv}`);
  }
  if (d !== undefined && dMax !== undefined && !approximatelyAtMost(Math.max(0, d), dMax)) {
    warning(
      ['dMax'],
      'delta-extremes',
      `dMax ${dMax} is below max(0, d = ${d}); the running delta starts at 0`,
    );
  }
  if (d !== undefined && dMin !== undefined && !approximatelyAtMost(dMin, Math.min(0, d))) {
    warning(
      ['dMin'],
      'delta-extremes',
      `dMin ${dMin} is above min(0, d = ${d}); the running delta starts at 0`,
    );
  }
  if (n !== undefined) {
    if (!Number.isSafeInteger(n)) error(['n'], 'not-integer', `trade count ${n} is not an integer`);
    else if (n < 0) error(['n'], 'negative-count', `trade count ${n} is negative`);
    else if (n === 0) {
      // Added after 0fde9df (the spec grew): no volume of any kind without trades.
      for (const [rule, family] of [
        [
          'volume-without-trades',
          [
            ['v', 'volume', v],
            ['bv', 'buy volume', bv],
            ['sv', 'sell volume', sv],
          ],
        ],
        [
          'quote-volume-without-trades',
          [
            ['q', 'quote volume', q],
            ['bq', 'buy quote volume', bq],
            ['sq', 'sell quote volume', sq],
          ],
        ],
      ] as const) {
        const positive = family.find(([, , value]) => value !== undefined && value > 0);
        if (positive) {
          const [key, name, value] = positive;
          error([key], rule, `${key} (${name}) is ${value} but trade count n is 0`);
        }
      }
    }
  }
}

function checkTradeIds(fields: Fields, error: Reporter, warning: Reporter): void {
  const f = numberAt(fields, 'f');
  const ls = numberAt(fields, 'ls');
  const n = numberAt(fields, 'n');
  for (const [key, value] of [
    ['f', f],
    ['ls', ls],
  ] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value))
      error([key], 'not-integer', `trade id ${key} ${value} is not an integer`);
    else if (value < 0) error([key], 'negative-trade-id', `trade id ${key} ${value} is negative`);
  }
  if (f !== undefined && ls !== undefined && f > ls) {
    error(['f'], 'first-after-last', `first trade id ${f} is after last trade id ${ls}`);
  }
  if (f !== undefined && ls !== undefined && n !== undefined && n > 0 && f <= ls && ls - f + 1 < n) {
    warning(['n'], 'trade-id-span', `${n} trades cannot have ids within ${f}..${ls}`);
  }
}

function checkTickValue(fields: Fields, error: Reporter): TickSize | undefined {
  const tv = numberAt(fields, 'tv');
  if (tv === undefined) return undefined;
  if (tv <= 0) {
    error(['tv'], 'tick-value-not-positive', `tick value must be > 0, got ${tv}`);
    return undefined;
  }
  try {
    return tickSizeOf(tv);
  } catch {
    // A tick with more than 12 decimals: bins cannot be checked against it, but that is not an error of the candle.
    return undefined;
  }
}

interface BinTotals {
  v: number;
  bv: number;
  sv: number;
  q: number;
  bq: number;
  sq: number;
  quoteComplete: boolean;
}

function checkBins(fields: Fields, tick: TickSize | undefined, error: Reporter, warning: Reporter): void {
  const aggs = fields.aggs;
  if (!Array.isArray(aggs)) return;
  const totals: BinTotals = { v: 0, bv: 0, sv: 0, q: 0, bq: 0, sq: 0, quoteComplete: true };
  const low = numberAt(fields, 'l');
  const high = numberAt(fields, 'h');
  let previousTp: number | undefined;
  let binsWellFormed = true;
  aggs.forEach((bin: unknown, index) => {
    if (!isRecord(bin)) {
      binsWellFormed = false;
      return;
    }
    const tp = numberAt(bin, 'tp');
    const bv = numberAt(bin, 'bv');
    const sv = numberAt(bin, 'sv');
    const v = numberAt(bin, 'v');
    const bq = numberAt(bin, 'bq');
    const sq = numberAt(bin, 'sq');
    const q = numberAt(bin, 'q');
    for (const [key, value] of [
      ['bv', bv],
      ['sv', sv],
      ['v', v],
      ['bq', bq],
      ['sq', sq],
      ['q', q],
    ] as const) {
      if (value !== undefined && value < 0) {
        error(['aggs', index, key], 'negative-volume', `bin ${key} is negative (${value})`);
      }
    }
    if (tp !== undefined) {
      if (tp < 0) error(['aggs', index, 'tp'], 'negative-price', `bin price is negative (${tp})`);
      if (previousTp !== undefined) {
        if (tp === previousTp) {
          error(['aggs', index, 'tp'], 'aggs-duplicate-tp', `bin price ${tp} appears twice`);
        } else if (tp < previousTp) {
          error(
            ['aggs', index, 'tp'],
            'aggs-unsorted',
            `bin price ${tp} follows ${previousTp}; bins must ascend`,
          );
        }
      }
      previousTp = tp;
      if (tick !== undefined && !isOnTick(tp, tick)) {
        warning(
          ['aggs', index, 'tp'],
          'tick-misaligned',
          `bin price ${tp} is not a multiple of tick value ${tick.value}`,
        );
      }
      const lowestBin = low === undefined ? undefined : low - (tick?.value ?? 0);
      if (
        (lowestBin !== undefined && !approximatelyAtMost(lowestBin, tp)) ||
        (high !== undefined && !approximatelyAtMost(tp, high))
      ) {
        warning(
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
        error(['aggs', index, 'v'], 'bin-volume-mismatch', `bin v ${v} is not bv + sv = ${bv + sv}`);
      }
      totals.v += v;
      totals.bv += bv;
      totals.sv += sv;
    } else {
      binsWellFormed = false;
    }
    if (bq !== undefined && sq !== undefined) {
      if (q !== undefined && !approximatelyEqual(q, bq + sq)) {
        error(['aggs', index, 'q'], 'bin-quote-volume-mismatch', `bin q ${q} is not bq + sq = ${bq + sq}`);
      }
      totals.bq += bq;
      totals.sq += sq;
      totals.q += q ?? bq + sq;
    } else {
      totals.quoteComplete = false;
    }
  });
  if (!binsWellFormed) return;
  const n = numberAt(fields, 'n');
  if (n !== undefined && Number.isSafeInteger(n) && n >= 0 && n < aggs.length) {
    warning(['n'], 'trade-count-below-bins', `${n} trades cannot fill ${aggs.length} bins`);
  }
  if (n === 0 && aggs.length > 0) {
    error(['aggs'], 'bins-without-trades', `trade count is 0 but there are ${aggs.length} bins`);
  }
  if (aggs.length === 0) return;
  const sums: [string, number, boolean][] = [
    ['v', totals.v, true],
    ['bv', totals.bv, true],
    ['sv', totals.sv, true],
    ['q', totals.q, totals.quoteComplete],
    ['bq', totals.bq, totals.quoteComplete],
    ['sq', totals.sq, totals.quoteComplete],
  ];
  for (const [key, sum, applicable] of sums) {
    const total = numberAt(fields, key);
    if (!applicable || total === undefined || approximatelyEqual(total, sum)) continue;
    const rule = key.endsWith('q') ? 'quote-volume-sum' : 'volume-sum';
    warning([key], rule, `${key} ${total} differs from the sum of the bins' ${key} (${sum})`);
  }
}

export function referenceValidateFootprintCandle(
  input: unknown,
  options?: { strict?: boolean },
): { ok: true; candle: FootprintCandleDTO; warnings: CandleIssue[] } | { ok: false; issues: CandleIssue[] } {
  const strict = options?.strict ?? false;
  const parsed = footprintCandleShapeSchema.safeParse(input);
  const issues: CandleIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => fromSchemaIssue(issue, input));
  const warnings: CandleIssue[] = [];
  for (const violation of referenceCandleRules(input)) {
    const issue = fromViolation(violation);
    if (issue.severity === 'error' || strict) issues.push(issue);
    else warnings.push(issue);
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, candle: parsed.data, warnings };
}

function fromViolation(violation: RuleViolation): CandleIssue {
  return {
    path: formatIssuePath(violation.path),
    message: violation.message,
    rule: violation.rule,
    severity: violation.severity,
  };
}

function fromSchemaIssue(issue: z.core.$ZodIssue, input: unknown): CandleIssue {
  const path = formatIssuePath(issue.path);
  if (issue.path.length === 0) {
    return { path, rule: 'not-an-object', severity: 'error', message: 'a candle must be a JSON object' };
  }
  const value = valueAt(input, issue.path);
  if (value === undefined) {
    return { path, rule: 'missing-field', severity: 'error', message: `${path} is required` };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return {
      path,
      rule: 'not-finite',
      severity: 'error',
      message: `${path} must be a finite number, got ${value}`,
    };
  }
  return { path, rule: 'wrong-type', severity: 'error', message: `${path}: ${issue.message}` };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
