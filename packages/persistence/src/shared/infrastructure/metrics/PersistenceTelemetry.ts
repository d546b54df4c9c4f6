import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceEventsPort } from '../../../features/candlePersistence/application/ports/out/PersistenceEventsPort';
import type { IngestChannel } from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import type { StorageHealthTracker } from '../health/StorageHealthTracker';
import type { PersistenceMetrics } from './PersistenceMetrics';

const REFUSAL_LOG_INTERVAL_MS = 60_000;
const MAX_REFUSAL_CAUSES = 1_000;

/** Feeds the use case's events to the metrics and to the storage circuit breaker. */
export class PersistenceTelemetry implements PersistenceEventsPort {
  /** When each refusal cause (a file) was last logged (bounded: cleared past MAX_REFUSAL_CAUSES). */
  private readonly refusalsLogged = new Map<string, number>();

  constructor(
    private readonly metrics: PersistenceMetrics,
    private readonly storageHealth: StorageHealthTracker,
    private readonly logger?: LoggerPort,
  ) {}

  durableWrite(channel: IngestChannel, written: number, unchanged: number, seconds: number): void {
    this.metrics.countPersisted(channel, written, unchanged);
    this.metrics.durableWriteSeconds.observe(seconds);
    this.storageHealth.recordSuccess();
  }

  rejected(channel: IngestChannel, count: number): void {
    this.metrics.rejected.inc({ channel }, count);
  }

  storageFailed(error: unknown): void {
    this.metrics.storageFailures.inc();
    this.storageHealth.recordFailure(error);
  }

  /**
   * Not a storage failure (the store works; one partition refuses writes and
   * health reports it): counted, and logged at most once a minute per cause.
   */
  refusedByStorage(channel: IngestChannel, count: number, error: unknown): void {
    this.metrics.unsaved.inc({ channel }, count);
    // Per file when the error names it (its message also counts the candles refused).
    const path = (error as { path?: unknown } | null)?.path;
    const cause = typeof path === 'string' ? path : error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const lastLogged = this.refusalsLogged.get(cause);
    if (lastLogged !== undefined && now - lastLogged < REFUSAL_LOG_INTERVAL_MS) return;
    if (this.refusalsLogged.size >= MAX_REFUSAL_CAUSES) this.refusalsLogged.clear();
    this.refusalsLogged.set(cause, now);
    this.logger?.warn(
      { channel, count, err: error },
      'candles not saved: their partition refuses writes (kept for a retry; repair the file)',
    );
  }
}
