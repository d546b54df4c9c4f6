import { describe, expect, it } from 'vitest';
import {
  CandleValidator,
  classifyErrorRate,
  RollingErrorRate,
  ValidationQualityMonitor,
} from '../../src/index';
import { smallCandles } from './helpers';

describe('CandleValidator', () => {
  const [candle] = smallCandles(1);
  const soft = { ...candle, tz: 'CET' };
  const hard = { ...candle, l: (candle?.h ?? 0) + 1 };

  it('non-strict accepts soft issues as warnings, strict rejects them', () => {
    const lenient = new CandleValidator({ enabled: true, strictMode: false }).validate(soft);
    expect(lenient.accepted).toBe(true);
    if (lenient.accepted) expect(lenient.warnings.map((w) => w.rule)).toContain('time-zone');
    const strict = new CandleValidator({ enabled: true, strictMode: true }).validate(soft);
    expect(strict.accepted).toBe(false);
    if (!strict.accepted) expect(strict.candleId).toBe(`binance:LTCUSDT:1m:${candle?.t}`);
  });

  it('always rejects hard errors, even with validation disabled', () => {
    for (const policy of [
      { enabled: true, strictMode: false },
      { enabled: false, strictMode: true },
    ]) {
      const verdict = new CandleValidator(policy).validate(hard);
      expect(verdict.accepted).toBe(false);
    }
    const disabled = new CandleValidator({ enabled: false, strictMode: true }).validate(soft);
    expect(disabled.accepted).toBe(true);
    if (disabled.accepted) expect(disabled.warnings).toEqual([]);
  });

  it('names what it can of a payload that is not a candle', () => {
    const verdict = new CandleValidator({ enabled: true, strictMode: false }).validate('junk');
    expect(verdict).toMatchObject({ accepted: false, candleId: undefined });
  });
});

describe('RollingErrorRate', () => {
  it('counts the last windowSize candles within windowMs', () => {
    const window = new RollingErrorRate(4, 1000);
    window.record(true, 0);
    window.record(false, 10);
    expect(window.rate(20)).toBe(0.5);
    window.record(false, 20);
    window.record(false, 30);
    window.record(false, 40); // evicts the rejection
    expect(window.rate(50)).toBe(0);
    window.record(true, 900);
    expect(window.counts(1025)).toEqual({ total: 3, rejected: 1 }); // t=20 fell out of the 1000 ms window
    expect(window.rate(5000)).toBe(0);
  });

  it('classifies against the thresholds', () => {
    expect(classifyErrorRate(0.005, 0.01, 0.05)).toBe('ok');
    expect(classifyErrorRate(0.02, 0.01, 0.05)).toBe('alert');
    expect(classifyErrorRate(0.06, 0.01, 0.05)).toBe('critical');
  });
});

describe('ValidationQualityMonitor', () => {
  it('judges the rate only once the window holds minSamples candles (capped at windowSize)', () => {
    const quiet = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const monitor = new ValidationQualityMonitor(
      { alertThreshold: 0.01, maxErrorRate: 0.05, windowSize: 1000, windowMs: 60_000, minSamples: 20 },
      quiet,
      () => 0,
    );
    monitor.record(0, 1);
    expect(monitor.snapshot()).toMatchObject({ level: 'ok', errorRate: 1, windowCandles: 1 });
    monitor.record(18, 0);
    expect(monitor.snapshot()).toMatchObject({ level: 'ok', windowCandles: 19 });
    monitor.record(1, 0); // 1/20 = 5 %: above alertThreshold, not above maxErrorRate
    expect(monitor.snapshot()).toMatchObject({ level: 'alert', windowCandles: 20 });
    const small = new ValidationQualityMonitor(
      { alertThreshold: 0.01, maxErrorRate: 0.05, windowSize: 3, windowMs: 60_000, minSamples: 20 },
      quiet,
      () => 0,
    );
    small.record(2, 1);
    expect(small.snapshot().level).toBe('critical');
  });

  it('logs once per crossing of alertThreshold and maxErrorRate, and once on recovery', () => {
    const lines: string[] = [];
    const logger = {
      debug: () => undefined,
      info: (_: object, msg?: string) => lines.push(`info ${msg}`),
      warn: (_: object, msg?: string) => lines.push(`warn ${msg}`),
      error: (_: object, msg?: string) => lines.push(`error ${msg}`),
    };
    let now = 0;
    const monitor = new ValidationQualityMonitor(
      { alertThreshold: 0.1, maxErrorRate: 0.3, windowSize: 10, windowMs: 1000 },
      logger,
      () => now,
    );
    monitor.record(8, 2); // 20 %: alert
    monitor.record(0, 0);
    expect(monitor.snapshot()).toMatchObject({ level: 'alert', errorRate: 0.2, rejectedTotal: 2 });
    monitor.record(0, 3); // 5/10 = 50 %: critical
    expect(monitor.snapshot().level).toBe('critical');
    now = 5000; // the window's time span has passed
    monitor.record(10, 0);
    expect(monitor.snapshot()).toMatchObject({ level: 'ok', errorRate: 0, acceptedTotal: 18 });
    expect(lines).toEqual([
      'warn candle rejection rate above alertThreshold',
      'error candle rejection rate above maxErrorRate',
      'info candle rejection rate back below alertThreshold',
    ]);
  });
});
