import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PartitionReplacedError } from '../errors/StorageErrors';
import type { FileHandlePool } from '../file/FileHandlePool';
import type { PartitionFile } from './PartitionFile';
import type { PartitionIndex } from './PartitionIndex';
import type { StorageProblem } from './StorageProblem';

/** Replacements of one file while its index is loaded before load() gives up (each is a compaction). */
const MAX_RELOADS = 8;

/**
 * Keeps the whole indexes of the recently used partition files within a byte
 * budget and swaps the others for summaries (size, first and last time), so
 * the store's RAM no longer grows with every candle it ever stored. A released
 * index is rebuilt from the file's blocks the next time it is needed.
 *
 * Release happens only in `trim()`, which the store calls when no commit sits
 * between reading an index and appending to it: an append finds its file's
 * index as the cycle's comparisons left it, resident, or still a summary when
 * every candle it adds comes after the file's last one (a live save needs no
 * comparison; the store then grows the summary instead of reloading it). A
 * reader that holds an index object keeps using it after a release (the
 * object itself is never emptied).
 */
export class ResidentIndexes {
  /** Files with a resident index, least recently used first (Set order is insertion order). */
  private readonly recent = new Set<PartitionFile>();
  private readonly loading = new Map<PartitionFile, Promise<PartitionIndex | undefined>>();

  constructor(
    private readonly pool: FileHandlePool,
    private readonly maxBytes: number,
    private readonly report: (problem: StorageProblem) => void,
    /** Picks up a file the writer replaced by its compacted copy (read-only stores). */
    private readonly reloadReplaced: (file: PartitionFile) => Promise<void>,
  ) {}

  /** The file's index, reloaded from its blocks if it was released; marks it most recently used. */
  indexOf(file: PartitionFile): Promise<PartitionIndex> | PartitionIndex {
    if (file.index.resident) {
      this.touch(file);
      return file.index;
    }
    return this.load(file);
  }

  /**
   * Reloads until an index is whole: while one reload reads the file, the file
   * may be replaced by its compacted copy, or loaded whole by someone else,
   * and both leave a new summary in its place (a summary is what a whole-file
   * load makes), which is loaded again from the file now there.
   */
  private async load(file: PartitionFile): Promise<PartitionIndex> {
    for (let attempt = 1; ; attempt += 1) {
      if (file.index.resident) {
        this.touch(file);
        return file.index;
      }
      let pending = this.loading.get(file);
      if (!pending) {
        pending = this.reload(file).finally(() => this.loading.delete(file));
        this.loading.set(file, pending);
      }
      const index = await pending;
      if (index) {
        this.touch(file);
        return index;
      }
      if (attempt >= MAX_RELOADS) throw new PartitionReplacedError(file.path);
    }
  }

  /** Marks the file's (resident) index most recently used. */
  touch(file: PartitionFile): void {
    this.recent.delete(file);
    this.recent.add(file);
  }

  /**
   * Releases least recently used indexes until the resident ones fit the
   * budget. Only call it when no commit is between reading an index and
   * appending to its file.
   */
  trim(): void {
    let bytes = 0;
    for (const file of this.recent) bytes += file.index.approximateBytes;
    // The most recently used index stays, even alone over budget: its user is about to need it.
    let releasable = this.recent.size - 1;
    for (const file of this.recent) {
      if (bytes <= this.maxBytes || releasable <= 0) return;
      releasable -= 1;
      this.recent.delete(file);
      // A file replaced or quarantined since it was touched is no longer this set's to release.
      if (!file.releasable) continue;
      bytes -= file.index.approximateBytes;
      file.index = file.index.release();
    }
  }

  clear(): void {
    this.recent.clear();
  }

  /** The reloaded index; undefined when the file's index was replaced meanwhile (see load()). */
  private async reload(file: PartitionFile): Promise<PartitionIndex | undefined> {
    const released = file.index;
    const end = file.end;
    const bytes = new Uint8Array(end);
    const bytesRead = await this.pool.use(file.path, async (handle) => {
      // Another inode than the released index's: the file was replaced by its compacted copy.
      if (file.inode !== undefined && (await handle.stat()).ino !== file.inode) return -1;
      return (await handle.read(bytes, 0, end, 0)).bytesRead;
    });
    if (bytesRead < 0) {
      await this.reloadReplaced(file);
      return file.index.resident ? file.index : undefined;
    }
    const { index, problems } = await file.rebuildIndex(bytes.subarray(0, bytesRead), yieldToEventLoop);
    if (bytesRead < end) {
      problems.push({
        code: 'FTCD_IO_ERROR',
        path: file.path,
        offset: bytesRead,
        message: `File ends at ${bytesRead}, before the ${end} bytes stored`,
      });
    }
    for (const problem of problems) this.report(problem);
    // A whole-file load (open, a read-only refresh of a new file) may have replaced it meanwhile: that one is newer.
    if (file.index !== released) return file.index.resident ? file.index : undefined;
    if (problems.length > 0) file.quarantine ??= problems[0];
    file.index = index;
    this.touch(file);
    return index;
  }
}
