import { closestName, editDistance, type TimeframeName } from '@flowtrace/core';
import type { CandleStoragePort } from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { BinaryStorageAdapter } from '../../../features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { InvalidStorageConfigError, StoreKindMismatchError } from '../errors/StorageErrors';
import type { PartitionGranularity } from '../file/StorageOrganizer';
import type { StorageProbe } from '../StorageProbe';
import { SQLiteFlatBufferStorage } from '../sqlite/SQLiteFlatBufferStorage';
import { STORE_LAYOUT_NAMES, STORE_LAYOUT_SETTINGS, type StoreLayout, storeLayoutsIn } from './storeLayouts';

/** The storage options of the persistence config (seed), plus `readOnly` and the `.ftcd` knobs. */
export interface OpenCandleStoreOptions {
  baseDir: string;
  /** true: FlatBuffer blocks in SQLite; false (default): `.ftcd` block files. */
  useDatabase?: boolean;
  /** Read beside a running writer (e.g. the daemon): no lock, no repairs, saves reject. */
  readOnly?: boolean;
  /** SQLite: one database per exchange. */
  organizeByExchange?: boolean;
  maxCandlesPerBlock?: number;
  /** SQLite: WAL journal. */
  walMode?: boolean;
  /** SQLite: page cache, KB. */
  cacheSize?: number;
  /** SQLite: memory-mapped I/O, bytes. */
  mmapSize?: number;
  /** `.ftcd`: partition granularity per timeframe. */
  partitioning?: Partial<Record<TimeframeName, PartitionGranularity>>;
  /** `.ftcd`: DEFLATE block payloads when it pays. */
  compression?: boolean;
  /** `.ftcd`: idle file handles kept open (default a quarter of the open-file limit, 128–8192); above the number of series written at once avoids reopening files. */
  maxOpenFiles?: number;
  /** `.ftcd`: bytes of decoded blocks kept for repeated reads (LRU); 0 disables. */
  blockCacheBytes?: number;
  /** `.ftcd`: memory budget of whole partition indexes (default 8 MiB, least recently used released). */
  indexMemoryBytes?: number;
  /** `.ftcd` writer: create each series' next partition file ahead, in the background (default true). */
  createPartitionsAhead?: boolean;
  /** `.ftcd`: compact sealed partitions left in many small blocks, in the background (default true). */
  compactSealedPartitions?: boolean;
  /** `.ftcd` writer: read the files opening skips while the store is quiet, so damage shows in health() (default true). */
  verifyInBackground?: boolean;
  /** Tests and tracing only: told of each write-path point (StorageProbe.ts). */
  probe?: StorageProbe;
}

export type CandleStore = CandleStoragePort & AsyncDisposable;

/**
 * Refuses a directory that holds another layout's store: a writer would start
 * a second store beside it (each reader then sees one of the two), a reader
 * would find nothing. A reader still opens a directory holding both layouts.
 */
function checkStoreLayout(baseDir: string, wanted: StoreLayout, readOnly: boolean): void {
  const present = storeLayoutsIn(baseDir);
  const others = present.filter((layout) => layout !== wanted);
  if (others.length === 0 || (readOnly && present.includes(wanted))) return;
  const holds = present.map((layout) => STORE_LAYOUT_NAMES[layout]).join(' and ');
  // The hint names only settings that open the directory: a reader opens any layout it holds, a
  // writer only a directory holding its layout alone.
  if (!readOnly && present.length > 1) {
    throw new StoreKindMismatchError(
      `${baseDir} holds ${holds}: no writer opens it, since each reader would see only one of these stores. ` +
        `Read it with readOnly: true and ${present.map((layout) => STORE_LAYOUT_SETTINGS[layout]).join(', or readOnly: true and ')}; ` +
        'to write, first move all but one of the stores to another directory',
    );
  }
  throw new StoreKindMismatchError(
    `${baseDir} holds ${holds}, not ${STORE_LAYOUT_NAMES[wanted]}: ${readOnly ? 'reading it so would find nothing' : 'writing would start a second store beside it'}. ` +
      `Open it with ${others.map((layout) => STORE_LAYOUT_SETTINGS[layout]).join(', or with ')}, or choose another directory`,
  );
}

/** Every option of `openCandleStore` (both backends). */
const OPEN_OPTIONS = [
  'baseDir',
  'useDatabase',
  'readOnly',
  'organizeByExchange',
  'maxCandlesPerBlock',
  'walMode',
  'cacheSize',
  'mmapSize',
  'partitioning',
  'compression',
  'maxOpenFiles',
  'blockCacheBytes',
  'indexMemoryBytes',
  'createPartitionsAhead',
  'compactSealedPartitions',
  'verifyInBackground',
  'probe',
] as const satisfies readonly (keyof OpenCandleStoreOptions)[];

/**
 * The one-line way to open a candle store:
 * `await using store = await openCandleStore({ baseDir, readOnly: true })`.
 * Options that do not apply to the chosen backend are ignored; an option that
 * neither has (`basedir`, `maxCandlePerBlock`) is refused, since ignoring it
 * would open another directory or drop a setting without a word.
 */
export async function openCandleStore(options: OpenCandleStoreOptions): Promise<CandleStore> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidStorageConfigError('openCandleStore needs { baseDir: string, ... }');
  }
  const unknown = Object.keys(options).filter((key) => !(OPEN_OPTIONS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    const named = unknown.map((key) => {
      const meant = closestName(key.toLowerCase(), OPEN_OPTIONS, 2, (name, typed) =>
        editDistance(typed, name.toLowerCase()),
      );
      return `${JSON.stringify(key)}${meant === undefined ? '' : ` (did you mean ${meant}?)`}`;
    });
    throw new InvalidStorageConfigError(
      `openCandleStore: unknown option${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; the options are ${OPEN_OPTIONS.join(', ')}`,
    );
  }
  if (typeof options.baseDir !== 'string') {
    throw new InvalidStorageConfigError('openCandleStore needs { baseDir: string, ... }');
  }
  const { baseDir, readOnly, maxCandlesPerBlock } = options;
  checkStoreLayout(
    baseDir,
    options.useDatabase ? (options.organizeByExchange ? 'sqlite-by-exchange' : 'sqlite') : 'ftcd',
    readOnly === true,
  );
  if (options.useDatabase) {
    return SQLiteFlatBufferStorage.open(
      withoutUndefined({
        baseDir,
        readOnly,
        organizeByExchange: options.organizeByExchange,
        maxCandlesPerBlock,
        walMode: options.walMode,
        cacheSize: options.cacheSize,
        mmapSize: options.mmapSize,
        probe: options.probe,
      }),
    );
  }
  return BinaryStorageAdapter.open(
    withoutUndefined({
      baseDir,
      readOnly,
      maxCandlesPerBlock,
      partitioning: options.partitioning,
      compression: options.compression,
      maxOpenFiles: options.maxOpenFiles,
      blockCacheBytes: options.blockCacheBytes,
      indexMemoryBytes: options.indexMemoryBytes,
      createPartitionsAhead: options.createPartitionsAhead,
      compactSealedPartitions: options.compactSealedPartitions,
      verifyInBackground: options.verifyInBackground,
      probe: options.probe,
    }),
  );
}

function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
