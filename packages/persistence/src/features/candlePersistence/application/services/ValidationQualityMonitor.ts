import { classifyErrorRate, type ErrorRateLevel } from '../../domain/validation/errorRateStatus';
import { RollingErrorRate } from '../../domain/validation/RollingErrorRate';
import type { LoggerPort } from '../ports/out/LoggerPort';

export interface ValidationQualitySettings {
  readonly maxErrorRate: number;
  readonly alertThreshold: number;
  readonly windowSize: number;
  readonly windowMs: number;
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
 */
export class ValidationQualityMonitor {
  private readonly window: RollingErrorRate;
  private lastLevel: ErrorRateLevel = 'ok';
  private acceptedTotal = 0;
  private rejectedTotal = 0;

  constructor(
    private readonly settings: ValidationQualitySettings,
    private readonly logger: LoggerPort,
    private readonly now: () => number = Date.now,
  ) {
    this.window = new RollingErrorRate(settings.windowSize, settings.windowMs);
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
      level: classifyErrorRate(errorRate, this.settings.alertThreshold, this.settings.maxErrorRate),
      windowCandles: total,
      windowRejected: rejected,
      acceptedTotal: this.acceptedTotal,
      rejectedTotal: this.rejectedTotal,
    };
  }

  private reportLevelChange(now: number): void {
    const errorRate = this.window.rate(now);
    const level = classifyErrorRate(errorRate, this.settings.alertThreshold, this.settings.maxErrorRate);
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
