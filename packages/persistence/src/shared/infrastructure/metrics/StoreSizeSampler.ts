import { type Dirent, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** The walk gives the event loop back after this long (ms). */
const SLICE_MS = 4;
/** Walks take at most this share of the time: a store too big to walk every 30 s is walked less often. */
const MAX_WALK_SHARE = 0.02;

/**
 * Size on disk of everything under the store directory, re-measured at most
 * every `maxAgeMs` (a directory walk is too costly for every scrape), and
 * less often when a walk takes longer than `MAX_WALK_SHARE` of that. The
 * storage port does not report bytes written; for the append-only `.ftcd`
 * store the growth of this size is exactly that.
 *
 * A store kept forever holds a file per series and day: 300 series over a
 * year are 110,000 files. The walk stats them synchronously (~6 µs each here,
 * against ~35 µs of main-thread time for each thread-pool round trip of
 * `fs.promises.stat`: a walk of those 110,000 took 0.8–1.0 s of CPU instead
 * of 3.8–4.9 s), one directory at a time (memory bounded by the largest
 * directory), in slices of at most SLICE_MS between which saves and requests
 * run.
 */
export class StoreSizeSampler {
  private lastBytes: number | undefined;
  private measuredAt = 0;
  private lastWalkMs = 0;
  private measuring: Promise<void> | undefined;

  constructor(
    private readonly baseDir: string,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** The latest size; waits for a walk only when none was ever made. */
  async bytes(): Promise<number> {
    const maxAge = Math.max(this.maxAgeMs, this.lastWalkMs / MAX_WALK_SHARE);
    if (Date.now() - this.measuredAt > maxAge) {
      this.measuring ??= this.measure().finally(() => {
        this.measuring = undefined;
      });
      if (this.lastBytes === undefined) await this.measuring;
    }
    return this.lastBytes ?? 0;
  }

  private async measure(): Promise<void> {
    const started = performance.now();
    const slice = { startedAt: performance.now() };
    const total = await this.directoryBytes(this.baseDir, slice);
    this.lastBytes = total;
    this.measuredAt = Date.now();
    this.lastWalkMs = performance.now() - started;
  }

  private async directoryBytes(dir: string, slice: { startedAt: number }): Promise<number> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      // Removed since it was listed (a temporary directory), or no store yet.
      return 0;
    }
    let total = 0;
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        total += await this.directoryBytes(path, slice);
        continue;
      }
      if (!entry.isFile()) continue;
      total += fileSize(path);
      if (performance.now() - slice.startedAt > SLICE_MS) {
        await yieldToEventLoop();
        slice.startedAt = performance.now();
      }
    }
    return total;
  }
}

/** 0 for a file removed between readdir and stat (temporary files) or that cannot be stat'ed. */
function fileSize(path: string): number {
  try {
    return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}
