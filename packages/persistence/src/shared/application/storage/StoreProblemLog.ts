import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { StoreDiagnostics } from './storeDiagnostics';

/** How often the store's own report is looked at for what it found since (ms). */
const CHECK_INTERVAL_MS = 1_000;

/**
 * Puts what the store finds about its files in the log, each once: what
 * opening found at start (`storage problem found on open`, warn; repairs at
 * info), then, within a second, what it finds later: on first use of a
 * file, by its background verification, after a failed write
 * (`storage problem found`, warn), and when a problem is gone (repaired, a
 * compaction that works again: `storage problem cleared`, info). /health says
 * the same, but only to whoever asks.
 */
export class StoreProblemLog {
  private logged = new Map<string, StoreDiagnostics['problems'][number]>();
  private repairsLogged = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => StoreDiagnostics | undefined,
    private readonly logger: LoggerPort,
    private readonly intervalMs = CHECK_INTERVAL_MS,
  ) {}

  /** Logs what opening the store found, then watches (a fresh store: nothing logged yet). */
  start(): void {
    this.stop();
    this.logged.clear();
    this.repairsLogged = 0;
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

  private check(onOpen: boolean): void {
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
