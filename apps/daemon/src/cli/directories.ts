import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { createDirectoriesSync, type DirectoryRefusal } from '@flowtrace/persistence/shared/storage';
import { CliError } from './CliError';

/**
 * Creates `path` and its missing parents and returns the directories it
 * created, outermost first (none when something is at `path`: a file in its
 * place is left to the command to refuse, in its words).
 *
 * createDirectoriesSync of @flowtrace/persistence (one mkdir per level, not
 * the recursive mkdir that spun forever on procfs: `flowtrace backup <store>
 * /proc/x`), with its refusal worded as the CLI's error (exit 1). `what` names
 * the path in the error, e.g. "the backup destination".
 */
export function createDirectories(path: string, what: string): string[] {
  if (existsSync(path)) return [];
  try {
    return createDirectoriesSync(path, what);
  } catch (error) {
    const { reason } = error as Partial<DirectoryRefusal>;
    if (reason === undefined) throw error;
    throw new CliError(`cannot create ${what} ${path}: ${reason}`, 1);
  }
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
