import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';

export type StorageState = 'unknown' | 'ok' | 'failing';

export interface StorageHealthSnapshot {
  state: StorageState;
  /** Epoch ms of the last durable candle write, or null. */
  lastDurableWriteAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  /** OS error code of the last failure (ENOSPC, EIO …), when there was one. */
  lastErrorCode: string | null;
  consecutiveFailures: number;
}

/** Checks storage without writing a candle: flushes the store and fsyncs a probe file. */
export type WritabilityCheck = () => Promise<void>;

export interface StorageHealthTrackerOptions {
  probe: WritabilityCheck;
  logger: LoggerPort;
  /** First delay between probes while failing; doubles up to `maxProbeDelayMs`. */
  initialProbeDelayMs?: number;
  maxProbeDelayMs?: number;
}

/**
 * Circuit breaker of the storage: a failed durable write opens it (health turns
 * unhealthy at once); while open, a probe runs with exponential backoff, and
 * the first successful probe or durable write closes it and wakes everyone
 * waiting in `whenHealthy()` (the queue consumer resumes draining its backlog).
 */
export class StorageHealthTracker {
  private state: StorageState = 'unknown';
  private lastDurableWriteAt: number | null = null;
  private lastFailureAt: number | null = null;
  private lastError: string | null = null;
  private lastErrorCode: string | null = null;
  private consecutiveFailures = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay: number;
  private waiters: Array<() => void> = [];
  private active = false;

  constructor(private readonly options: StorageHealthTrackerOptions) {
    this.probeDelay = options.initialProbeDelayMs ?? 200;
  }

  get isFailing(): boolean {
    return this.state === 'failing';
  }

  /** Enables probing (start()). */
  activate(): void {
    this.active = true;
    // The store was opened again: an 'ok' from before stop() says nothing about it (health
    // shows 'unknown' until its first durable write). A failure stays until a probe clears it.
    if (this.state === 'ok') this.state = 'unknown';
    if (this.state === 'failing') this.scheduleProbe();
  }

  /** Stops probing and releases waiters (stop()); keeps the counters. */
  deactivate(): void {
    this.active = false;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.releaseWaiters();
  }

  recordSuccess(at = Date.now()): void {
    this.lastDurableWriteAt = at;
    this.markHealthy();
  }

  recordFailure(error: unknown, at = Date.now()): void {
    this.lastFailureAt = at;
    this.lastError = error instanceof Error ? error.message : String(error);
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    this.lastErrorCode = typeof code === 'string' ? code : null;
    this.consecutiveFailures++;
    if (this.state !== 'failing') {
      this.options.logger.error(
        { err: error },
        'storage write failed: acknowledgements suspended until it recovers',
      );
      this.state = 'failing';
      this.probeDelay = this.options.initialProbeDelayMs ?? 200;
      this.scheduleProbe();
    }
  }

  /** Resolves when storage is healthy again (or at once when it is not failing, or on stop). */
  whenHealthy(): Promise<void> {
    if (this.state !== 'failing' || !this.active) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  snapshot(): StorageHealthSnapshot {
    return {
      state: this.state,
      lastDurableWriteAt: this.lastDurableWriteAt,
      lastFailureAt: this.lastFailureAt,
      lastError: this.lastError,
      lastErrorCode: this.lastErrorCode,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  private markHealthy(): void {
    if (this.state === 'failing') this.options.logger.info({}, 'storage recovered: acknowledging again');
    this.state = 'ok';
    this.consecutiveFailures = 0;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private scheduleProbe(): void {
    if (!this.active || this.probeTimer) return;
    this.probeTimer = setTimeout(() => void this.runProbe(), this.probeDelay);
  }

  private async runProbe(): Promise<void> {
    try {
      await this.options.probe();
      this.probeTimer = undefined;
      if (this.state === 'failing') this.markHealthy();
    } catch (error) {
      this.probeTimer = undefined;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.probeDelay = Math.min(this.probeDelay * 2, this.options.maxProbeDelayMs ?? 5000);
      this.scheduleProbe();
    }
  }
}
