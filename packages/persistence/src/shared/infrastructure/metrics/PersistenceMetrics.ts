import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestChannel } from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import type { DiskSpace } from '../health/DiskSpaceMonitor';

/** Live values read at scrape time (queue depth, connections …). */
export interface MetricsSources {
  queue(): { pending: number; inFlight: number; dead: number; oldestPendingAgeMs: number | null } | undefined;
  connections(): number;
  errorRate(): number;
  storageFailing(): boolean;
  /** Bytes on disk under the store directory (sampled). */
  storeBytes(): Promise<number>;
  /** Free and total bytes of the store's filesystem, when readable. */
  disk(): DiskSpace | undefined;
}

const NO_SOURCES: MetricsSources = {
  queue: () => undefined,
  connections: () => 0,
  errorRate: () => 0,
  storageFailing: () => false,
  storeBytes: async () => 0,
  disk: () => undefined,
};

const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/**
 * A queue ack is timed from the producer's `timestamp`: a message queued during
 * an outage is acknowledged minutes later (queuePoller turns degraded past 60 s,
 * pollInterval may be up to an hour). Without these bounds all of it is +Inf.
 */
const ACK_BUCKETS = [...LATENCY_BUCKETS, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * prom-client's default collectors cannot be stopped (a GC PerformanceObserver,
 * an event-loop delay monitor) and keep their registry alive for good: one set
 * per instance kept every dropped instance's registry, and through its gauges
 * the consumers and store behind it. They report process-wide facts anyway, so
 * they are collected once per process and registered into each private registry.
 */
let processMetrics: Registry | undefined;

function defaultProcessMetrics(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * Prometheus metrics of one app instance, in a PRIVATE Registry: two instances
 * in one process never share or clash on series (names in docs/persistence.md).
 */
export class PersistenceMetrics {
  readonly registry = new Registry();
  readonly persisted: Counter<'channel'>;
  readonly unchanged: Counter<'channel'>;
  readonly rejected: Counter<'channel'>;
  readonly unsaved: Counter<'channel'>;
  readonly storageFailures: Counter;
  readonly durableWriteSeconds: Histogram;
  readonly ackSeconds: Histogram<'channel'>;

  private sources: MetricsSources = NO_SOURCES;

  constructor() {
    const registers = [this.registry];
    const live = (): MetricsSources => this.sources;
    this.persisted = new Counter({
      name: 'flowtrace_persistence_candles_persisted_total',
      help: 'Candles made durable (new or replaced versions), by ingest channel',
      labelNames: ['channel'],
      registers,
    });
    this.unchanged = new Counter({
      name: 'flowtrace_persistence_candles_unchanged_total',
      help: 'Candles identical to the stored version (duplicates), acknowledged without a write',
      labelNames: ['channel'],
      registers,
    });
    this.rejected = new Counter({
      name: 'flowtrace_persistence_candles_rejected_total',
      help: 'Candles refused by validation and recorded in the rejected-candles log, by ingest channel',
      labelNames: ['channel'],
      registers,
    });
    this.unsaved = new Counter({
      name: 'flowtrace_persistence_candles_unsaved_total',
      help: 'Valid candles not saved because their partition refuses writes (quarantined); answered retryable, by ingest channel',
      labelNames: ['channel'],
      registers,
    });
    this.storageFailures = new Counter({
      name: 'flowtrace_persistence_storage_failures_total',
      help: 'Storage or rejected-log writes that failed (nothing was acknowledged)',
      registers,
    });
    this.durableWriteSeconds = new Histogram({
      name: 'flowtrace_persistence_durable_write_seconds',
      help: 'Duration of a storage save/saveMany call until durable (includes the shared fsync)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'flowtrace_persistence_ack_seconds',
      help: 'From receipt of a message that stored a candle to its durable acknowledgement (successful acks only; queue: processed mark committed), by ingest channel',
      labelNames: ['channel'],
      buckets: ACK_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'flowtrace_persistence_queue_depth',
      help: 'Messages waiting in the fallback queue (pending, including delayed retries)',
      registers,
      collect() {
        this.set(live().queue()?.pending ?? 0);
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_queue_oldest_pending_seconds',
      help: 'Age of the oldest unprocessed queue message, 0 when none',
      registers,
      collect() {
        this.set((live().queue()?.oldestPendingAgeMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_queue_dead_letters',
      help: 'Queue messages dead-lettered (e.g. payload not JSON)',
      registers,
      collect() {
        this.set(live().queue()?.dead ?? 0);
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_socket_connections',
      help: 'Open Unix socket connections',
      registers,
      collect() {
        this.set(live().connections());
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_validation_error_rate',
      help: 'Rejected fraction of the rolling validation window',
      registers,
      collect() {
        this.set(live().errorRate());
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_storage_up',
      help: '1 when storage accepts durable writes, 0 while it is failing',
      registers,
      collect() {
        this.set(live().storageFailing() ? 0 : 1);
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_store_size_bytes',
      help: 'Bytes on disk under storage.baseDir, re-measured at most every 30 s, less often when a walk takes over 2 % of the time (growth = bytes written for .ftcd)',
      registers,
      async collect() {
        this.set(await live().storeBytes());
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_disk_free_bytes',
      help: 'Bytes the service may still write on the filesystem holding storage.baseDir (statfs f_bavail; read at most every 5 s)',
      registers,
      collect() {
        // Unreadable: no sample. 0 (prom-client's default) or the last reading would claim a full or a stale disk.
        const disk = live().disk();
        if (disk) this.set(disk.freeBytes);
        else this.remove();
      },
    });
    new Gauge({
      name: 'flowtrace_persistence_disk_size_bytes',
      help: 'Size of the filesystem holding storage.baseDir',
      registers,
      collect() {
        const disk = live().disk();
        if (disk) this.set(disk.totalBytes);
        else this.remove();
      },
    });
    const shared = defaultProcessMetrics();
    for (const { name } of shared.getMetricsAsArray()) {
      const metric = shared.getSingleMetric(name);
      if (metric) this.registry.registerMetric(metric);
    }
  }

  /** Wires the gauges read at scrape time (set once the consumers exist; they depend on the metrics). */
  useSources(sources: MetricsSources): void {
    this.sources = sources;
  }

  countPersisted(channel: IngestChannel, written: number, unchanged: number): void {
    if (written > 0) this.persisted.inc({ channel }, written);
    if (unchanged > 0) this.unchanged.inc({ channel }, unchanged);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
