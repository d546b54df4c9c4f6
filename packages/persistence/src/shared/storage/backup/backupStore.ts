import { type Dirent, statSync } from 'node:fs';
import { copyFile, type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { StoreNotFoundError } from '../errors/StorageErrors';
import { createDirectories } from '../file/createDirectories';
import { fsyncDirectory, writeFileDurable, writeFully } from '../file/durableFs';
import { readFileImage } from '../file/readFileImage';
import { FTCD_EXTENSION } from '../file/StorageOrganizer';
import { LOCK_DATABASE_FILE_NAME, LOCK_FILE_NAME } from '../file/StoreLock';
import { decodeFileHeader } from '../ftcd/ftcdLayout';
import { scanBlocks } from '../ftcd/scanBlocks';
import { SQLITE_DATABASE_FILE } from '../sqlite/sqliteSchema';
import { InvalidBackupTargetError } from './BackupErrors';

/** How one file of the store reached the backup. */
export interface BackedUpFile {
  /** Path relative to the store directory. */
  path: string;
  kind: 'ftcd' | 'sqlite' | 'other';
  /**
   * `copied`: written whole; `appended`: only the blocks the file gained
   * since the last backup (a `.ftcd` file is append-only); `unchanged`:
   * nothing new since the last backup.
   */
  mode: 'copied' | 'appended' | 'unchanged';
  /** Bytes written to the backup for this file. */
  bytes: number;
  /**
   * Set for a `.ftcd` file that is damaged (a bad header or a corrupt block):
   * it is copied byte for byte as it is, for `flowtrace repair` or forensics.
   */
  damaged?: string;
}

export interface BackupReport {
  source: string;
  destination: string;
  files: BackedUpFile[];
  bytesWritten: number;
}

export interface BackupOptions {
  /** Told of each file once it is durable in the backup (progress). */
  onFile?: (file: BackedUpFile) => void;
}

/** Files of a store directory that are never copied: the writer's lock, the health probe, unfinished files. */
// Never opened: closing any descriptor of the lock database in the writer's own process (a backup
// run from the daemon's process) would drop that process's fcntl lock on it.
const SKIPPED_NAMES = new Set([LOCK_FILE_NAME, LOCK_DATABASE_FILE_NAME, '.flowtrace-probe']);
const SKIPPED_SUFFIXES = ['.tmp', `${SQLITE_DATABASE_FILE}-wal`, `${SQLITE_DATABASE_FILE}-shm`, '-journal'];
/** An incremental `.ftcd` copy checks that the backup's last bytes are still the source's (append-only). */
const PREFIX_CHECK_BYTES = 64 * 1024;
/** Files copied up to their last whole line. */
const JSON_LINES_EXTENSION = '.jsonl';

/**
 * Copies a store directory (`.ftcd` files or SQLite databases, and the other
 * files in it, e.g. the rejected-candles log) into `destination`, while a
 * writer may be saving into it. Every file is durable in the backup (written
 * as `.tmp`, fsync'd, renamed, directory fsync'd) before the next one.
 *
 * - `.ftcd` files are copied up to their last whole block: a block being
 *   appended at that moment (a torn tail) is left out, so the copy opens
 *   clean. They are append-only, so a file the backup already holds gets
 *   only its new blocks appended; one that was rewritten since (compaction,
 *   repair) is copied whole. Every candle acknowledged before the backup
 *   started is in it.
 * - SQLite databases are copied with `VACUUM INTO` (a consistent snapshot in
 *   one read transaction, the WAL included).
 * - JSON-lines files (the rejected-candles log) are copied up to their last
 *   whole line: a line being appended at that moment is left out.
 * - Files removed from the store stay in the backup.
 *
 * Restoring is copying the backup directory back as the store, with no
 * writer running.
 */
export async function backupStore(
  source: string,
  destination: string,
  options: BackupOptions = {},
): Promise<BackupReport> {
  const sourceDir = resolve(source);
  const destinationDir = resolve(destination);
  const sourceStats = statSync(sourceDir, { throwIfNoEntry: false });
  if (!sourceStats?.isDirectory())
    throw new StoreNotFoundError(`Store directory ${sourceDir} does not exist`);
  if (destinationDir === sourceDir || destinationDir.startsWith(`${sourceDir}${sep}`))
    throw new InvalidBackupTargetError(
      `The backup ${destinationDir} must not be inside the store ${sourceDir}`,
    );
  if (sourceDir.startsWith(`${destinationDir}${sep}`))
    throw new InvalidBackupTargetError(
      `The backup ${destinationDir} must not contain the store ${sourceDir}`,
    );
  await createDirectories(destinationDir, 'the backup destination', { durable: true });
  const report: BackupReport = { source: sourceDir, destination: destinationDir, files: [], bytesWritten: 0 };
  const copyDirectory = async (from: string, to: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(from, { withFileTypes: true });
    } catch (error) {
      // A directory removed while the backup runs holds nothing to copy.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(from, entry.name);
      const target = join(to, entry.name);
      if (entry.isDirectory()) {
        await ensureDirectory(target);
        await copyDirectory(path, target);
        continue;
      }
      if (!entry.isFile() || skipped(entry.name)) continue;
      const file = await backupFile(path, target, relative(sourceDir, path));
      if (!file) continue;
      report.files.push(file);
      report.bytesWritten += file.bytes;
      options.onFile?.(file);
    }
  };
  await copyDirectory(sourceDir, destinationDir);
  return report;
}

function skipped(name: string): boolean {
  return SKIPPED_NAMES.has(name) || SKIPPED_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

async function ensureDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
    await fsyncDirectory(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Copies one file; undefined when it vanished meanwhile (a `.tmp` renamed, a file set aside). */
async function backupFile(path: string, target: string, name: string): Promise<BackedUpFile | undefined> {
  try {
    if (name.endsWith(FTCD_EXTENSION)) return await backupFtcdFile(path, target, name);
    if (name.endsWith(SQLITE_DATABASE_FILE)) return await backupSqliteDatabase(path, target, name);
    return await backupPlainFile(path, target, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function backupFtcdFile(path: string, target: string, name: string): Promise<BackedUpFile> {
  const { bytes } = await readFileImage(path);
  let end = bytes.length;
  let damaged: string | undefined;
  try {
    const header = decodeFileHeader(bytes);
    const scan = scanBlocks(bytes, header.length, 0);
    if (scan.corruptions.length > 0) damaged = scan.corruptions[0]!.message;
    // A torn tail is an append in flight (or a crashed one, which the writer cuts): never acknowledged.
    else end = scan.validEnd;
  } catch (error) {
    damaged = (error as Error).message;
  }
  const content = bytes.subarray(0, end);
  const existing = await readExisting(target);
  if (!damaged && existing && existing.length <= end && isPrefixOf(existing, content)) {
    if (existing.length === end) return { path: name, kind: 'ftcd', mode: 'unchanged', bytes: 0 };
    const handle = await open(target, 'r+');
    try {
      await writeFully(handle, [content.subarray(existing.length)], existing.length);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { path: name, kind: 'ftcd', mode: 'appended', bytes: end - existing.length };
  }
  await replaceDurably(target, content);
  return { path: name, kind: 'ftcd', mode: 'copied', bytes: end, ...(damaged ? { damaged } : {}) };
}

/** The backup's current copy of a file (its last PREFIX_CHECK_BYTES and length), if any. */
async function readExisting(target: string): Promise<{ length: number; tail: Uint8Array } | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(target, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const tail = new Uint8Array(Math.min(size, PREFIX_CHECK_BYTES));
    await handle.read(tail, 0, tail.length, size - tail.length);
    return { length: size, tail };
  } finally {
    await handle.close();
  }
}

/**
 * Whether the backup's copy still is a prefix of the file: its last bytes
 * (the last blocks, with their CRCs and sequence numbers) are the file's at
 * the same offsets. A file rewritten since (compaction, repair) has other
 * blocks there.
 */
function isPrefixOf(existing: { length: number; tail: Uint8Array }, content: Uint8Array): boolean {
  const start = existing.length - existing.tail.length;
  for (let index = 0; index < existing.tail.length; index += 1)
    if (existing.tail[index] !== content[start + index]) return false;
  return existing.length > 0;
}

async function replaceDurably(target: string, content: Uint8Array): Promise<void> {
  const temporary = `${target}.tmp`;
  await writeFileDurable(temporary, [content]);
  await rename(temporary, target);
  await fsyncDirectory(dirname(target));
}

async function backupSqliteDatabase(path: string, target: string, name: string): Promise<BackedUpFile> {
  const temporary = `${target}.tmp`;
  await rm(temporary, { force: true });
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // One read transaction: a consistent snapshot (WAL included) while a writer commits. SQLite's
    // page-by-page online backup starts over whenever another connection writes, so under a busy
    // writer it might never finish.
    db.prepare('VACUUM INTO ?').run(temporary);
  } finally {
    db.close();
  }
  const handle = await open(temporary, 'r');
  let size: number;
  try {
    await handle.sync();
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  await fsyncDirectory(dirname(target));
  return { path: name, kind: 'sqlite', mode: 'copied', bytes: size };
}

async function backupPlainFile(path: string, target: string, name: string): Promise<BackedUpFile> {
  const [from, to] = await Promise.all([stat(path), stat(target).catch(() => undefined)]);
  if (to && to.size === from.size && to.mtimeMs >= from.mtimeMs)
    return { path: name, kind: 'other', mode: 'unchanged', bytes: 0 };
  const temporary = `${target}.tmp`;
  await copyFile(path, temporary);
  const handle = await open(temporary, 'r+');
  let bytes: number;
  try {
    bytes = (await handle.stat()).size;
    // A JSON-lines file (the rejected-candles log) may be mid-append: keep its whole lines only.
    if (name.endsWith(JSON_LINES_EXTENSION)) {
      const end = await endOfLastLine(handle, bytes);
      if (end < bytes) await handle.truncate(end);
      bytes = end;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  await fsyncDirectory(dirname(target));
  return { path: name, kind: 'other', mode: 'copied', bytes };
}

/** Offset just past the file's last `\n` (0 when it has none), read backwards a chunk at a time. */
async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.allocUnsafe(Math.min(size, PREFIX_CHECK_BYTES));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline >= 0) return start + newline + 1;
    end = start;
  }
  return 0;
}
