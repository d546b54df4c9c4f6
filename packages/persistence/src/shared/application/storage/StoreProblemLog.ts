import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { DiskSpace } from '../../infrastructure/health/DiskSpaceMonitor';
import type { StoreDiagnostics } from './storeDiagnostics';

/** The store filesystem's free space and the level below which it is reported (0: never). */
export interface DiskSpaceWatch {
  read(): DiskSpace | undefined;
  minFreeBytes: number;
}

/** How often the store's own report is looked at for what it found since (ms). */
const CHECK_INTERVAL_MS = 1_000;

/**
 * Puts what the store finds about its files in the log, each once: what
 * opening found at start (`storage problem found on open`, warn; repairs at
 * info), then, within a second, what it finds later: on first use of a
 * file, by its background verification, after a failed write
 * (`storage problem found`, warn), and when a problem is gone (repaired, a
 * compaction that works again: `storage problem cleared`, info). Also when
 * the store's filesystem has less free space than `minFreeBytes` (`storage
 * filesystem low on space`, warn) and again when it has enough (info).
 * /health says the same, but only to whoever asks.
 */
export class StoreProblemLog {
  private logged = new Map<string, StoreDiagnostics['problems'][number]>();
  private repairsLogged = 0;
  private lowOnSpace = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => StoreDiagnostics | undefined,
    private readonly logger: LoggerPort,
    private readonly disk?: DiskSpaceWatch,
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  /** Logs what opening the store found, then watches (a fresh store: nothing logged yet). */
  start(): void {
    this.stop();
    this.logged.clear();
    this.repairsLogged = 0;
    this.lowOnSpace = false;
    this.check(true);
    this.timer = setInterval(() => this.check(false), this.intervalMs);
    // Watching never keeps the process alive.
    this.timer.unref();
  }

  /** Stops watching (before the store closes); a last look first, so nothing found is missed. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.check(false);
  }

  /** Logs each crossing of `minFreeBytes` (down: warn, up: info). */
  private checkDiskSpace(): void {
    const disk = this.disk;
    if (!disk || disk.minFreeBytes === 0) return;
    const space = disk.read();
    if (!space) return;
    const low = space.freeBytes < disk.minFreeBytes;
    if (low === this.lowOnSpace) return;
    this.lowOnSpace = low;
    const fields = {
      freeBytes: space.freeBytes,
      totalBytes: space.totalBytes,
      minFreeBytes: disk.minFreeBytes,
    };
    if (low) this.logger.warn(fields, 'storage filesystem low on space: writes fail when it is full');
    else this.logger.info(fields, 'storage filesystem has enough free space again');
  }

  private check(onOpen: boolean): void {
    this.checkDiskSpace();
    let diagnostics: StoreDiagnostics | undefined;
    try {
      diagnostics = this.read();
    } catch {
      return;
    }
    if (!diagnostics) return;
    const current = new Map<string, StoreDiagnostics['problems'][number]>();
    for (const problem of diagnostics.problems) {
      const key = problemKey(problem);
      current.set(key, problem);
      if (this.logged.has(key)) continue;
      const { code, path, message } = problem;
      const offset = (problem as { offset?: unknown }).offset;
      this.logger.warn(
        typeof offset === 'number' ? { code, path, offset } : { code, path },
        `${onOpen ? 'storage problem found on open' : 'storage problem found'}: ${message}`,
      );
    }
    for (const [key, { code, path }] of this.logged)
      if (!current.has(key)) this.logger.info({ code, path }, 'storage problem cleared');
    this.logged = current;
    const repairs = diagnostics.repairs;
    // The store's repair list only grows while it is open.
    for (const { kind, path } of repairs.slice(this.repairsLogged))
      this.logger.info(
        { kind, path },
        `${onOpen ? 'storage repaired on open' : 'storage repaired'} (nothing acknowledged was lost)`,
      );
    this.repairsLogged = repairs.length;
  }
}

function problemKey(problem: StoreDiagnostics['problems'][number]): string {
  const offset = (problem as { offset?: unknown }).offset;
  return `${problem.code}\u0000${problem.path}\u0000${typeof offset === 'number' ? offset : ''}`;
}
