import { join } from 'node:path';
import type { Container } from 'inversify';
import type { ResolvedPersistenceConfig } from '../../../../../config/persistenceConfigSchema';
import type { CandlePersistencePort } from '../../../../../features/candlePersistence/application/ports/in/CandlePersistencePort';
import type { LoggerPort } from '../../../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceEventsPort } from '../../../../../features/candlePersistence/application/ports/out/PersistenceEventsPort';
import type { RejectedCandleLogPort } from '../../../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import type { ValidationQualityMonitor } from '../../../../../features/candlePersistence/application/services/ValidationQualityMonitor';
import type { LifecycleState } from '../../../../application/LifecycleState';
import { PersistenceApplication } from '../../../../application/PersistenceApplication';
import type { PersistenceProbe } from '../../../../application/PersistenceProbe';
import {
  type CandleStorageSource,
  ManagedCandleStorage,
} from '../../../../application/storage/ManagedCandleStorage';
import { createWritabilityCheck } from '../../../../application/storage/probeStorage';
import { JsonlRejectedCandleLog } from '../../../../infrastructure/consumer/audit/JsonlRejectedCandleLog';
import { QueueConsumer } from '../../../../infrastructure/consumer/QueueConsumer';
import { SocketConsumer } from '../../../../infrastructure/consumer/SocketConsumer';
import { SocketRequestHandler } from '../../../../infrastructure/consumer/SocketRequestHandler';
import { DiskSpaceMonitor } from '../../../../infrastructure/health/DiskSpaceMonitor';
import { HealthCheckServer } from '../../../../infrastructure/health/HealthCheckServer';
import { HealthMonitor } from '../../../../infrastructure/health/HealthMonitor';
import { StorageHealthTracker } from '../../../../infrastructure/health/StorageHealthTracker';
import { PersistenceMetrics } from '../../../../infrastructure/metrics/PersistenceMetrics';
import { PersistenceTelemetry } from '../../../../infrastructure/metrics/PersistenceTelemetry';
import { StoreSizeSampler } from '../../../../infrastructure/metrics/StoreSizeSampler';
import { CANDLE_PERSISTENCE_TYPES, PERSISTENCE_TYPES } from '../../core/types';

/** File name of the rejected-candles log inside `storage.baseDir` unless `rejectedLogPath` is set. */
export const REJECTED_LOG_FILE = 'rejected-candles.jsonl';

const P = PERSISTENCE_TYPES;
const C = CANDLE_PERSISTENCE_TYPES;

/** Storage, audit log, consumers, health, metrics and the application. */
export function bindInfrastructure(container: Container, storage: CandleStorageSource): void {
  container.bind(P.StorageSource).toConstantValue(storage);
  container
    .bind(P.ManagedStorage)
    .toResolvedValue((source: CandleStorageSource) => new ManagedCandleStorage(source), [P.StorageSource])
    .inSingletonScope();
  container.bind(C.CandleStoragePort).toService(P.ManagedStorage);

  container
    .bind(P.RejectedCandleLog)
    .toResolvedValue(
      (config: ResolvedPersistenceConfig) =>
        new JsonlRejectedCandleLog(config.rejectedLogPath ?? join(config.storage.baseDir, REJECTED_LOG_FILE)),
      [P.Config],
    )
    .inSingletonScope();
  container.bind(C.RejectedCandleLogPort).toService(P.RejectedCandleLog);

  container
    .bind(P.StorageHealthTracker)
    .toResolvedValue(
      (managed: ManagedCandleStorage, config: ResolvedPersistenceConfig, logger: LoggerPort) =>
        new StorageHealthTracker({ probe: createWritabilityCheck(managed, config.storage.baseDir), logger }),
      [P.ManagedStorage, P.Config, P.Logger],
    )
    .inSingletonScope();

  container
    .bind(P.DiskSpaceMonitor)
    .toResolvedValue(
      (config: ResolvedPersistenceConfig) => new DiskSpaceMonitor(config.storage.baseDir),
      [P.Config],
    )
    .inSingletonScope();

  container
    .bind(P.Metrics)
    .toResolvedValue(() => new PersistenceMetrics())
    .inSingletonScope();

  container
    .bind(C.PersistenceEventsPort)
    .toResolvedValue(
      (metrics: PersistenceMetrics, storageHealth: StorageHealthTracker, logger: LoggerPort) =>
        new PersistenceTelemetry(metrics, storageHealth, logger),
      [P.Metrics, P.StorageHealthTracker, P.Logger],
    )
    .inSingletonScope();

  container
    .bind(P.SocketRequestHandler)
    .toResolvedValue(
      (persistence: CandlePersistencePort, queue: QueueConsumer) =>
        new SocketRequestHandler(persistence, queue),
      [C.CandlePersistencePort, P.QueueConsumer],
    )
    .inSingletonScope();
  container
    .bind(P.SocketConsumer)
    .toResolvedValue(
      (config: ResolvedPersistenceConfig, handler: SocketRequestHandler, metrics: PersistenceMetrics) =>
        new SocketConsumer(
          {
            socketPath: config.socketPath,
            maxConnections: config.maxConnections,
            maxFrameBytes: config.maxFrameBytes,
            socketMode: config.socketMode,
            stopTimeoutMs: config.stopTimeoutMs,
          },
          handler,
          metrics,
        ),
      [P.Config, P.SocketRequestHandler, P.Metrics],
    )
    .inSingletonScope();
  container
    .bind(P.QueueConsumer)
    .toResolvedValue(
      (
        config: ResolvedPersistenceConfig,
        persistence: CandlePersistencePort,
        rejectedLog: RejectedCandleLogPort,
        events: PersistenceEventsPort,
        storageHealth: StorageHealthTracker,
        metrics: PersistenceMetrics,
        logger: LoggerPort,
        probe: PersistenceProbe,
      ) =>
        new QueueConsumer(
          { queuePath: config.queuePath, pollInterval: config.pollInterval, batchSize: config.batchSize },
          persistence,
          rejectedLog,
          events,
          storageHealth,
          metrics,
          logger,
          probe,
        ),
      [
        P.Config,
        C.CandlePersistencePort,
        C.RejectedCandleLogPort,
        C.PersistenceEventsPort,
        P.StorageHealthTracker,
        P.Metrics,
        P.Logger,
        P.Probe,
      ],
    )
    .inSingletonScope();

  container
    .bind(P.HealthMonitor)
    .toResolvedValue(
      (
        config: ResolvedPersistenceConfig,
        lifecycle: LifecycleState,
        socket: SocketConsumer,
        queue: QueueConsumer,
        storageHealth: StorageHealthTracker,
        quality: ValidationQualityMonitor,
        managed: ManagedCandleStorage,
        disk: DiskSpaceMonitor,
      ) =>
        new HealthMonitor(
          {
            lifecycle: () => lifecycle.current,
            socket: () => ({ listening: socket.isListening, stats: socket.stats() }),
            queue: () => ({
              running: queue.isRunning,
              pausedForStorage: queue.isPausedForStorage,
              stats: queue.stats(),
            }),
            storage: () => storageHealth.snapshot(),
            storeDiagnostics: () => managed.diagnostics(),
            disk: () => disk.read(),
            validation: () => quality.snapshot(),
          },
          {
            queueLagDegradedMs: Math.max(60_000, config.pollInterval * 10),
            minFreeBytes: config.storage.minFreeBytes,
          },
        ),
      [
        P.Config,
        P.Lifecycle,
        P.SocketConsumer,
        P.QueueConsumer,
        P.StorageHealthTracker,
        C.ValidationQualityMonitor,
        P.ManagedStorage,
        P.DiskSpaceMonitor,
      ],
    )
    .inSingletonScope();

  container
    .bind(P.HealthCheckServer)
    .toResolvedValue(
      (
        config: ResolvedPersistenceConfig,
        monitor: HealthMonitor,
        metrics: PersistenceMetrics,
        logger: LoggerPort,
      ) =>
        config.healthCheckPort === undefined
          ? null
          : new HealthCheckServer(
              { host: config.healthCheckHost, port: config.healthCheckPort },
              monitor,
              metrics,
              logger,
            ),
      [P.Config, P.HealthMonitor, P.Metrics, P.Logger],
    )
    .inSingletonScope();

  container
    .bind(P.PersistenceApplication)
    .toResolvedValue(
      (
        lifecycle: LifecycleState,
        storage: ManagedCandleStorage,
        rejectedLog: JsonlRejectedCandleLog,
        storageHealth: StorageHealthTracker,
        socket: SocketConsumer,
        queue: QueueConsumer,
        healthServer: HealthCheckServer | null,
        healthMonitor: HealthMonitor,
        metrics: PersistenceMetrics,
        logger: LoggerPort,
        quality: ValidationQualityMonitor,
        config: ResolvedPersistenceConfig,
        probe: PersistenceProbe,
        disk: DiskSpaceMonitor,
      ) => {
        const storeSize = new StoreSizeSampler(config.storage.baseDir);
        metrics.useSources({
          queue: () => queue.stats(),
          connections: () => socket.stats()?.connectionCount ?? 0,
          errorRate: () => quality.snapshot().errorRate,
          storageFailing: () => storageHealth.isFailing,
          storeBytes: () => storeSize.bytes(),
          disk: () => disk.read(),
        });
        return new PersistenceApplication({
          lifecycle,
          storage,
          rejectedLog,
          storageHealth,
          socket,
          queue,
          healthServer: healthServer ?? undefined,
          healthMonitor,
          metrics,
          logger,
          diskSpace: { read: () => disk.read(), minFreeBytes: config.storage.minFreeBytes },
          probe,
          quality,
        });
      },
      [
        P.Lifecycle,
        P.ManagedStorage,
        P.RejectedCandleLog,
        P.StorageHealthTracker,
        P.SocketConsumer,
        P.QueueConsumer,
        P.HealthCheckServer,
        P.HealthMonitor,
        P.Metrics,
        P.Logger,
        C.ValidationQualityMonitor,
        P.Config,
        P.Probe,
        P.DiskSpaceMonitor,
      ],
    )
    .inSingletonScope();
}
