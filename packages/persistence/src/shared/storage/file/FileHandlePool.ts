import { type FileHandle, open } from 'node:fs/promises';

interface PoolEntry {
  handle: Promise<FileHandle>;
  users: number;
  evicted: boolean;
}

/**
 * Keeps at most `maxOpen` idle file handles open (least recently used closed
 * first) so a store with thousands of partition files does not run out of
 * descriptors, while hot files are not reopened on every read.
 */
export class FileHandlePool {
  private readonly entries = new Map<string, PoolEntry>();

  constructor(
    private readonly flags: 'r' | 'r+',
    private readonly maxOpen: number,
  ) {}

  async use<T>(path: string, work: (handle: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (entry) this.entries.delete(path);
    else {
      entry = { handle: open(path, this.flags), users: 0, evicted: false };
    }
    this.entries.set(path, entry);
    entry.users += 1;
    const current = entry;
    try {
      const handle = await current.handle;
      return await work(handle);
    } catch (error) {
      // A failed open must not stay cached.
      if (this.entries.get(path) === current && (await isRejected(current.handle))) this.entries.delete(path);
      throw error;
    } finally {
      current.users -= 1;
      if (current.evicted && current.users === 0) await closeQuietly(current.handle);
      this.trim();
    }
  }

  /** Closes the handle of `path` (once idle); the next use reopens the file. */
  async evict(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    entry.evicted = true;
    if (entry.users === 0) await closeQuietly(entry.handle);
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map((entry) => closeQuietly(entry.handle)));
  }

  private trim(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const [path, entry] of this.entries) {
      if (this.entries.size <= this.maxOpen) break;
      if (entry.users > 0) continue;
      this.entries.delete(path);
      void closeQuietly(entry.handle);
    }
  }
}

async function isRejected(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return false;
  } catch {
    return true;
  }
}

async function closeQuietly(handle: Promise<FileHandle>): Promise<void> {
  try {
    await (await handle).close();
  } catch {
    // Already closed, or the open itself failed: nothing to release.
  }
}
