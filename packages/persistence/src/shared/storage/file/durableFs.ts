import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** fsync a directory so the entries created or renamed in it survive a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `segments` below `root` (which must exist), fsyncing each parent
 * whose entries changed, so a directory never vanishes after a crash while a
 * file inside it was acknowledged.
 */
export async function ensureDirectoryDurable(
  root: string,
  segments: readonly string[],
  known: Set<string>,
): Promise<string> {
  let current = root;
  for (const segment of segments) {
    const next = join(current, segment);
    if (!known.has(next)) {
      try {
        await mkdir(next);
        await fsyncDirectory(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      known.add(next);
    }
    current = next;
  }
  return current;
}

/**
 * Writes `chunks` as the whole file at `path` (replacing any), fsyncs it and
 * returns its inode; on failure the file is removed. The caller renames it
 * into place.
 */
export async function writeFileDurable(path: string, chunks: readonly Uint8Array[]): Promise<number> {
  const handle = await open(path, 'w');
  try {
    await writeFully(handle, chunks, 0);
    await handle.sync();
    const { ino } = await handle.stat();
    await handle.close();
    return ino;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a whole new file atomically and durably: `{path}.tmp`, fsync, rename,
 * fsync the directory. Readers never see a partial file header.
 */
export async function createFileDurable(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFileDurable(temporary, chunks);
  await rename(temporary, path);
  await fsyncDirectory(dirname(path));
}

/**
 * Positional write of every chunk: one `pwritev` system call (no copy into one
 * buffer), then plain writes for whatever a short write left over.
 */
export async function writeFully(
  handle: import('node:fs/promises').FileHandle,
  chunks: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total === 0) return;
  let written = (await handle.writev(chunks as Uint8Array[], position)).bytesWritten;
  if (written === total) return;
  let at = position;
  for (const chunk of chunks) {
    // Skip what the vectored write already covered.
    let done = Math.min(written, chunk.length);
    written -= done;
    at += done;
    while (done < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, at);
      if (bytesWritten <= 0) throw new Error('write() made no progress');
      done += bytesWritten;
      at += bytesWritten;
    }
  }
}
