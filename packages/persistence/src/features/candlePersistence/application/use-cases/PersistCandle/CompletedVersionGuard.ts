import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type { CandleStoragePort } from '../../ports/out/CandleStoragePort';

function keyOf(candle: FootprintCandleDTO): string {
  return `${candle.ex}:${candle.s}:${candle.i}:${candle.t}`;
}

/**
 * Keeps a stale incomplete version (`x: false`) drained from the fallback
 * queue from replacing a complete one (`x: true`, "will not change").
 *
 * Why: a producer whose partial updates fell back to the queue during an
 * outage publishes the complete candle over the socket once the daemon is
 * back; the queue drains later, and "latest write wins" would leave the
 * partial in the store. Only this ordering is decidable from the candle
 * itself; the store keeps no producer timestamp (docs/persistence.md 3.2).
 *
 * The check must not race a complete version saved concurrently (a socket
 * request): it waits for the saves already handed to the store, reads the
 * stored versions, and also counts the complete candles handed to the store
 * while it read. The caller's write starts synchronously after the verdict.
 */
export class CompletedVersionGuard {
  private readonly savesInFlight = new Set<Promise<unknown>>();
  /** One per check in progress: keys of complete candles handed to the store meanwhile. */
  private readonly watchers = new Set<Set<string>>();

  constructor(private readonly storage: CandleStoragePort) {}

  /** Call with every save, synchronously when it is handed to the store. */
  track(candles: readonly FootprintCandleDTO[], saving: Promise<unknown>): void {
    if (this.watchers.size > 0) {
      for (const candle of candles) {
        if (!candle.x) continue;
        const key = keyOf(candle);
        for (const watcher of this.watchers) watcher.add(key);
      }
    }
    this.savesInFlight.add(saving);
    const forget = (): void => {
      this.savesInFlight.delete(saving);
    };
    saving.then(forget, forget);
  }

  /**
   * Finds the incomplete candles of `candles` that a complete version of the
   * same key supersedes (stored, handed to the store, or in `candles` too),
   * then calls `write` with their positions, synchronously after the check so
   * that no save slips in between. Never rejects on its own (reads that fail
   * supersede nothing).
   */
  whenChecked<T>(
    candles: readonly FootprintCandleDTO[],
    write: (superseded: ReadonlySet<number>) => Promise<T>,
  ): Promise<T> {
    const completeKeys = new Set<string>();
    for (const candle of candles) if (candle.x) completeKeys.add(keyOf(candle));
    const toRead = new Map<string, FootprintCandleDTO>();
    for (const candle of candles) {
      const key = keyOf(candle);
      if (!candle.x && !completeKeys.has(key)) toRead.set(key, candle);
    }
    const watcher = new Set<string>();
    this.watchers.add(watcher);
    return Promise.allSettled([...this.savesInFlight])
      .then(() => Promise.all([...toRead].map(([key, candle]) => this.storedComplete(key, candle))))
      .then((storedKeys) => {
        this.watchers.delete(watcher);
        for (const key of storedKeys) if (key !== undefined) completeKeys.add(key);
        for (const key of watcher) completeKeys.add(key);
        const superseded = new Set<number>();
        candles.forEach((candle, index) => {
          if (!candle.x && completeKeys.has(keyOf(candle))) superseded.add(index);
        });
        return write(superseded);
      });
  }

  /**
   * `key` when the stored version of that candle is complete. A read that
   * fails (a corrupt block of a quarantined file, an I/O error) counts as "not
   * complete": the candle is written as before this check existed, and the
   * save reports its own failure for that candle alone. Failing the batch
   * instead would retry it, and block the queue behind it, for as long as the
   * block stays unreadable.
   */
  private async storedComplete(key: string, candle: FootprintCandleDTO): Promise<string | undefined> {
    try {
      const [stored] = await this.storage.findBySymbol(candle.s, candle.ex, candle.i as TimeframeName, {
        startTime: candle.t,
        endTime: candle.t,
        limit: 1,
      });
      return stored?.x === true ? key : undefined;
    } catch {
      return undefined;
    }
  }
}
