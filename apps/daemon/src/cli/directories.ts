import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CliError } from './CliError';

/**
 * Creates `path` and its missing parents one mkdir at a time and returns the
 * directories it created, outermost first (none when `path` is there).
 *
 * Not `mkdir(path, { recursive: true })`: Node's takes an ENOENT as "the
 * parent is missing", creates the parent (EEXIST: it is there) and tries the
 * child again, forever, on a file system that answers ENOENT for a child it
 * will never create — procfs does (`/proc/x`), and `flowtrace backup <store>
 * /proc/x` spun at 100% CPU. Here each level is tried once and the first
 * refusal is the error (exit 1); what was created before it is removed again.
 * `what` names the path in the error, e.g. "the backup destination".
 */
export function createDirectories(path: string, what: string): string[] {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break; // a root that does not exist (a Windows drive): mkdir reports it
  }
  const created: string[] = [];
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      removeEmptyDirectories(created);
      throw new CliError(`cannot create ${what} ${path}: ${explainMkdirError(dir, error)}`, 1);
    }
    created.push(dir);
  }
  return created;
}

/** ENOENT from mkdir in a directory that exists is the file system's refusal, not a missing parent. */
function explainMkdirError(dir: string, error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const parent = dirname(dir);
  if (code === 'ENOENT' && existsSync(parent) && statSync(parent).isDirectory()) {
    return `${message} (the file system of ${parent} does not let a directory be created there)`;
  }
  return message;
}

/**
 * Removes the directories `createDirectories` returned, innermost first, while
 * they are empty: rmdir never removes a file, so what a command wrote in them
 * (or anyone else did) stays, with the directories that hold it.
 */
export function removeEmptyDirectories(created: readonly string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, so neither are its parents (or gone: not ours to judge any more)
    }
  }
}

/** Whether `path` is `dir` or inside it (by name: symbolic links are not followed). */
export function isInside(path: string, dir: string): boolean {
  const from = relative(resolve(dir), resolve(path));
  return from === '' || (from !== '..' && !from.startsWith(`..${sep}`) && !isAbsolute(from));
}

/**
 * A directory a command writes a store into, and what the directory held
 * before, so that a run that failed before it stored anything can take back
 * exactly what it added: the directories it created, and in a directory that
 * was already there only the entries that were not (a new SQLite database,
 * whose empty file would otherwise make the directory read as a SQLite store
 * and refuse another kind on the next try). Never an entry that was there.
 */
export class TargetDirectory {
  private constructor(
    readonly path: string,
    private readonly created: readonly string[],
    private readonly existing: ReadonlySet<string>,
  ) {}

  /**
   * Creates the directory when missing (see createDirectories) and notes what
   * it holds. A file in its place is left to the store to refuse, in its words.
   */
  static prepare(path: string, what: string): TargetDirectory {
    const created = createDirectories(path, what);
    const existing = created.length === 0 && statSync(path).isDirectory() ? readdirSync(path) : [];
    return new TargetDirectory(resolve(path), created, new Set(existing));
  }

  /** Removes the directories `prepare` created while they are empty: safe whoever wrote into them. */
  removeCreatedIfEmpty(): void {
    removeEmptyDirectories(this.created);
  }

  /** The outermost directory `prepare` created that `undo` removed, if any. */
  get removedDirectory(): string | undefined {
    return this.created.find((dir) => !existsSync(dir));
  }

  /**
   * Removes what was added since `prepare`, except `keep` (files the user
   * named, such as a report or a checkpoint, and the entries holding them)
   * and the sidecars of entries that were there (the `<db>-wal` of a database
   * that was there is part of it); then the directories `prepare` created, if
   * empty. Only for a store the command opened itself and that holds no
   * candle: another writer's new files would look the same. Returns whether
   * anything was removed.
   */
  undo(keep: readonly string[]): boolean {
    let removed = false;
    for (const name of readdirSync(this.path)) {
      const entry = join(this.path, name);
      if (this.existing.has(name) || [...this.existing].some((old) => name.startsWith(`${old}-`))) continue;
      if (keep.some((file) => isInside(file, entry))) continue;
      rmSync(entry, { recursive: true, force: true });
      removed = true;
    }
    this.removeCreatedIfEmpty();
    return removed || this.removedDirectory !== undefined;
  }
}
