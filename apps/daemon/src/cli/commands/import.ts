import { existsSync, readdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { FootprintCandleDTO } from '@flowtrace/core';
import type { CandleStoragePort } from '@flowtrace/persistence/features/candlePersistence';
import { CliError } from '../CliError';
import {
  candleFileFormat,
  type InvalidLines,
  invalidLinesReport,
  openCandleFile,
  readCandleFile,
} from '../candleFileReader';
import { TargetDirectory } from '../directories';
import { detectStoreKind, openStore, type StoreKind, storedCandles } from '../openStore';
import type { Output, Warn } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { Progress } from '../progress';

export const importHelp = `Usage: flowtrace import <store> <file> [--format jsonl|csv] [--batch-size <n>] [--database]

Reads candles exported by "flowtrace export" (JSON lines or CSV; chosen by the
file's extension unless --format says) and saves them durably into <store>
(created as a .ftcd store when missing; --database for FlatBuffers in SQLite).
Every candle is validated first: invalid lines are reported with their line
number and reasons and are not stored; the valid ones are. Exit code 1 when any
line was invalid. Saving a candle that is already stored unchanged is a no-op.
A store this import created and stored nothing in (every line invalid, an
empty file) is removed again.`;

export async function importCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'batch-size': { type: 'string', default: '1000' },
      database: { type: 'boolean', default: false },
    },
  });
  const [baseDir, file] = positionals;
  rejectExtraPositionals(positionals, 2);
  if (!baseDir || !file) throw new CliError('usage: flowtrace import <store> <file>');
  const format = candleFileFormat(file, values.format);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CliError('--batch-size must be a positive integer');

  const kind = importKind(baseDir, values.database);
  // The file first: a path that does not exist must not leave an empty store behind.
  const input = await openCandleFile(file);
  const { store, directory } = await openTarget(baseDir, kind, input, file);
  const progress = new Progress(process.stderr.isTTY === true);
  let imported = 0;
  let written = 0;
  let invalid: InvalidLines;
  let batch: FootprintCandleDTO[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await store.saveMany(batch);
    imported += batch.length;
    written += result.written;
    batch = [];
    progress.update(`imported ${imported.toLocaleString('en-US')} candles`);
  };
  try {
    invalid = await readCandleFile(input, format, (candle) => {
      batch.push(candle);
      return batch.length >= batchSize ? flush() : undefined;
    });
    await flush();
  } finally {
    // Counted while the store is open; what this run created is taken back once it is closed.
    const empty = imported === 0 && (await storedCandles(store)) === 0;
    await store.close();
    if (empty) removeEmptyTarget(directory, warn);
  }
  progress.done();
  out.write(
    `imported ${imported} candles (${written} written, ${imported - written} already stored) from ${file}\n`,
  );
  if (invalid.count === 0) return 0;
  out.write(invalidLinesReport(invalid, 'imported'));
  return 1;
}

/**
 * The kind of store to import into: an existing store keeps its kind, a new
 * one is .ftcd, or SQLite with --database. --database on a directory holding a
 * .ftcd store (or its writer's lock, the daemon running on it) is refused: a
 * SQLite database beside it would hide it from every command, which prefers
 * SQLite when it detects a store (like migrate, exit 2).
 */
function importKind(baseDir: string, database: boolean): StoreKind {
  if (!existsSync(baseDir)) return database ? 'sqlite' : 'ftcd';
  const kind = detectStoreKind(baseDir);
  if (kind !== 'ftcd' || !database) return kind;
  if (readdirSync(baseDir).length > 0) {
    throw new CliError(
      `--database: ${baseDir} already holds a .ftcd store; a SQLite store beside it would hide it. ` +
        'Import without --database, or into an empty directory',
    );
  }
  return 'sqlite';
}

/**
 * The store to import into, created when missing (one directory level at a
 * time: see createDirectories), and what its directory held before (see
 * TargetDirectory). When it does not open, the input is closed and the
 * directories made for it are removed while empty (a store that did not open
 * may be another writer's: nothing else is touched).
 */
async function openTarget(
  baseDir: string,
  kind: StoreKind,
  input: FileHandle,
  file: string,
): Promise<{ store: CandleStoragePort; directory: TargetDirectory }> {
  let directory: TargetDirectory | undefined;
  try {
    directory = TargetDirectory.prepare(baseDir, 'the store');
    return { store: (await openStore(baseDir, { readOnly: false, create: true, kind })).store, directory };
  } catch (error) {
    await input.close();
    directory?.removeCreatedIfEmpty();
    throw withPublishHint(error, file);
  }
}

/**
 * The writer's lock refused the store (FLOWTRACE_STORAGE_LOCKED: most likely
 * the daemon runs on it): its message gets the way to hand the candles to a
 * running daemon instead. The error (its class, code and stack) is kept.
 */
function withPublishHint(error: unknown, file: string): unknown {
  if (error instanceof Error && (error as { code?: unknown }).code === 'FLOWTRACE_STORAGE_LOCKED') {
    error.message =
      `${error.message}; if it is the daemon, "flowtrace publish ${file}" hands the candles to it ` +
      "without stopping it (with the daemon's --config or --data-dir)";
  }
  return error;
}

/**
 * An import that stored nothing into a store holding no candle (every line
 * invalid, an empty file, a failure before the first save) takes back what it
 * created (TargetDirectory.undo): an empty store left behind would be taken
 * for a real one, and a new empty SQLite database would make the directory
 * read as a SQLite store (a .ftcd import into it then refused). What was
 * there before stays.
 */
function removeEmptyTarget(directory: TargetDirectory, warn: Warn): void {
  try {
    if (!directory.undo([])) return;
    const removed = directory.removedDirectory;
    warn(
      removed === undefined
        ? `nothing was imported: removed what this run created in ${directory.path}`
        : `nothing was imported: removed ${removed}, which this run created`,
    );
  } catch (error) {
    warn(
      `nothing was imported, but what this run created in ${directory.path} could not be removed: ${(error as Error).message}`,
    );
  }
}
