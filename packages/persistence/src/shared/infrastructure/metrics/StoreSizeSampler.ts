import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Size on disk of everything under the store directory, re-measured at most
 * every `maxAgeMs` (a directory walk is too costly for every scrape). The
 * storage port does not report bytes written; for the append-only `.ftcd`
 * store the growth of this size is exactly that.
 */
export class StoreSizeSampler {
  private lastBytes: number | undefined;
  private measuredAt = 0;
  private measuring: Promise<void> | undefined;

  constructor(
    private readonly baseDir: string,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** The latest size; waits for a walk only when none was ever made. */
  async bytes(): Promise<number> {
    if (Date.now() - this.measuredAt > this.maxAgeMs) {
      this.measuring ??= this.measure().finally(() => {
        this.measuring = undefined;
      });
      if (this.lastBytes === undefined) await this.measuring;
    }
    return this.lastBytes ?? 0;
  }

  private async measure(): Promise<void> {
    let total = 0;
    try {
      const entries = await readdir(this.baseDir, { recursive: true, withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        try {
          total += (await stat(join(entry.parentPath, entry.name))).size;
        } catch {
          // Removed between readdir and stat (temporary files): not part of the store.
        }
      }
    } catch {
      // No store directory yet: 0 bytes.
    }
    this.lastBytes = total;
    this.measuredAt = Date.now();
  }
}
