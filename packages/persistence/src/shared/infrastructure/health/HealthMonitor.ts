import type { QueueStats, UnixSocketServerStats } from '@flowtrace/ipc';
import type { ValidationQualitySnapshot } from '../../../features/candlePersistence/application/services/ValidationQualityMonitor';
import { QUARANTINE_PROBLEM_CODES, type StoreDiagnostics } from '../../application/storage/storeDiagnostics';
import type { DiskSpace } from './DiskSpaceMonitor';
import { type ComponentHealth, type HealthReport, worstStatus } from './HealthReport';
import type { StorageHealthSnapshot } from './StorageHealthTracker';

const mebibytes = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/** Live readings the monitor turns into a report (wired by the application). */
export interface HealthSources {
  lifecycle(): 'stopped' | 'starting' | 'running' | 'stopping';
  socket(): { listening: boolean; stats: UnixSocketServerStats | undefined };
  queue(): { running: boolean; pausedForStorage: boolean; stats: QueueStats | undefined };
  storage(): StorageHealthSnapshot;
  storeDiagnostics(): StoreDiagnostics | undefined;
  /** Free space of the store's filesystem, when readable. */
  disk(): DiskSpace | undefined;
  validation(): ValidationQualitySnapshot;
}

export interface HealthThresholds {
  /** Oldest pending queue message older than this: queuePoller degraded. */
  readonly queueLagDegradedMs: number;
  /** Less free space than this on the store's filesystem: storage degraded (0: never). */
  readonly minFreeBytes: number;
}

/** Builds `/health` from real readings: each component says why it is not healthy. */
export class HealthMonitor {
  constructor(
    private readonly sources: HealthSources,
    private readonly thresholds: HealthThresholds,
  ) {}

  /** Ready = running and storage accepting writes; false as soon as stop() begins. */
  isReady(): boolean {
    return this.sources.lifecycle() === 'running' && this.sources.storage().state !== 'failing';
  }

  report(now = Date.now()): HealthReport {
    const running = this.sources.lifecycle() === 'running';
    const components = {
      unixSocket: this.socketHealth(running),
      queuePoller: this.queueHealth(running),
      storage: this.storageHealth(now),
      validation: this.validationHealth(),
    };
    const status = worstStatus(Object.values(components).map((c) => c.status));
    return { status, timestamp: new Date(now).toISOString(), components };
  }

  private socketHealth(running: boolean): ComponentHealth {
    const { listening, stats } = this.sources.socket();
    const details = {
      listening,
      connections: stats?.connectionCount ?? 0,
      requestsInFlight: stats?.requestsInFlight ?? 0,
      responsesDropped: stats?.responsesDropped ?? 0,
      protocolErrors: stats?.protocolErrors ?? 0,
    };
    if (!listening) {
      return {
        status: 'unhealthy',
        reason: running ? 'socket server is not listening' : 'service is not running',
        ...details,
      };
    }
    return { status: 'healthy', ...details };
  }

  private queueHealth(running: boolean): ComponentHealth {
    const { running: polling, pausedForStorage, stats } = this.sources.queue();
    const details = {
      running: polling,
      pausedForStorage,
      pending: stats?.pending ?? null,
      inFlight: stats?.inFlight ?? null,
      deadLetters: stats?.dead ?? null,
      oldestPendingAgeMs: stats?.oldestPendingAgeMs ?? null,
    };
    if (pausedForStorage) return { status: 'degraded', reason: 'paused until storage recovers', ...details };
    if (!polling) {
      return {
        status: 'unhealthy',
        reason: running ? 'queue poller is not running' : 'service is not running',
        ...details,
      };
    }
    const lag = stats?.oldestPendingAgeMs ?? 0;
    if (lag > this.thresholds.queueLagDegradedMs) {
      return {
        status: 'degraded',
        reason: `oldest pending message is ${Math.round(lag / 1000)} s old`,
        ...details,
      };
    }
    return { status: 'healthy', ...details };
  }

  private storageHealth(now: number): ComponentHealth {
    const s = this.sources.storage();
    const diagnostics = this.sources.storeDiagnostics();
    const disk = this.sources.disk();
    const quarantined = diagnostics?.problems.filter((p) => QUARANTINE_PROBLEM_CODES.has(p.code)) ?? [];
    const details = {
      state: s.state,
      lastDurableWriteAgeMs: s.lastDurableWriteAt === null ? null : now - s.lastDurableWriteAt,
      consecutiveFailures: s.consecutiveFailures,
      lastError: s.lastError,
      lastErrorCode: s.lastErrorCode,
      problems: diagnostics?.problems ?? [],
      repairs: diagnostics?.repairs ?? [],
      diskFreeBytes: disk?.freeBytes ?? null,
      diskTotalBytes: disk?.totalBytes ?? null,
    };
    if (s.state === 'failing') {
      return {
        status: 'unhealthy',
        reason: `storage writes fail: ${s.lastError ?? 'unknown error'}`,
        ...details,
      };
    }
    if (quarantined.length > 0) {
      return { status: 'unhealthy', reason: `${quarantined.length} store file(s) quarantined`, ...details };
    }
    if (disk && disk.freeBytes < this.thresholds.minFreeBytes) {
      return {
        status: 'degraded',
        reason: `only ${mebibytes(disk.freeBytes)} MiB free on the store's filesystem (storage.minFreeBytes: ${mebibytes(this.thresholds.minFreeBytes)} MiB); writes fail when it is full`,
        ...details,
      };
    }
    if (details.problems.length > 0)
      return { status: 'degraded', reason: 'the store reported problems', ...details };
    return { status: 'healthy', ...details };
  }

  private validationHealth(): ComponentHealth {
    const v = this.sources.validation();
    const details = {
      errorRate: v.errorRate,
      windowCandles: v.windowCandles,
      windowRejected: v.windowRejected,
      acceptedTotal: v.acceptedTotal,
      rejectedTotal: v.rejectedTotal,
    };
    if (v.level === 'critical')
      return { status: 'unhealthy', reason: 'rejection rate above maxErrorRate', ...details };
    if (v.level === 'alert')
      return { status: 'degraded', reason: 'rejection rate above alertThreshold', ...details };
    return { status: 'healthy', ...details };
  }
}
