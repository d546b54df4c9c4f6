import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StorageLockedError } from '../errors/StorageErrors';
import { fsyncDirectory, writeFileDurable } from './durableFs';
import { currentProcessIdentity, describeLockHolder, type LockHolder, parseLockHolder } from './lockHolder';

/** Who holds the store: the writer's pid and identity, as text (read by people and by older versions). */
export const LOCK_FILE_NAME = '.ftcd-writer.lock';
/**
 * The mutual exclusion itself: an empty SQLite database on which the writer
 * holds SQLite's exclusive lock (fcntl) for its lifetime. Never removed: a
 * process that opened it just before a removal would lock the removed inode
 * while another locks a new file, and both would write.
 */
export const LOCK_DATABASE_FILE_NAME = '.ftcd-writer.lock.db';

/** Lock files this process holds (resolved path → token): a lock with our pid is ours only if listed. */
const heldHere = new Map<string, string>();
/** Lock files whose kernel lock this process has taken and whose holder file it is still writing. */
const takingHere = new Set<string>();

/**
 * One writer per store directory.
 *
 * The kernel decides who writes: the writer keeps an exclusive lock on
 * `{baseDir}/.ftcd-writer.lock.db` (through SQLite, whose fcntl locks also
 * exclude a second connection in the same process), and the kernel releases
 * it when the process dies, however it dies. No stale lock to judge, so no
 * race between processes that start together: one gets the lock, the others
 * are refused (after LOCK_WAIT_MS; a second open in the process that holds
 * it, at once, saying so).
 *
 * `{baseDir}/.ftcd-writer.lock` then says who holds it: the pid on its first
 * line and, on its second, what tells that process apart from a later one
 * with the same pid (boot id, start time, a token). It is replaced atomically
 * (written aside, renamed) by the lock's new holder. Writers of versions
 * before the kernel lock used only that file; a live one found there is still
 * respected (see lockHolder.ts for when a holder counts as gone: a
 * container's daemon is pid 1 at every start, and a pid is reused after a
 * reboot). Readers (readOnly) never lock.
 */
export class StoreLock {
  private released = false;

  private constructor(
    private readonly path: string,
    private readonly kernelLock: Database.Database,
  ) {}

  static async acquire(baseDir: string): Promise<StoreLock> {
    const path = resolve(join(baseDir, LOCK_FILE_NAME));
    // A writer of this process holds it (this process took it and has not released it): say so at
    // once. The kernel lock would make this open wait LOCK_WAIT_MS for nothing, then name our own
    // pid as "the writer process". A holder file with our pid that is not ours (an earlier process
    // with this pid) is not this case: it goes on to the kernel lock and is taken over.
    const recorded = parseLockHolder(await readFile(path, 'utf8').catch(() => ''));
    if (
      heldHere.has(path) ||
      takingHere.has(path) ||
      (recorded !== undefined && heldInThisProcess(recorded))
    ) {
      throw lockedInThisProcess(baseDir);
    }
    const kernelLock = lockDatabase(resolve(join(baseDir, LOCK_DATABASE_FILE_NAME)));
    if (kernelLock === undefined) {
      const holder = parseLockHolder(await readFile(path, 'utf8').catch(() => ''));
      // Taken here while this open waited, or under another path to the directory (a symlink).
      if (holder !== undefined && heldInThisProcess(holder)) throw lockedInThisProcess(baseDir);
      const who = holder === undefined ? 'another writer process' : describeLockHolder(holder);
      throw new StorageLockedError(`Store ${baseDir} is locked by ${who}`);
    }
    // Until heldHere lists it, a second open started meanwhile (e.g. two at once) must not wait on
    // the kernel lock: better-sqlite3 waits synchronously, stalling the whole process LOCK_WAIT_MS.
    takingHere.add(path);
    try {
      const holder = parseLockHolder(await readFile(path, 'utf8').catch(() => ''));
      if (holder !== undefined && holdsLock(holder, path)) {
        // A writer of a version that knew only the lock file.
        throw new StorageLockedError(`Store ${baseDir} is locked by ${describeLockHolder(holder)}`);
      }
      await removeHolderFilesLeftAside(baseDir);
      const token = randomUUID();
      const aside = `${path}.${token}.tmp`;
      await writeFileDurable(aside, [Buffer.from(formatLockFile(token))]);
      await rename(aside, path);
      await fsyncDirectory(baseDir);
      heldHere.set(path, token);
      return new StoreLock(path, kernelLock);
    } catch (error) {
      kernelLock.close();
      throw error;
    } finally {
      takingHere.delete(path);
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await rm(this.path, { force: true });
    } finally {
      try {
        // Last: until the holder file is gone, no other writer may take the lock and write its own.
        this.kernelLock.close();
      } finally {
        // Only now: an open in this process meanwhile (a close not awaited) is refused at once,
        // not stalled on the kernel lock.
        heldHere.delete(this.path);
      }
    }
  }
}

/**
 * Whether `holder` is a lock this process took and holds now, by whatever path: its token is
 * one of ours (a random id, so no other process, nor an earlier one with this pid, wrote it).
 */
function heldInThisProcess(holder: LockHolder): boolean {
  if (holder.pid !== process.pid || holder.token === undefined) return false;
  for (const token of heldHere.values()) if (token === holder.token) return true;
  return false;
}

function lockedInThisProcess(baseDir: string): StorageLockedError {
  return new StorageLockedError(
    `Store ${baseDir} is already open for writing in this process (pid ${process.pid}): ` +
      'close the other instance first, and await its close() (one writer per store directory)',
  );
}

/** Holder files a writer killed between writing and renaming one left (only the lock's holder writes them). */
async function removeHolderFilesLeftAside(baseDir: string): Promise<void> {
  const prefix = `${LOCK_FILE_NAME}.`;
  for (const name of await readdir(baseDir)) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await rm(join(baseDir, name), { force: true });
  }
}

/**
 * How long a writer waits for the lock database before it counts as held
 * (SQLite's busy timeout). Not 0: two writers starting together each hold a
 * brief lock of their own while they take it (the shared lock of a pragma,
 * the pending lock of BEGIN EXCLUSIVE), and with no wait at all each can
 * meet the other's and give up: no writer at all, in 20 % of the rounds of
 * two processes started at the same millisecond. Those locks last
 * microseconds; a holder's lasts its lifetime, so a second writer is refused
 * after this wait.
 */
export const LOCK_WAIT_MS = 1000;

/** The lock database's connection holding its exclusive lock, or undefined when another connection holds it. */
function lockDatabase(file: string): Database.Database | undefined {
  const database = new Database(file);
  try {
    database.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    // No journal file beside it: nothing is ever written to this database.
    database.pragma('journal_mode = MEMORY');
    database.exec('BEGIN EXCLUSIVE');
    return database;
  } catch (error) {
    database.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return undefined;
    throw error;
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
