import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TimeframeName } from '@flowtrace/core';
import {
  BinaryStorageAdapter,
  type CandleStoragePort,
} from '@flowtrace/persistence/features/candlePersistence';
import {
  openCandleStore,
  type PartitionGranularity,
  SQLITE_DATABASE_FILE,
  type StorageHealth,
} from '@flowtrace/persistence/shared/storage';
import { CliError } from './CliError';
import { refuseStoreBelow } from './storeHint';

export type StoreKind = 'ftcd' | 'sqlite' | 'sqlite-by-exchange';

/**
 * Which kind of store a directory holds: FlatBuffer SQLite (one database, or
 * one per exchange folder) when its database files are there, `.ftcd` block
 * files otherwise. `--database` / `--no-database` style overrides go through `kind`.
 */
export function detectStoreKind(baseDir: string): StoreKind {
  if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) {
    throw new CliError(`store ${baseDir} does not exist or is not a directory`, 1);
  }
  if (existsSync(join(baseDir, SQLITE_DATABASE_FILE))) return 'sqlite';
  const perExchange = readdirSync(baseDir, { withFileTypes: true }).some(
    (entry) => entry.isDirectory() && existsSync(join(baseDir, entry.name, SQLITE_DATABASE_FILE)),
  );
  return perExchange ? 'sqlite-by-exchange' : 'ftcd';
}

/**
 * Opens a `.ftcd` store as its writer (the lock: exit 1 while the daemon
 * holds it), without background compaction, for commands that rewrite its
 * files; `notFtcd` is the error for a SQLite store.
 */
export async function openFtcdWriter(baseDir: string, notFtcd: string): Promise<BinaryStorageAdapter> {
  if (detectStoreKind(baseDir) !== 'ftcd') throw new CliError(notFtcd, 1);
  // Its errors (the lock above all: FLOWTRACE_STORAGE_LOCKED) reach the user with their code, exit 1.
  return BinaryStorageAdapter.open({ baseDir, compactSealedPartitions: false });
}

export async function openStore(
  baseDir: string,
  options: {
    readOnly: boolean;
    kind?: StoreKind;
    create?: boolean;
    /** `.ftcd`: partition granularity of new series (existing ones keep theirs). */
    partitioning?: Partial<Record<TimeframeName, PartitionGranularity>>;
  },
): Promise<{ store: CandleStoragePort; kind: StoreKind }> {
  // A reader given the daemon's data directory rather than its store (series, query, export).
  // A kind given is the caller's own choice of what the directory holds (migrate's --from).
  if (options.readOnly && options.kind === undefined) refuseStoreBelow(baseDir);
  const kind = options.kind ?? (options.create && !existsSync(baseDir) ? 'ftcd' : detectStoreKind(baseDir));
  const store = await openCandleStore({
    baseDir,
    readOnly: options.readOnly,
    useDatabase: kind !== 'ftcd',
    organizeByExchange: kind === 'sqlite-by-exchange',
    ...(options.partitioning ? { partitioning: options.partitioning } : {}),
  });
  return { store, kind };
}

/** Candles a store holds (all series); undefined when it cannot tell. */
export async function storedCandles(store: CandleStoragePort): Promise<number | undefined> {
  try {
    return (await store.listSeries()).reduce((sum, series) => sum + series.count, 0);
  } catch {
    return undefined;
  }
}

function hasHealth(store: CandleStoragePort): store is CandleStoragePort & { health(): StorageHealth } {
  return typeof (store as { health?: unknown }).health === 'function';
}

/**
 * What the store found wrong in the files a command read (a `.ftcd` block that
 * fails its CRC, a quarantined file...), one line per problem: code, path,
 * message. Reads skip such blocks and files rather than fail, so a command that
 * read candles prints these as warnings on stderr: its output may lack the
 * candles they held. SQLite stores have no such report (verify checks them).
 */
export function storeProblemWarnings(store: CandleStoragePort): string[] {
  if (!hasHealth(store)) return [];
  return store
    .health()
    .problems.map((p) => `store problem ${p.code} in ${p.path}: ${p.message} (run flowtrace verify)`);
}
