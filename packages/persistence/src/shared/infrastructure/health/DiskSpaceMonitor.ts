import { statfsSync } from 'node:fs';

/** Free and total bytes of the filesystem holding the store. */
export interface DiskSpace {
  /** Bytes an unprivileged process may still write (`f_bavail` × block size). */
  freeBytes: number;
  totalBytes: number;
}

/** A reading is reused for this long (ms): health probes and scrapes may come often. */
const MAX_AGE_MS = 5_000;

/**
 * Reads the free space of the filesystem holding `dir` (statfs), at most
 * every MAX_AGE_MS. Synchronous on purpose: one system call of a few
 * microseconds, read from /health (a synchronous report) and /metrics; a
 * filesystem that hangs it hangs the store's own writes too. Undefined when
 * the directory cannot be read (not created yet).
 */
export class DiskSpaceMonitor {
  private last: DiskSpace | undefined;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dir: string,
    private readonly maxAgeMs = MAX_AGE_MS,
  ) {}

  read(now = performance.now()): DiskSpace | undefined {
    if (now - this.readAt < this.maxAgeMs) return this.last;
    this.readAt = now;
    try {
      const stats = statfsSync(this.dir);
      this.last = { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
    } catch {
      this.last = undefined;
    }
    return this.last;
  }
}
