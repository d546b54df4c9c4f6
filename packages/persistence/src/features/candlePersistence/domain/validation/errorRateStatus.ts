export type ErrorRateLevel = 'ok' | 'alert' | 'critical';

/** `critical` above maxErrorRate, `alert` above alertThreshold, else `ok`. */
export function classifyErrorRate(
  rate: number,
  alertThreshold: number,
  maxErrorRate: number,
): ErrorRateLevel {
  if (rate > maxErrorRate) return 'critical';
  if (rate > alertThreshold) return 'alert';
  return 'ok';
}
