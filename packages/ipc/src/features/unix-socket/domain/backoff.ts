/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half
 * random, so reconnecting clients spread out yet never retry in a tight loop.
 */
export function reconnectDelayMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
