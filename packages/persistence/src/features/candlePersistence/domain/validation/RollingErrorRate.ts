/**
 * Fraction of rejected candles among the last `windowSize` validated candles
 * that arrived within the last `windowMs` milliseconds. A ring buffer: O(1)
 * per record, fixed memory.
 */
export class RollingErrorRate {
  private readonly times: Float64Array;
  private readonly rejected: Uint8Array;
  private next = 0;
  private size = 0;
  private rejectedInBuffer = 0;

  constructor(
    private readonly windowSize: number,
    private readonly windowMs: number,
  ) {
    this.times = new Float64Array(windowSize);
    this.rejected = new Uint8Array(windowSize);
  }

  record(wasRejected: boolean, now: number): void {
    if (this.size === this.windowSize) {
      this.rejectedInBuffer -= this.rejected[this.next] ?? 0;
    } else {
      this.size++;
    }
    this.times[this.next] = now;
    this.rejected[this.next] = wasRejected ? 1 : 0;
    this.rejectedInBuffer += wasRejected ? 1 : 0;
    this.next = (this.next + 1) % this.windowSize;
  }

  /** Rate over the window at `now`; 0 when nothing arrived in it. */
  rate(now: number): number {
    const { total, rejected } = this.counts(now);
    return total === 0 ? 0 : rejected / total;
  }

  /** Arrival time of the oldest candle still inside the window at `now`; undefined when none is. */
  oldestWithin(now: number): number | undefined {
    const cutoff = now - this.windowMs;
    const oldest = (this.next - this.size + this.windowSize) % this.windowSize;
    for (let k = 0; k < this.size; k++) {
      const time = this.times[(oldest + k) % this.windowSize] ?? 0;
      if (time > cutoff) return time;
    }
    return undefined;
  }

  counts(now: number): { total: number; rejected: number } {
    const cutoff = now - this.windowMs;
    if (this.size === 0) return { total: 0, rejected: 0 };
    // Fast path: the oldest entry is still inside the time window.
    const oldest = (this.next - this.size + this.windowSize) % this.windowSize;
    if ((this.times[oldest] ?? 0) > cutoff) return { total: this.size, rejected: this.rejectedInBuffer };
    let total = 0;
    let rejected = 0;
    for (let k = 0; k < this.size; k++) {
      const index = (oldest + k) % this.windowSize;
      if ((this.times[index] ?? 0) > cutoff) {
        total++;
        rejected += this.rejected[index] ?? 0;
      }
    }
    return { total, rejected };
  }
}
