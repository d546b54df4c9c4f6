import { classifyErrorRate, type ErrorRateLevel } from '../../domain/validation/errorRateStatus';
import { RollingErrorRate } from '../../domain/validation/RollingErrorRate';
import type { LoggerPort } from '../ports/out/LoggerPort';

export interface ValidationQualitySettings {
  readonly maxErrorRate: number;
  readonly alertThreshold: number;
  readonly windowSize: number;
  readonly windowMs: number;
  /** Below this many candles in the window (capped at windowSize) the level stays 'ok'. Default 1. */
  readonly minSamples?: number;
}

export interface ValidationQualitySnapshot {
  errorRate: number;
  level: ErrorRateLevel;
  windowCandles: number;
  windowRejected: number;
  acceptedTotal: number;
  rejectedTotal: number;
}

/**
 * While the rate is above a threshold and no candle arrives, it is judged
 * again when the oldest candle of the window leaves it, but not more often
 * than this (a window of candles a millisecond apart would wake it as often).
 */
const MIN_RECHECK_MS = 100;

/**
 * Tracks the rolling rejection rate. Logs one warning when the rate crosses
 * `alertThreshold` (and one error above `maxErrorRate`), one info when it falls back.
 * A window holding fewer than `minSamples` candles is not judged (level 'ok').
 * The fall back is also noticed when rejected candles age out of the window
 * with no candle arriving (a timer, armed only while the level is not 'ok',
 * unref'd, cleared by close()): else it would be logged only with the next candle.
 */
export class ValidationQualityMonitor {
  private readonly window: RollingErrorRate;
  private readonly minSamples: number;
  private lastLevel: ErrorRateLevel = 'ok';
  private acceptedTotal = 0;
  private rejectedTotal = 0;
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: ValidationQualitySettings,
    private readonly logger: LoggerPort,
    private readonly now: () => number = Date.now,
  ) {
    this.window = new RollingErrorRate(settings.windowSize, settings.windowMs);
    this.minSamples = Math.min(settings.minSamples ?? 1, settings.windowSize);
  }

  record(accepted: number, rejected: number): void {
    const now = this.now();
    for (let k = 0; k < accepted; k++) this.window.record(false, now);
    for (let k = 0; k < rejected; k++) this.window.record(true, now);
    this.acceptedTotal += accepted;
    this.rejectedTotal += rejected;
    if (rejected > 0 || this.lastLevel !== 'ok') this.reportLevelChange(now);
    this.scheduleRecheck(now);
  }

  /** Clears the pending re-check (the service calls it from stop()); a later record() arms it again. */
  close(): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
  }

  snapshot(): ValidationQualitySnapshot {
    const now = this.now();
    const { total, rejected } = this.window.counts(now);
    const errorRate = total === 0 ? 0 : rejected / total;
    return {
      errorRate,
      level: this.levelOf(errorRate, total),
      windowCandles: total,
      windowRejected: rejected,
      acceptedTotal: this.acceptedTotal,
      rejectedTotal: this.rejectedTotal,
    };
  }

  private levelOf(errorRate: number, windowCandles: number): ErrorRateLevel {
    if (windowCandles < this.minSamples) return 'ok';
    return classifyErrorRate(errorRate, this.settings.alertThreshold, this.settings.maxErrorRate);
  }

  private scheduleRecheck(now: number): void {
    if (this.lastLevel === 'ok') {
      this.close();
      return;
    }
    if (this.recheck) return;
    const oldest = this.window.oldestWithin(now);
    // No candle left in the window: reportLevelChange found it 'ok' already.
    if (oldest === undefined) return;
    const delay = Math.max(MIN_RECHECK_MS, oldest + this.settings.windowMs - now);
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      const at = this.now();
      this.reportLevelChange(at);
      this.scheduleRecheck(at);
    }, delay);
    // Only a log line waits on it: never what keeps a process alive.
    this.recheck.unref();
  }

  private reportLevelChange(now: number): void {
    const { total, rejected } = this.window.counts(now);
    const errorRate = total === 0 ? 0 : rejected / total;
    const level = this.levelOf(errorRate, total);
    if (level === this.lastLevel) return;
    const context = {
      errorRate,
      alertThreshold: this.settings.alertThreshold,
      maxErrorRate: this.settings.maxErrorRate,
    };
    if (level === 'critical') this.logger.error(context, 'candle rejection rate above maxErrorRate');
    else if (level === 'alert') this.logger.warn(context, 'candle rejection rate above alertThreshold');
    else this.logger.info(context, 'candle rejection rate back below alertThreshold');
    this.lastLevel = level;
  }
}
