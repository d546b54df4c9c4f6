import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fsyncDirectory as fsyncDirectorySync } from '../sqlite/fsyncDirectory';
import { fsyncDirectory } from './durableFs';

export interface CreateDirectoriesOptions {
  /** fsync the parent of each directory created, so it survives a crash with what is later written in it. */
  durable?: boolean;
  /** Mode of each directory created (before the umask), e.g. 0o750; mkdir's default (0o777) when absent. */
  mode?: number;
}

/**
 * What `createDirectories` throws when a level cannot be created: the mkdir
 * error's `code`, `errno`, `syscall` and `path`, with `what` and the path in
 * the message.
 */
export interface DirectoryRefusal extends NodeJS.ErrnoException {
  /**
   * The message without "Cannot create <what> <path>: ", for a caller that
   * words the error its own way (the CLI's lower-case "cannot create ...").
   */
  reason: string;
}

/**
 * Creates `path` and its missing parents one mkdir at a time, and returns the
 * directories it created, outermost first (none when `path` is there).
 *
 * Not `mkdir(path, { recursive: true })`: Node's takes an ENOENT as "the
 * parent is missing", creates the parent (EEXIST: it is there) and tries the
 * child again, forever, on a file system that answers ENOENT for a child it
 * will never create: procfs does (`/proc/x`), and opening a store there spun
 * at 100% CPU. Here each level is tried once and the first refusal is thrown
 * (see `directoryRefusal`); what was created before it is removed again.
 * `what` names the path in the error, e.g. "the backup destination".
 */
export async function createDirectories(
  path: string,
  what: string,
  options: CreateDirectoriesOptions = {},
): Promise<string[]> {
  const created: string[] = [];
  for (const dir of await missingLevels(resolve(path))) {
    try {
      await mkdir(dir, { mode: options.mode });
    } catch (error) {
      if (isRaceLost(error, await kindOf(dir))) continue;
      for (const made of created.reverse()) {
        const removed = await rmdir(made).then(
          () => true,
          () => false,
        );
        if (!removed) break; // not empty (someone wrote in it meanwhile): neither are its parents
      }
      throw directoryRefusal(path, what, dir, error, await kindOf(dirname(dir)));
    }
    created.push(dir);
    if (options.durable) await fsyncDirectory(dirname(dir));
  }
  return created;
}

/** `createDirectories` for synchronous callers (opening a SQLite database). */
export function createDirectoriesSync(
  path: string,
  what: string,
  options: CreateDirectoriesOptions = {},
): string[] {
  const created: string[] = [];
  for (const dir of missingLevelsSync(resolve(path))) {
    try {
      mkdirSync(dir, { mode: options.mode });
    } catch (error) {
      if (isRaceLost(error, kindOfSync(dir))) continue;
      for (const made of created.reverse()) {
        try {
          rmdirSync(made);
        } catch {
          break; // not empty (someone wrote in it meanwhile): neither are its parents
        }
      }
      throw directoryRefusal(path, what, dir, error, kindOfSync(dirname(dir)));
    }
    created.push(dir);
    if (options.durable) fsyncDirectorySync(dirname(dir));
  }
  return created;
}

/**
 * The directories to create, outermost first: the walk up from `target` ends
 * at a directory, or at a file, which is created only when it is `target`
 * (its mkdir says EEXIST; below a file on the path, the mkdir says ENOTDIR):
 * the errors the recursive mkdir gave.
 */
async function missingLevels(target: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = await kindOf(dir);
    if (kind === 'missing' || (kind === 'other' && dir === target)) missing.unshift(dir);
    if (kind !== 'missing' || dirname(dir) === dir) return missing; // a missing root (a Windows drive): mkdir says so
  }
}

function missingLevelsSync(target: string): string[] {
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = kindOfSync(dir);
    if (kind === 'missing' || (kind === 'other' && dir === target)) missing.unshift(dir);
    if (kind !== 'missing' || dirname(dir) === dir) return missing;
  }
}

/** What is at a path; `missing` also when it cannot be looked at (EACCES): its mkdir then says why. */
type Kind = 'directory' | 'other' | 'missing';

async function kindOf(path: string): Promise<Kind> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

function kindOfSync(path: string): Kind {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** Another process (a second store opening beside this one) created the directory first: not a refusal. */
function isRaceLost(error: unknown, kind: Kind): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST' && kind === 'directory';
}

/**
 * The mkdir error with `what` and `path` in front and, for an ENOENT in a
 * parent that exists (the file system's refusal, not a missing parent), that
 * said; it keeps the error's `code`, `errno`, `syscall` and `path`, so a
 * caller that tells EACCES, ENOTDIR or EEXIST apart still can.
 */
function directoryRefusal(
  path: string,
  what: string,
  dir: string,
  error: unknown,
  parent: Kind,
): DirectoryRefusal {
  const cause = error as NodeJS.ErrnoException;
  const why =
    cause.code === 'ENOENT' && parent === 'directory'
      ? ` (the file system of ${dirname(dir)} does not let a directory be created there)`
      : '';
  const reason = `${cause.message}${why}`;
  const refusal: DirectoryRefusal = Object.assign(
    new Error(`Cannot create ${what} ${path}: ${reason}`, { cause }),
    {
      reason,
    },
  );
  if (cause.code !== undefined) refusal.code = cause.code;
  if (cause.errno !== undefined) refusal.errno = cause.errno;
  if (cause.syscall !== undefined) refusal.syscall = cause.syscall;
  if (cause.path !== undefined) refusal.path = cause.path;
  return refusal;
}
