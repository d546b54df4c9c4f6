import type { LoggerPort } from '../../features/candlePersistence/application/ports/out/LoggerPort';
import type { JsonlRejectedCandleLog } from '../infrastructure/consumer/audit/JsonlRejectedCandleLog';
import type { QueueConsumer } from '../infrastructure/consumer/QueueConsumer';
import type { SocketConsumer } from '../infrastructure/consumer/SocketConsumer';
import type { HealthCheckServer } from '../infrastructure/health/HealthCheckServer';
import type { HealthMonitor } from '../infrastructure/health/HealthMonitor';
import type { HealthReport } from '../infrastructure/health/HealthReport';
import type { StorageHealthTracker } from '../infrastructure/health/StorageHealthTracker';
import type { PersistenceMetrics } from '../infrastructure/metrics/PersistenceMetrics';
import type { Lifecycle, LifecycleState } from './LifecycleState';
import type { PersistenceProbe } from './PersistenceProbe';
import type { ManagedCandleStorage } from './storage/ManagedCandleStorage';
import { type DiskSpaceWatch, StoreProblemLog } from './storage/StoreProblemLog';

export interface PersistenceApplicationParts {
  lifecycle: LifecycleState;
  storage: ManagedCandleStorage;
  rejectedLog: JsonlRejectedCandleLog;
  storageHealth: StorageHealthTracker;
  socket: SocketConsumer;
  queue: QueueConsumer;
  healthServer: HealthCheckServer | undefined;
  healthMonitor: HealthMonitor;
  metrics: PersistenceMetrics;
  logger: LoggerPort;
  /** The store filesystem's free space, logged when it falls below `minFreeBytes`. */
  diskSpace?: DiskSpaceWatch;
  /** Tests and tracing only (PersistenceProbe.ts). */
  probe?: PersistenceProbe;
  /** The error-rate monitor: stop() clears its re-check timer. */
  quality?: { close(): void };
}

/**
 * The running service: opens storage, starts both consumers and the health
 * server; stop() drains everything and releases every handle. No process-wide
 * state: several instances (different paths) can run in one process, and
 * start() after stop() works.
 */
export class PersistenceApplication {
  private transition: Promise<void> | undefined;
  /** What the store finds about its files, in the log (not only in /health). */
  private readonly storeProblems: StoreProblemLog;

  constructor(private readonly parts: PersistenceApplicationParts) {
    this.storeProblems = new StoreProblemLog(
      () => parts.storage.diagnostics(),
      parts.logger,
      parts.diskSpace,
    );
  }

  get lifecycle(): Lifecycle {
    return this.parts.lifecycle.current;
  }

  private get state(): Lifecycle {
    return this.parts.lifecycle.current;
  }

  private set state(next: Lifecycle) {
    this.parts.lifecycle.current = next;
  }

  /** Port of the health/metrics HTTP server while running (resolves `healthCheckPort: 0`). */
  get healthPort(): number | undefined {
    return this.parts.healthServer?.port;
  }

  /** Prometheus registry of this instance (private to it). */
  get metricsRegistry(): PersistenceMetrics['registry'] {
    return this.parts.metrics.registry;
  }

  /**
   * The store the service writes to (open while running): read back what was
   * acknowledged. The service owns it: its `close()` releases nothing.
   */
  get storage(): ManagedCandleStorage {
    return this.parts.storage;
  }

  health(): HealthReport {
    return this.parts.healthMonitor.report();
  }

  start(): Promise<void> {
    return this.serialize(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** start()/stop() never interleave: each waits for the previous transition. */
  private serialize(step: () => Promise<void>): Promise<void> {
    const previous = this.transition ?? Promise.resolve();
    const next = previous.then(step);
    // The chain keeps only the settlement: a failed start must not surface twice (unhandled).
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.transition = settled;
    void settled.then(() => {
      if (this.transition === settled) this.transition = undefined;
    });
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.state === 'running') return;
    const p = this.parts;
    this.state = 'starting';
    try {
      await p.storage.open();
      p.probe?.('startup:storage-opened', {});
      this.storeProblems.start();
      await p.rejectedLog.open();
      p.storageHealth.activate();
      await p.healthServer?.start();
      await p.queue.start();
      await p.socket.start();
    } catch (error) {
      p.logger.error({ err: error }, 'persistence service failed to start; releasing what was opened');
      await this.release();
      throw error;
    }
    this.state = 'running';
    p.logger.info({ healthPort: this.healthPort }, 'persistence service started');
  }

  private async doStop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    await this.release();
    this.parts.logger.info({}, 'persistence service stopped');
  }

  /** Order matters: stop intake first, let in-flight work reach storage, then close storage. */
  private async release(): Promise<void> {
    const p = this.parts;
    this.state = 'stopping';
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<void>) => {
      try {
        await step();
      } catch (error) {
        problems.push(error);
      }
    };
    await attempt(() => p.socket.stop());
    p.storageHealth.deactivate();
    await attempt(() => p.queue.stop());
    this.storeProblems.stop();
    // After both consumers stopped, so no candle of theirs arms it again.
    p.quality?.close();
    await attempt(() => p.storage.release());
    await attempt(() => p.rejectedLog.close());
    await attempt(async () => p.healthServer?.stop());
    this.state = 'stopped';
    for (const problem of problems) p.logger.error({ err: problem }, 'error while stopping');
    if (problems.length > 0) throw problems[0];
  }
}
