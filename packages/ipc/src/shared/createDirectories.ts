import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `path` and its missing parents one mkdir at a time, and returns the
 * directories it created, outermost first (none when `path` is there).
 *
 * Not `mkdirSync(path, { recursive: true })`: Node's takes an ENOENT as "the
 * parent is missing", creates the parent (EEXIST: it is there) and tries the
 * child again, forever, on a file system that answers ENOENT for a child it
 * will never create: procfs does (`/proc/x`), and `new SQLiteQueue({ dbPath:
 * '/proc/x/q.db' })` spun at 100% CPU inside one synchronous call. Here each
 * level is tried once and the first refusal is thrown, with the mkdir error's
 * `code`; what was created before it is removed again.
 *
 * The same as createDirectoriesSync of @flowtrace/persistence, which this
 * package cannot import (persistence depends on it). `what` names the path in
 * the error, e.g. "the queue directory".
 */
export function createDirectoriesSync(path: string, what: string): string[] {
  const created: string[] = [];
  for (const dir of missingLevels(resolve(path))) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Another process (a producer opening the same queue) created it first: not a refusal.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && kindOf(dir) === 'directory') continue;
      for (const made of created.reverse()) {
        try {
          rmdirSync(made);
        } catch {
          break; // not empty (someone wrote in it meanwhile): neither are its parents
        }
      }
      throw refusal(path, what, dir, error);
    }
    created.push(dir);
  }
  return created;
}

/**
 * The directories to create, outermost first: the walk up from `target` ends
 * at a directory, or at a file, which is created only when it is `target`
 * (its mkdir says EEXIST; below a file on the path, the mkdir says ENOTDIR):
 * the errors the recursive mkdir gave.
 */
function missingLevels(target: string): string[] {
  const missing: string[] = [];
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = kindOf(dir);
    if (kind === 'missing' || (kind === 'other' && dir === target)) missing.unshift(dir);
    if (kind !== 'missing' || dirname(dir) === dir) return missing; // a missing root (a Windows drive): mkdir says so
  }
}

/** What is at a path; `missing` also when it cannot be looked at (EACCES): its mkdir then says why. */
function kindOf(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * The mkdir error with `what` and `path` in front and, for an ENOENT in a
 * parent that exists (the file system's refusal, not a missing parent), that
 * said; it keeps the error's `code`, `errno`, `syscall` and `path`.
 */
function refusal(path: string, what: string, dir: string, error: unknown): NodeJS.ErrnoException {
  const cause = error as NodeJS.ErrnoException;
  const why =
    cause.code === 'ENOENT' && kindOf(dirname(dir)) === 'directory'
      ? ` (the file system of ${dirname(dir)} does not let a directory be created there)`
      : '';
  const refused: NodeJS.ErrnoException = new Error(`Cannot create ${what} ${path}: ${cause.message}${why}`, {
    cause,
  });
  if (cause.code !== undefined) refused.code = cause.code;
  if (cause.errno !== undefined) refused.errno = cause.errno;
  if (cause.syscall !== undefined) refused.syscall = cause.syscall;
  if (cause.path !== undefined) refused.path = cause.path;
  return refused;
}
