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
 * Tracks the rolling rejection rate. Logs one warning when the rate crosses
 * `alertThreshold` (and one error above `maxErrorRate`), one info when it falls back.
 * A window holding fewer than `minSamples` candles is not judged (level 'ok').
 */
export class ValidationQualityMonitor {
  private readonly window: RollingErrorRate;
  private readonly minSamples: number;
  private lastLevel: ErrorRateLevel = 'ok';
  private acceptedTotal = 0;
  private rejectedTotal = 0;

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
