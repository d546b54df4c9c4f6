import type { PersistenceEventsPort } from '../../../features/candlePersistence/application/ports/out/PersistenceEventsPort';
import type { IngestChannel } from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import type { StorageHealthTracker } from '../health/StorageHealthTracker';
import type { PersistenceMetrics } from './PersistenceMetrics';

/** Feeds the use case's events to the metrics and to the storage circuit breaker. */
export class PersistenceTelemetry implements PersistenceEventsPort {
  constructor(
    private readonly metrics: PersistenceMetrics,
    private readonly storageHealth: StorageHealthTracker,
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
}
