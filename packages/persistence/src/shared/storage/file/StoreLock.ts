import { randomUUID } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StorageLockedError } from '../errors/StorageErrors';
import { fsyncDirectory } from './durableFs';
import { currentProcessIdentity, describeLockHolder, type LockHolder, parseLockHolder } from './lockHolder';

export const LOCK_FILE_NAME = '.ftcd-writer.lock';

/** Lock files this process holds (resolved path → token): a lock with our pid is ours only if listed. */
const heldHere = new Map<string, string>();

/**
 * One writer per store directory: `{baseDir}/.ftcd-writer.lock` holds the
 * writer's pid on its first line and, on its second, what tells that process
 * apart from a later one with the same pid (boot id, start time, a token).
 * A lock whose holder is gone (crash, kill -9, reboot) is stale and taken
 * over; readers (readOnly) never lock. See lockHolder.ts for when a holder
 * counts as gone: a container's daemon is pid 1 at every start, and a pid is
 * reused after a reboot, so "a process with that pid is alive" is not enough.
 */
export class StoreLock {
  private released = false;

  private constructor(private readonly path: string) {}

  static async acquire(baseDir: string): Promise<StoreLock> {
    const path = resolve(join(baseDir, LOCK_FILE_NAME));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const token = randomUUID();
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(formatLockFile(token));
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fsyncDirectory(baseDir);
        heldHere.set(path, token);
        return new StoreLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = parseLockHolder(await readFile(path, 'utf8').catch(() => ''));
        if (holder !== undefined && holdsLock(holder, path)) {
          throw new StorageLockedError(`Store ${baseDir} is locked by ${describeLockHolder(holder)}`);
        }
        await rm(path, { force: true });
      }
    }
    throw new StorageLockedError(`Could not take the writer lock of ${baseDir}`);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    await rm(this.path, { force: true });
  }
}

function formatLockFile(token: string): string {
  const self = currentProcessIdentity();
  const identity = [
    self.bootId === undefined ? undefined : `boot=${self.bootId}`,
    self.startTime === undefined ? undefined : `start=${self.startTime}`,
    `token=${token}`,
  ].filter((part) => part !== undefined);
  return `${process.pid}\n${identity.join(' ')}\n`;
}

/** Whether the process that wrote the lock at `path` still holds it. */
function holdsLock(holder: LockHolder, path: string): boolean {
  const self = currentProcessIdentity();
  if (holder.bootId !== undefined && self.bootId !== undefined && holder.bootId !== self.bootId) {
    return false; // written before the last reboot
  }
  if (holder.pid === process.pid) {
    // Our own pid: held only by a lock this process took and has not released. Otherwise an
    // earlier process with the same pid wrote it (a container's pid 1 restarted).
    return holder.token === undefined ? heldHere.has(path) : heldHere.get(path) === holder.token;
  }
  const alive = processIdentity(holder.pid);
  if (alive === 'gone') return false;
  // Alive: the same process only if its start time matches (a pid reused since is someone else).
  return !(
    holder.startTime !== undefined &&
    alive.startTime !== undefined &&
    holder.bootId === self.bootId &&
    holder.startTime !== alive.startTime
  );
}

function processIdentity(pid: number): 'gone' | { startTime: string | undefined } {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, owned by someone else. Only ESRCH proves it is gone.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  return { startTime: currentProcessIdentity(pid).startTime };
}
