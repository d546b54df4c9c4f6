import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageLockedError } from '../errors/StorageErrors';
import { fsyncDirectory } from './durableFs';

export const LOCK_FILE_NAME = '.ftcd-writer.lock';

/**
 * One writer per store directory: `{baseDir}/.ftcd-writer.lock` holds the
 * writer's pid. A lock whose process is gone (crash, kill -9) is stale and
 * taken over; readers (readOnly) never lock.
 */
export class StoreLock {
  private released = false;

  private constructor(private readonly path: string) {}

  static async acquire(baseDir: string): Promise<StoreLock> {
    const path = join(baseDir, LOCK_FILE_NAME);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(`${process.pid}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fsyncDirectory(baseDir);
        return new StoreLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
        if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
          throw new StorageLockedError(`Store ${baseDir} is locked by the writer process ${owner}`);
        }
        await rm(path, { force: true });
      }
    }
    throw new StorageLockedError(`Could not take the writer lock of ${baseDir}`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await rm(this.path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
