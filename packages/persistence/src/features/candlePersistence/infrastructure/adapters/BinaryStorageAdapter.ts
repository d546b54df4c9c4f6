import { readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CandleKey,
  type FootprintCandleDTO,
  isSafeName,
  isTimeframeName,
  seriesKeyToString,
  type TimeframeName,
} from '@flowtrace/core';
import { type CandleRange, CandleRangeBuilder } from '../../../../shared/storage/candle/CandleRange';
import { MAX_OPEN_TIME, storableCandleKey } from '../../../../shared/storage/candle/candleKeyOf';
import { compareSeries } from '../../../../shared/storage/candle/compareSeries';
import {
  checkIterationNames,
  checkSeriesQuery,
  findLatestViaRange,
  resolveIteration,
  resolveQuery,
} from '../../../../shared/storage/candle/queryOptions';
import {
  FtcdCorruptBlockError,
  FtcdDecodeError,
  FtcdFormatError,
  InvalidStorageConfigError,
  PartitionQuarantinedError,
  PartitionReplacedError,
  StorageClosedError,
  StorageReadOnlyError,
  StorageWriteError,
  StoreNotFoundError,
} from '../../../../shared/storage/errors/StorageErrors';
import { createDirectories } from '../../../../shared/storage/file/createDirectories';
import {
  createFileDurable,
  ensureDirectoryDurable,
  fsyncDirectory,
  writeFileDurable,
  writeFully,
} from '../../../../shared/storage/file/durableFs';
import { FileHandlePool } from '../../../../shared/storage/file/FileHandlePool';
import { type FileImage, readFileImage } from '../../../../shared/storage/file/readFileImage';
import {
  FTCD_EXTENSION,
  type PartitionGranularity,
  StorageOrganizer,
} from '../../../../shared/storage/file/StorageOrganizer';
import { StoreLock } from '../../../../shared/storage/file/StoreLock';
import {
  type BinaryStorageConfig,
  type ResolvedBinaryStorageConfig,
  resolveBinaryStorageConfig,
} from '../../../../shared/storage/ftcd/BinaryStorageConfig';
import { BlockFetcher } from '../../../../shared/storage/ftcd/BlockFetcher';
import { type CandleRow, encodeBlocks } from '../../../../shared/storage/ftcd/blockEncoding';
import {
  type CompactionReport,
  type CompactOptions,
  isFragmented,
} from '../../../../shared/storage/ftcd/compaction';
import { DecodedBlockCache } from '../../../../shared/storage/ftcd/DecodedBlockCache';
import {
  BLOCK_HEADER_SIZE,
  blockCrcValid,
  encodeFileHeader,
  readBlockHeader,
} from '../../../../shared/storage/ftcd/ftcdLayout';
import { PartitionFile } from '../../../../shared/storage/ftcd/PartitionFile';
import { type BlockLocation, PartitionIndex } from '../../../../shared/storage/ftcd/PartitionIndex';
import { ResidentIndexes } from '../../../../shared/storage/ftcd/ResidentIndexes';
import {
  keepDamagedCopy,
  type RebuiltPartition,
  type RepairedFile,
  type RepairOptions,
  type RepairReport,
  rebuildPartitionImage,
} from '../../../../shared/storage/ftcd/repair';
import type {
  StorageHealth,
  StorageProblem,
  StorageRepair,
} from '../../../../shared/storage/ftcd/StorageProblem';
import { type FileOpening, readForOpening } from '../../../../shared/storage/ftcd/walkBlockHeaders';
import {
  BinarySerializer,
  type DecodedBlock,
} from '../../../../shared/storage/serialization/binary/BinarySerializer';
import {
  BIN_ROW_BYTES,
  CANDLE_ROW_BYTES,
  CandleColumns,
} from '../../../../shared/storage/serialization/binary/CandleColumns';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
  SaveResult,
  SeriesInfo,
} from '../../application/ports/out/CandleStoragePort';

interface SeriesState {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: TimeframeName;
  /** Partition name → file; names sort chronologically. */
  readonly partitions: Map<string, PartitionFile>;
  /**
   * The granularity of this series' partition files, fixed once known: the
   * one its files on disk are named in, else (a new series) `partitioning`'s.
   * Changing `partitioning` on an existing store so applies to new series
   * only, and never hides a file written before.
   */
  granularity?: PartitionGranularity;
}

interface PendingSave {
  /**
   * The candles as they were when `saveMany` was called: rows
   * `firstRow .. firstRow + files.length - 1` of the cycle's staging columns.
   */
  readonly columns: CandleColumns;
  readonly firstRow: number;
  /** The partition file of each candle. */
  readonly files: PartitionFile[];
  readonly resolve: (result: SaveResult) => void;
  readonly reject: (error: unknown) => void;
}

/** Initial candle capacity of a cycle's staging columns (they grow as saves arrive). */
const STAGING_CANDLES = 64;
/** Staging columns grown larger than this (a big saveMany) are dropped after their cycle, not kept for reuse. */
const MAX_REUSED_STAGING_BYTES = 4 * 1024 * 1024;
/**
 * A save that would take the staging columns past this many bytes of rows
 * (and so their capacity, which doubles, past MAX_REUSED_STAGING_BYTES) goes
 * into new columns instead, unless they are empty. Saves that pile up while a
 * cycle waits for its fsync (concurrent saveMany calls, a burst of
 * connections) then fill a list of reusable chunks, where one set of columns
 * grown by doubling copied everything at each step and was too large to keep:
 * 30 concurrent saves of 1,000 fifty-bin candles grew one set to ~100 MB.
 */
const STAGING_CHUNK_BYTES = MAX_REUSED_STAGING_BYTES / 2;
/** Emptied staging columns kept for the next cycles, bytes of capacity at most. */
const MAX_SPARE_STAGING_BYTES = 16 * 1024 * 1024;

/** How many decoded blocks `iterate()` keeps at a time (bounded memory). */
const ITERATION_BLOCK_CACHE = 4;
/** Read-ahead of `iterate()` per file, bytes (bounded memory). */
const ITERATION_READ_BYTES = 1 << 20;
/**
 * An append of fewer candles than this is written uncompressed when the
 * partition will be compacted once sealed (compactSealedPartitions), which
 * compresses it then. Live saves append a block per series per commit cycle,
 * usually of one candle, and DEFLATE of such a block was about 40 % of the
 * main thread's cost of the append (a minute boundary of 300 live 50-bin
 * series: 98 -> 57 µs per series; docs/storage.md). A partition that never
 * qualifies for compaction keeps under a fifth of its candles (or two small
 * blocks) uncompressed.
 */
const UNCOMPRESSED_APPEND_BELOW = 16;
/** Background compaction pauses this many times as long as it has just worked (see compactFile). */
const BACKGROUND_PAUSE_FACTOR = 3;
/** Background compaction runs when no commit cycle ended for this long (ms)… */
const COMPACTION_IDLE_MS = 250;
/** …or, under saves that never pause, once it has waited this long (ms). */
const COMPACTION_MAX_DEFERRAL_MS = 10 * 60_000;
/** Background verification (verifyInBackground) loads files for about this long per turn (ms)… */
const VERIFY_TURN_MS = 4;
/** …and, under saves that never pause, waits at most this long for a quiet moment (ms). */
const VERIFY_MAX_WAIT_MS = 1_000;

/** Explicit (`compact()`) or background compaction, and whether any file qualifies. */
interface CompactionMode {
  readonly force: boolean;
  /** Background: paced, and yielding to saves; `since` is when the work became pending. */
  readonly background?: { readonly since: number };
}
/** Reads of a file that is replaced by its compacted copy meanwhile start over at most this often. */
const MAX_REPLACED_RETRIES = 5;
/** Largest single read of a range query; bigger spans are read in windows. */
const RANGE_READ_BYTES = 8 << 20;
/** Partition files read ahead of the one being loaded when a series' files are (re)scanned. */
const FILE_READ_AHEAD = 4;

/**
 * `CandleStoragePort` over `.ftcd` block files (docs/formats/ftcd.md):
 * `{baseDir}/{exchange}/{symbol}/{timeframe}/{partition}.ftcd`, append-only
 * CRC-checked blocks, an in-memory index built on open, group commit (one
 * append + fsync per file per cycle), torn-tail repair and quarantine of
 * corrupted files. `readOnly: true` opens beside a running writer: no lock,
 * no repair, and every read first picks up whole blocks appended since.
 */
export class BinaryStorageAdapter implements CandleStoragePort {
  private readonly series = new Map<string, SeriesState>();
  private readonly problemList: StorageProblem[] = [];
  private readonly repairList: StorageRepair[] = [];
  private readonly knownDirectories = new Set<string>();
  private readonly pool: FileHandlePool;
  private readonly organizer: StorageOrganizer;
  private readonly blockCache: DecodedBlockCache;
  private readonly indexes: ResidentIndexes;
  /** Read-only: the refresh in progress per file (see refreshFile). */
  private readonly refreshes = new Map<PartitionFile, Promise<void>>();
  /** Partition files being loaded from disk (see loadPartitions). */
  private readonly loads = new Map<PartitionFile, Promise<void>>();
  /** Why a partition file's last load failed (cleared when one succeeds). */
  private readonly loadFailures = new Map<PartitionFile, unknown>();
  private queue: PendingSave[] = [];
  /** Partition files being created ahead of their first candle (see createNextPartitions). */
  private readonly creations = new Set<Promise<void>>();
  /** Where the saves of the next commit cycle copy their candles (see saveMany). */
  private staging = CandleColumns.create(STAGING_CANDLES);
  /** Staging columns of the next cycle that were full (STAGING_CHUNK_BYTES) before `staging`. */
  private filledStaging: CandleColumns[] = [];
  /**
   * Staging columns of past cycles, emptied for the next ones. Their saves
   * are settled and nothing else refers to their rows (blocks are encoded from
   * them during the cycle, the cache holds decoded copies): reusing the arrays
   * saves allocating a fresh set per cycle, which at hundreds of cycles a
   * second was enough external memory to make V8 run a full mark-compact every
   * few hundred milliseconds.
   */
  private spareStaging: CandleColumns[] = [];
  private cycle: Promise<void> | undefined;
  /** Work that must not overlap any append (a compacted file replacing its original): run between cycles. */
  private exclusiveTasks: (() => Promise<void>)[] = [];
  /** The compaction running or queued (one at a time). */
  private compacting: Promise<unknown> | undefined;
  /** Series with fragmented sealed partitions, waiting for a quiet store (see compactBehind). */
  private readonly compactionPending = new Set<SeriesState>();
  private compactionPendingSince = 0;
  private compactionTimer: NodeJS.Timeout | undefined;
  /** Writer: partition files opening did not load, read one at a time in quiet moments (see verifyInBackground). */
  private unverified: PartitionFile[] | undefined;
  private verifyTimer: NodeJS.Timeout | undefined;
  /** Explicit compact() calls queued or running: background pacing is off while there are any. */
  private explicitCompactions = 0;
  /** When the last commit cycle ended (performance.now()): background compaction waits for quiet. */
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private closing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly config: ResolvedBinaryStorageConfig,
    private readonly lock: StoreLock | undefined,
  ) {
    this.organizer = new StorageOrganizer(config);
    this.pool = new FileHandlePool(config.readOnly ? 'r' : 'r+', config.maxOpenFiles);
    this.blockCache = new DecodedBlockCache(config.blockCacheBytes);
    this.indexes = new ResidentIndexes(
      this.pool,
      config.indexMemoryBytes,
      (problem) => this.report(problem),
      // Only a writer replaces files: a read-only store picks up the copy, the writer never needs to.
      // Not queued behind the file's refresh (refreshFile): that refresh may be the one waiting for
      // this reload, and would wait forever; a refresh that read the original checks the generation.
      (file) => (config.readOnly ? this.reloadReplaced(file) : Promise.resolve()),
    );
  }

  static async open(config: BinaryStorageConfig): Promise<BinaryStorageAdapter> {
    const resolved = resolveBinaryStorageConfig(config);
    const organizer = new StorageOrganizer(resolved);
    let lock: StoreLock | undefined;
    if (!resolved.readOnly) {
      await createStoreDirectory(organizer.baseDir);
      lock = await StoreLock.acquire(organizer.baseDir);
    } else await assertStoreDirectory(organizer.baseDir);
    const adapter = new BinaryStorageAdapter(resolved, lock);
    try {
      // A reader loads a partition file when a query first reaches it (findRange), listSeries()
      // and iterate() all of them: opening costs nothing however many years the store holds.
      // A writer registers every file, and loads only where saves go: each series' newest
      // partition with candles (where a crash leaves a torn tail) and the one before it (sealed
      // most recently, maybe not compacted yet). Every other file is loaded (and repaired) before
      // its first use, so opening costs per series, not per file ever written.
      if (!resolved.readOnly) {
        await adapter.scanTree(true);
        await adapter.loadRecentPartitions();
        if (resolved.verifyInBackground) adapter.startBackgroundVerify();
      }
    } catch (error) {
      await adapter.close();
      throw error;
    }
    return adapter;
  }

  // ---------------------------------------------------------------- writes

  async save(candle: FootprintCandleDTO): Promise<SaveResult> {
    return this.saveMany([candle]);
  }

  async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    this.assertOpen();
    if (this.config.readOnly) throw new StorageReadOnlyError();
    // Snapshot: the caller may reuse its objects before the commit cycle runs. Columns rather
    // than object copies: a 50-bin candle is ~400 heap objects, which the garbage collector
    // would have to promote while the cycle waits for its fsync. Every save until the next
    // cycle shares one set of columns: a set per save (two dozen small typed arrays) cost
    // more than the copy for a single candle, and survived collections the same way.
    const bins = binCountOf(candles);
    let columns = this.staging;
    if (
      columns.count > 0 &&
      stagedBytes(columns.count + candles.length, columns.binCount + bins) > STAGING_CHUNK_BYTES
    ) {
      this.filledStaging.push(columns);
      columns = this.staging = this.spareStaging.pop() ?? CandleColumns.create(STAGING_CANDLES);
    }
    const firstRow = columns.count;
    columns.reserve(candles.length, bins);
    // Keys and paths are checked now so a bad candle fails this call, not a whole commit cycle
    // (rows copied before it stay unused). Each candle is checked and copied in one visit: a
    // second pass over a large batch would read every bin from main memory again.
    const keys = new Array<CandleKey>(candles.length);
    let files: PartitionFile[];
    try {
      for (let index = 0; index < candles.length; index += 1) {
        const candle = candles[index]!;
        keys[index] = storableCandleKey(candle);
        columns.append(candle);
      }
      files = this.partitionsOf(keys);
    } catch (error) {
      // No queued save uses the staging columns yet: forget the rejected rows rather than hold them.
      if (this.queue.length === 0) {
        for (const filled of this.filledStaging.splice(0)) this.recycleStaging(filled);
        this.staging.clear();
      }
      throw error;
    }
    return new Promise<SaveResult>((resolve, reject) => {
      this.queue.push({ columns, firstRow, files, resolve, reject });
      this.scheduleCommit();
    });
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await this.drain();
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        try {
          clearTimeout(this.compactionTimer);
          clearTimeout(this.verifyTimer);
          this.unverified = undefined;
          await this.compacting?.catch(() => undefined);
          await this.drain();
          await Promise.all(this.creations);
          // A load may be repairing a torn tail through the pool.
          await Promise.all([...this.loads.values()].map((load) => load.catch(() => undefined)));
        } finally {
          this.closed = true;
          this.blockCache.clear();
          this.indexes.clear();
          await this.pool.closeAll();
          await this.lock?.release();
        }
      })();
    }
    await this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Problems found in the files (corruption, quarantine), plus torn tails repaired on open. */
  health(): StorageHealth {
    return {
      status: this.problemList.length > 0 ? 'degraded' : 'ok',
      problems: this.problems(),
      repairs: this.repairList.map((repair) => ({ ...repair })),
    };
  }

  problems(): StorageProblem[] {
    return this.problemList.map((problem) => ({ ...problem }));
  }

  private async drain(): Promise<void> {
    while (this.cycle) await this.cycle;
  }

  private scheduleCommit(): void {
    if (this.cycle) return;
    this.cycle = this.runCommitCycles().finally(() => {
      this.cycle = undefined;
      if (this.queue.length > 0 || this.exclusiveTasks.length > 0) this.scheduleCommit();
    });
  }

  /** Group commit: every save queued while a cycle writes joins the next cycle. */
  private async runCommitCycles(): Promise<void> {
    // Let saves issued in the same tick join the first cycle.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0 || this.exclusiveTasks.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (batch.length > 0) {
        // Every save of the batch copied its candles into the current staging columns.
        const committing = [...this.filledStaging.splice(0), this.staging];
        this.staging = this.spareStaging.pop() ?? CandleColumns.create(STAGING_CANDLES);
        try {
          await this.commit(batch);
        } catch (error) {
          // Only a bug gets here: fail the cycle's saves rather than leave them pending.
          for (const save of batch) save.reject(error);
        }
        this.lastCommitAt = performance.now();
        for (const columns of committing) this.recycleStaging(columns);
      }
      // No append is in flight here: what must not overlap one runs now (each task settles its own promise).
      for (const task of this.exclusiveTasks.splice(0)) await task();
      // Between cycles no index is between a read and an append: release what is over budget.
      this.indexes.trim();
    }
  }

  /** Keeps emptied staging columns for the next cycles, unless too large or enough are kept already. */
  private recycleStaging(columns: CandleColumns): void {
    if (columns.capacityBytes > MAX_REUSED_STAGING_BYTES) return;
    let kept = columns.capacityBytes;
    for (const spare of this.spareStaging) kept += spare.capacityBytes;
    if (kept > MAX_SPARE_STAGING_BYTES) return;
    columns.clear();
    this.spareStaging.push(columns);
  }

  private async commit(batch: readonly PendingSave[]): Promise<void> {
    await this.loadBeforeWriting(batch);
    const staged = new Map<PartitionFile, Map<number, CandleRow>>();
    const outcomes: (
      | { result: SaveResult; files: Set<PartitionFile>; refused: number[]; quarantined?: PartitionFile }
      | { error: unknown }
    )[] = [];
    const decodedBlocks = new Map<BlockLocation, DecodedBlock>();
    for (const save of batch) {
      try {
        const { files } = save;
        const unread = files.find((file) => !file.loaded);
        if (unread) {
          throw new StorageWriteError(
            `Partition ${unread.path} could not be read, so nothing is written to it; the save can be retried`,
            { cause: this.loadFailures.get(unread) },
          );
        }
        const result: SaveResult = { written: 0, unchanged: 0 };
        const touched = new Set<PartitionFile>();
        // Candles of a quarantined partition are refused; the others of the save are still
        // written, so that one damaged file does not block every series saved with it.
        const refused: number[] = [];
        let quarantined: PartitionFile | undefined;
        const { columns, firstRow } = save;
        for (let index = firstRow; index < firstRow + files.length; index += 1) {
          const openTime = columns.openTime(index);
          const file = files[index - firstRow]!;
          if (file.quarantine) {
            refused.push(index - firstRow);
            quarantined ??= file;
            continue;
          }
          let pending = staged.get(file);
          const stagedVersion = pending?.get(openTime);
          let previous = stagedVersion ?? this.storedVersion(file, openTime, decodedBlocks);
          if (previous instanceof Promise) previous = await previous;
          // Comparing with a version of this cycle makes the answer depend on its write too.
          if (stagedVersion) touched.add(file);
          if (previous?.columns.rowEquals(previous.row, columns, index)) {
            result.unchanged += 1;
            continue;
          }
          if (!pending) {
            pending = new Map();
            staged.set(file, pending);
          }
          pending.set(openTime, { columns, row: index });
          touched.add(file);
          result.written += 1;
        }
        outcomes.push({ result, files: touched, refused, quarantined });
      } catch (error) {
        outcomes.push({ error });
      }
    }
    const failures = new Map<PartitionFile, unknown>();
    await Promise.all(
      [...staged].map(async ([file, candles]) => {
        try {
          await this.append(
            file,
            [...candles].sort((a, b) => a[0] - b[0]).map(([, row]) => row),
          );
        } catch (error) {
          failures.set(file, error);
        }
      }),
    );
    if (this.config.createPartitionsAhead) this.createNextPartitions(staged.keys());
    if (this.config.compactSealedPartitions) this.compactBehind(staged.keys());
    batch.forEach((save, index) => {
      const outcome = outcomes[index]!;
      if ('error' in outcome) {
        save.reject(outcome.error);
        return;
      }
      const failed = [...outcome.files].find((file) => failures.has(file));
      if (failed) {
        save.reject(
          new StorageWriteError(`Writing ${failed.path} failed; nothing of this save is reported durable`, {
            cause: failures.get(failed),
          }),
        );
      } else if (outcome.quarantined) {
        const { refused, quarantined, result } = outcome;
        const others = refused.length === 1 ? '' : ` (${refused.length} candles refused)`;
        save.reject(
          new PartitionQuarantinedError(
            `Partition ${quarantined.path} is quarantined (${quarantined.quarantine?.message}); writes to it are refused${others}`,
            { refusedIndexes: refused, saved: result, path: quarantined.path },
          ),
        );
      } else save.resolve(outcome.result);
    });
  }

  /**
   * Loads the partition files a cycle writes to that are on disk but not read
   * yet: a file's index, end and sequence must be known (and a torn tail cut)
   * before anything is appended to it. A file that fails to load fails the
   * saves into it (retryable); the next cycle tries again.
   */
  private async loadBeforeWriting(batch: readonly PendingSave[]): Promise<void> {
    const unread = new Set<PartitionFile>();
    for (const { files } of batch) {
      let previous: PartitionFile | undefined;
      for (const file of files) {
        // A batch's candles are mostly of one partition: skip the set for runs of it.
        if (file !== previous && !file.loaded) unread.add(file);
        previous = file;
      }
    }
    if (unread.size > 0) await this.loadPartitions([...unread]);
  }

  /** The stored version of a key (a row of its decoded block), synchronously when nothing must be read. */
  private storedVersion(
    file: PartitionFile,
    openTime: number,
    cache: Map<BlockLocation, DecodedBlock>,
  ): CandleRow | undefined | Promise<CandleRow | undefined> {
    // After the file's last candle (a live save) there is nothing to compare with: a released
    // index is not reloaded for that (with more live series than the index budget holds, every
    // cycle would otherwise re-read each of their files whole). See append().
    const current = file.index;
    if (!current.resident && current.size > 0 && openTime > current.lastTime) return undefined;
    const resident = this.indexes.indexOf(file);
    if (resident instanceof Promise) return resident.then(() => this.storedVersion(file, openTime, cache));
    const index = resident;
    const position = index.positionOf(openTime);
    if (position < 0) return undefined;
    const block = index.blockAt(position);
    const slot = index.slotAt(position);
    // Re-saving recent candles (live updates) compares with blocks just written or read: often cached.
    const decoded = cache.get(block) ?? this.blockCache.get(block);
    if (decoded) {
      cache.set(block, decoded);
      return { columns: decoded, row: slot };
    }
    return this.readBlock(file, block, file.generation).then((read) => {
      this.blockCache.set(block, read);
      cache.set(block, read);
      return { columns: read, row: slot };
    });
  }

  /** Appends `candles` (sorted, one per key) as blocks and fsyncs; updates the index only once durable. */
  private async append(file: PartitionFile, candles: readonly CandleRow[]): Promise<void> {
    if (file.creating) await file.creating;
    if (file.suspect) await this.discardUndurableTail(file);
    if (file.quarantine) throw new PartitionQuarantinedError(`Partition ${file.path} is quarantined`);
    const header = file.exists ? undefined : encodeFileHeader(file.identity);
    const start = header ? header.length : file.end;
    const encoded = encodeBlocks(candles, {
      perBlock: this.config.maxCandlesPerBlock,
      compression: this.compressesAppend(candles.length),
      firstSequence: file.nextSequence,
      offset: start,
    });
    const chunks = header ? [header, ...encoded.chunks] : encoded.chunks;
    const probe = this.config.probe;
    // A new file is written whole (header first) from offset 0.
    const detail = { path: file.path, position: header ? 0 : start, chunks, creating: header !== undefined };
    try {
      probe?.('block:before-write', detail);
      if (header) {
        await this.createPartitionFile(file, chunks);
        file.exists = true;
      } else {
        await this.pool.use(file.path, async (handle) => {
          await writeFully(handle, chunks, start);
          probe?.('block:written', detail);
          // fdatasync: the data and the new file size, which reading the data needs.
          await handle.datasync();
        });
      }
      probe?.('block:synced', detail);
    } catch (error) {
      // What this append wrote is not durable, however it reads back: discarded before the next write.
      file.suspect = true;
      await this.pool.evict(file.path);
      throw error;
    }
    if (file.index.resident) {
      for (const { location, times } of encoded.blocks) file.index.addBlock(location, times);
    } else {
      // Released, and every candle of this append is after its last one (storedVersion() reloads
      // the index for any other): the summary grows; the blocks are read when the index is next
      // needed whole. A new object, so that a reload that read the file before this append
      // notices and reads it again (ResidentIndexes.reload).
      for (const { times } of encoded.blocks) file.index = file.index.extendedSummary(times);
    }
    file.end = encoded.end;
    file.nextSequence += encoded.blocks.length;
  }

  /** Whether an append of `candles` candles is compressed now (see UNCOMPRESSED_APPEND_BELOW). */
  private compressesAppend(candles: number): boolean {
    if (!this.config.compression) return false;
    if (!this.config.compactSealedPartitions) return true;
    // Below a quarter of a block, compaction's test (isFragmented) counts such blocks as fragments.
    return candles >= Math.min(UNCOMPRESSED_APPEND_BELOW, Math.ceil(this.config.maxCandlesPerBlock / 4));
  }

  /** Creates a partition file whole, and its series directories when they are not known to exist. */
  private async createPartitionFile(file: PartitionFile, chunks: readonly Uint8Array[]): Promise<void> {
    const { exchange, symbol, timeframe } = file.identity;
    const segments = [exchange, symbol, timeframe];
    await ensureDirectoryDurable(this.organizer.baseDir, segments, this.knownDirectories);
    try {
      await createFileDurable(file.path, chunks);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // A series directory removed by hand since it was made or found: made again, once.
      for (let depth = 1; depth <= segments.length; depth += 1)
        this.knownDirectories.delete(join(this.organizer.baseDir, ...segments.slice(0, depth)));
      await ensureDirectoryDurable(this.organizer.baseDir, segments, this.knownDirectories);
      await createFileDurable(file.path, chunks);
    }
  }

  /**
   * Creating a partition file costs two fsyncs, a rename and usually a new
   * directory entry's fsync (6 ms typical here, up to ~90 ms), and every save of
   * that commit cycle would wait for it: at 00:00 UTC every live 1m series
   * needs a new day file at once. So when a cycle writes to a series' latest
   * partition, the next one is created now, header only, off the write path.
   * A failure is not reported here: the first append to it creates it again
   * and fails its saves properly if the disk still refuses.
   */
  private createNextPartitions(written: Iterable<PartitionFile>): void {
    for (const file of written) {
      if (file.nextPartitionSettled || !file.exists || file.quarantine || file.suspect) continue;
      // Whatever follows (a next partition made or found, or none wanted), it never changes again.
      file.nextPartitionSettled = true;
      const { exchange, symbol, timeframe, partition } = file.identity;
      const openTime = file.bounds.end;
      if (openTime > MAX_OPEN_TIME || !isTimeframeName(timeframe)) continue;
      const series = this.seriesState(exchange, symbol, timeframe);
      if (series.partitions.has(this.organizer.partitionOf(timeframe, openTime, series.granularity)))
        continue;
      // Only ahead of the newest partition: a rewrite of older data must not fill gaps with files.
      let newest = true;
      for (const name of series.partitions.keys()) if (name > partition) newest = false;
      if (!newest) continue;
      const next = this.partitionFor({ exchange, symbol, timeframe, openTime });
      const header = encodeFileHeader(next.identity);
      const creation = this.createPartitionFile(next, [header])
        .then(
          () => {
            if (next.exists) return;
            next.exists = true;
            next.end = header.length;
            next.nextSequence = 0;
          },
          () => undefined,
        )
        .finally(() => {
          next.creating = undefined;
          this.creations.delete(creation);
        });
      next.creating = creation;
      this.creations.add(creation);
    }
  }

  /**
   * After a failed write or fsync, nothing this process wrote past the last
   * durable block counts, even if it reads back intact from the page cache:
   * Linux reports a writeback error once and may then drop the dirty pages
   * and their error, so a later fsync can succeed without them. The file is
   * cut back to the end of its last durable block (the index never saw the
   * failed blocks), and the retried candles are written and fsync'd again
   * before anything is acknowledged. Re-reading the file instead would index
   * the unsynced block and answer a retry as "unchanged" without any fsync.
   */
  private async discardUndurableTail(file: PartitionFile): Promise<void> {
    await this.pool.evict(file.path);
    if (file.exists) {
      const size = await stat(file.path).then(
        (stats) => stats.size,
        () => file.end,
      );
      await truncate(file.path, file.end);
      if (size > file.end)
        this.repairList.push({
          kind: 'undurable-tail-discarded',
          path: file.path,
          offset: file.end,
          bytes: size - file.end,
        });
    }
    file.suspect = false;
  }

  // ------------------------------------------------------------ compaction

  /**
   * Rewrites sealed partition files (every partition of a series but its
   * newest one holding candles) whose blocks are many and small, as live
   * saves leave them (one block per commit cycle), or which hold superseded
   * versions: the latest version of every candle in full blocks, in a new
   * file renamed over the old one. Reads of such a file get several times
   * faster and the file smaller; no candle changes. Safe against crashes at
   * any point (the original stays until the complete, fsync'd copy replaces
   * it) and against concurrent readers here and in other processes (they
   * notice the replacement and re-read). Saves go on meanwhile; a save to a
   * partition being compacted makes that compaction give up (it is retried
   * the next time).
   */
  compact(options: CompactOptions = {}): Promise<CompactionReport> {
    this.assertOpen();
    if (this.config.readOnly) return Promise.reject(new StorageReadOnlyError());
    // A background compaction ahead of this one stops waiting for quiet moments.
    this.explicitCompactions += 1;
    // Every sealed partition is a candidate, also those no save or query has loaded yet.
    const run = this.loadPartitions(this.unloadedFiles()).then(() =>
      this.enqueueCompaction([...this.series.values()], { force: options.force === true }),
    );
    const done = () => {
      this.explicitCompactions -= 1;
    };
    run.then(done, done);
    return run;
  }

  private enqueueCompaction(series: readonly SeriesState[], mode: CompactionMode): Promise<CompactionReport> {
    const run = (this.compacting ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.compactSeries(series, mode));
    this.compacting = run;
    const forget = () => {
      if (this.compacting === run) this.compacting = undefined;
    };
    run.then(() => {
      // A compaction that failed before (e.g. disk full) has worked since: no longer a problem.
      this.forgetProblems('FTCD_COMPACTION_FAILED');
      forget();
    }, forget);
    return run;
  }

  private async compactSeries(list: readonly SeriesState[], mode: CompactionMode): Promise<CompactionReport> {
    const report: CompactionReport = { partitions: 0, candles: 0, bytesBefore: 0, bytesAfter: 0 };
    for (const series of list) {
      const files = this.filesBetween(series, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      // The newest partition with candles is where live saves go: it is left to grow.
      for (const file of files.slice(0, -1)) {
        if (this.closing || this.closed) return report;
        if (!isFragmented(file, this.config.maxCandlesPerBlock, mode.force)) continue;
        const done = await this.compactFile(file, mode);
        if (!done) continue;
        report.partitions += 1;
        report.candles += done.candles;
        report.bytesBefore += done.bytesBefore;
        report.bytesAfter += done.bytesAfter;
      }
    }
    return report;
  }

  /**
   * When a cycle writes to a partition for the first time in this process,
   * its series' older partitions are looked at once. Fragmented ones are
   * compacted in the background when the store is quiet (no commit cycle for
   * COMPACTION_IDLE_MS; at the latest after COMPACTION_MAX_DEFERRAL_MS): at
   * 00:00 UTC the day that just ended is sealed, and compacted between the
   * bursts of saves of each new candle; a backfill at full speed is compacted
   * after it.
   */
  private compactBehind(written: Iterable<PartitionFile>): void {
    for (const file of written) {
      if (file.olderPartitionsSettled) continue;
      file.olderPartitionsSettled = true;
      const { exchange, symbol, timeframe } = file.identity;
      if (!isTimeframeName(timeframe)) continue;
      const state = this.seriesState(exchange, symbol, timeframe);
      const files = this.filesBetween(state, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      if (!files.slice(0, -1).some((older) => isFragmented(older, this.config.maxCandlesPerBlock))) continue;
      if (this.compactionPending.size === 0) this.compactionPendingSince = Date.now();
      this.compactionPending.add(state);
    }
    if (this.compactionPending.size > 0 && !this.compactionTimer) this.armCompaction(COMPACTION_IDLE_MS);
  }

  private armCompaction(delay: number): void {
    this.compactionTimer = setTimeout(() => this.startPendingCompaction(), delay);
    // Background work never keeps the process alive.
    this.compactionTimer.unref();
  }

  private startPendingCompaction(): void {
    this.compactionTimer = undefined;
    if (this.closing || this.closed || this.compactionPending.size === 0) return;
    const since = this.compactionPendingSince;
    const wait = this.quietWait(since);
    if (wait > 0) {
      this.armCompaction(wait);
      return;
    }
    const series = [...this.compactionPending];
    this.compactionPending.clear();
    this.enqueueCompaction(series, { force: false, background: { since } }).catch((error: unknown) => {
      this.report({
        code: 'FTCD_COMPACTION_FAILED',
        path: this.organizer.baseDir,
        message: `Compaction failed (the original files are intact): ${(error as Error).message}`,
      });
    });
  }

  /**
   * Writer: the files opening left unread are read (CRC-checked, a torn tail
   * cut), newest first, so damage in a file that nothing has used yet reaches
   * health() without a save or query. Each turn waits for a quiet moment (no
   * commit cycle running or ended within COMPACTION_IDLE_MS; under saves that
   * never pause that long, VERIFY_MAX_WAIT_MS at most), loads files for about
   * VERIFY_TURN_MS, then pauses three times as long as it worked.
   */
  private startBackgroundVerify(): void {
    this.armBackgroundVerify(COMPACTION_IDLE_MS, performance.now());
  }

  private armBackgroundVerify(delay: number, waitingSince: number): void {
    this.verifyTimer = setTimeout(() => void this.verifyTurn(waitingSince), delay);
    // Background work never keeps the process alive.
    this.verifyTimer.unref();
  }

  private async verifyTurn(waitingSince: number): Promise<void> {
    this.verifyTimer = undefined;
    if (this.closing || this.closed) return;
    const quietIn = this.untilQuiet();
    if ((this.cycle || quietIn > 0) && performance.now() - waitingSince < VERIFY_MAX_WAIT_MS) {
      this.armBackgroundVerify(Math.max(quietIn, COMPACTION_IDLE_MS / 5), waitingSince);
      return;
    }
    // Listed on the first turn, not while opening. Oldest first in the array: pop() takes the
    // newest, the files most likely to be used soon.
    this.unverified ??= this.unloadedFiles().sort((a, b) => a.bounds.start - b.bounds.start);
    const unverified = this.unverified;
    const started = performance.now();
    while (performance.now() - started < VERIFY_TURN_MS) {
      let file = unverified.pop();
      while (file?.loaded) file = unverified.pop();
      if (!file || this.closing || this.closed) return;
      // A file that fails to load is reported by the load (FTCD_IO_ERROR) and tried again on its next use.
      await this.loadPartitions([file]);
    }
    if (unverified.length > 0) {
      const pause = BACKGROUND_PAUSE_FACTOR * (performance.now() - started);
      this.armBackgroundVerify(pause, performance.now() + pause);
    }
  }

  /** How long background compaction should still wait for a quiet store (0: go). */
  private quietWait(pendingSince: number): number {
    if (this.explicitCompactions > 0 || Date.now() - pendingSince >= COMPACTION_MAX_DEFERRAL_MS) return 0;
    return this.untilQuiet();
  }

  /** ms until no commit cycle has ended for COMPACTION_IDLE_MS (0: quiet now). */
  private untilQuiet(): number {
    return Math.max(0, COMPACTION_IDLE_MS - (performance.now() - this.lastCommitAt));
  }

  /**
   * Compacts one file; undefined when it gave up (a save to it meanwhile, or
   * the store closing). In the background, after each block's worth of work
   * it pauses three times as long and then until the store is quiet again, so
   * saves and queries keep the thread.
   */
  private async compactFile(
    file: PartitionFile,
    mode: CompactionMode,
  ): Promise<{ candles: number; bytesBefore: number; bytesAfter: number } | undefined> {
    const generation = file.generation;
    const end = file.end;
    const index = await this.residentIndex(file);
    const changed = () =>
      this.closing !== undefined ||
      file.generation !== generation ||
      file.end !== end ||
      file.quarantine !== undefined ||
      file.suspect;
    if (changed()) return undefined;
    const header = encodeFileHeader(file.identity);
    const perBlock = this.config.maxCandlesPerBlock;
    const chunks: Uint8Array[] = [header];
    const blocks: { location: BlockLocation; times: number[] }[] = [];
    let offset = header.length;
    const fetcher = new BlockFetcher(this.pool, file.path, end, Math.min(end, ITERATION_READ_BYTES));
    const decoded = new Map<BlockLocation, DecodedBlock>();
    const size = index.size;
    // A block's candles at a time, in time order: memory stays bounded by a block's worth.
    for (let first = 0; first < size; first += perBlock) {
      const workStarted = performance.now();
      const rows: CandleRow[] = [];
      for (let position = first; position < Math.min(size, first + perBlock); position += 1) {
        const block = index.blockAt(position);
        let columns = decoded.get(block);
        if (!columns) {
          columns = await this.readBlock(file, block, generation, fetcher);
          if (changed()) return undefined;
          if (decoded.size >= ITERATION_BLOCK_CACHE)
            decoded.delete(decoded.keys().next().value as BlockLocation);
          decoded.set(block, columns);
        }
        rows.push({ columns, row: index.slotAt(position) });
      }
      const encoded = encodeBlocks(rows, {
        perBlock,
        compression: this.config.compression,
        firstSequence: blocks.length,
        offset,
      });
      chunks.push(...encoded.chunks);
      blocks.push(...encoded.blocks);
      offset = encoded.end;
      // Let saves and queries in between (a day of live 1m blocks is ~0.1 s of decoding).
      if (mode.background && this.explicitCompactions === 0) {
        await sleep(BACKGROUND_PAUSE_FACTOR * (performance.now() - workStarted));
        for (
          let wait = this.quietWait(mode.background.since);
          wait > 0;
          wait = this.quietWait(mode.background.since)
        ) {
          if (changed()) return undefined;
          await sleep(wait);
        }
      } else await new Promise<void>((resolve) => setImmediate(resolve));
      if (changed()) return undefined;
    }
    const temporary = `${file.path}.tmp`;
    const inode = await writeFileDurable(temporary, chunks);
    const detail = { path: file.path, bytesBefore: end, bytesAfter: offset };
    return this.exclusive(async () => {
      if (changed()) {
        await rm(temporary, { force: true });
        return undefined;
      }
      try {
        this.config.probe?.('compact:synced', detail);
        await rename(temporary, file.path);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => undefined);
        throw error;
      }
      // The path now holds the copy; the index must follow at once (nothing may fail in between).
      // Handles open on the original keep reading it, so in-flight reads stay consistent; the
      // next use of the path opens the copy.
      const evicted = this.pool.evict(file.path);
      const replacement = new PartitionIndex();
      for (const { location, times } of blocks) replacement.addBlock(location, times);
      file.index = replacement;
      file.end = offset;
      file.nextSequence = blocks.length;
      file.generation += 1;
      file.inode = inode;
      this.indexes.touch(file);
      await evicted;
      this.config.probe?.('compact:renamed', detail);
      // Until this fsync a crash may bring back the original: it holds the same candles.
      await fsyncDirectory(dirname(file.path));
      return { candles: size, bytesBefore: end, bytesAfter: offset };
    });
  }

  /**
   * Repairs every quarantined partition file (docs/formats/ftcd.md,
   * "Repair"): the file is rewritten with every block readers could use
   * (CRC valid, decodes to candles of its partition), in file order, so reads
   * return exactly what they returned before and the partition takes saves
   * again. A file whose header is unusable (nothing of it was readable) is
   * set aside, and its partition starts empty. The original bytes are always
   * kept beside the file as `{file}.damaged-{UTC time}`. Crash-safe like
   * compaction: the original stays at its path until the fsync'd copy
   * replaces it. Files not yet loaded are loaded (and so checked) first.
   * With `checkEveryBlock`, every file is also read whole and every block
   * decoded (what `verifyStore` does), so damage no read has reached yet is
   * repaired too. Commit cycles wait while a file is looked at.
   */
  async repair(options: RepairOptions = {}): Promise<RepairReport> {
    this.assertOpen();
    if (this.config.readOnly) throw new StorageReadOnlyError();
    const dryRun = options.dryRun === true;
    await this.loadPartitions(this.unloadedFiles());
    const candidates: PartitionFile[] = [];
    for (const series of this.series.values())
      for (const file of series.partitions.values())
        if (file.quarantine || (options.checkEveryBlock === true && file.exists)) candidates.push(file);
    candidates.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const files: RepairedFile[] = [];
    for (const file of candidates) {
      this.assertOpen();
      const repaired = await this.exclusive(() => this.repairFile(file, dryRun));
      if (repaired) files.push(repaired);
    }
    return { dryRun, files };
  }

  /** Repairs one file; undefined when it is not quarantined and no damage was found in it. */
  private async repairFile(file: PartitionFile, dryRun: boolean): Promise<RepairedFile | undefined> {
    // A file with an unusable header is quarantined without `exists` (nothing of it was read).
    if (!file.exists && !file.quarantine) return undefined;
    const { bytes } = await readFileImage(file.path);
    let rebuilt: RebuiltPartition | undefined;
    try {
      rebuilt = rebuildPartitionImage(bytes, file.identity, file.bounds);
    } catch (error) {
      if (!(error instanceof FtcdFormatError)) throw error;
    }
    if (rebuilt && rebuilt.dropped.length === 0 && !file.quarantine) return undefined;
    const outcome: RepairedFile = {
      path: file.path,
      problems: this.problemList.filter((problem) => problem.path === file.path),
      action: rebuilt ? 'rewritten' : 'set-aside',
      candles: 0,
      blocks: rebuilt?.blocks ?? 0,
      dropped: rebuilt?.dropped ?? [],
      bytesBefore: bytes.length,
      bytesAfter: rebuilt?.bytes ?? 0,
    };
    if (!rebuilt) {
      if (dryRun) return outcome;
      outcome.damagedCopy = await keepDamagedCopy(file.path);
      const evicted = this.pool.evict(file.path);
      await rm(file.path);
      await fsyncDirectory(dirname(file.path));
      await evicted;
      // As if the file had never been written: the next save creates it.
      file.reset();
      file.loaded = true;
      file.generation += 1;
      file.inode = undefined;
      this.indexes.touch(file);
      this.forgetProblemsOf(file.path);
      return outcome;
    }
    // The repaired image is loaded as the store will load it: it must be sound.
    const image = concatenate(rebuilt.chunks);
    const check = new PartitionFile(file.path, file.identity, file.bounds);
    const verified = check.loadImage(image);
    if (verified.problems.length > 0 || verified.tornTailAt !== undefined)
      throw new FtcdFormatError(`The repaired copy of ${file.path} does not verify`);
    outcome.candles = check.index.size;
    if (dryRun) return outcome;
    const temporary = `${file.path}.tmp`;
    const inode = await writeFileDurable(temporary, [image]);
    const detail = { path: file.path, bytesBefore: bytes.length, bytesAfter: image.length };
    try {
      outcome.damagedCopy = await keepDamagedCopy(file.path);
      this.config.probe?.('repair:synced', detail);
      await rename(temporary, file.path);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw error;
    }
    // Reads holding the damaged file's index see a new generation and start over on the copy.
    const evicted = this.pool.evict(file.path);
    file.loadImage(image);
    file.inode = inode;
    file.loaded = true;
    file.generation += 1;
    this.indexes.touch(file);
    this.forgetProblemsOf(file.path);
    await evicted;
    this.config.probe?.('repair:renamed', detail);
    // Until this fsync a crash may bring back the original: it is quarantined again, and repaired again.
    await fsyncDirectory(dirname(file.path));
    return outcome;
  }

  /** Runs `task` when no append is in flight (between commit cycles). */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.exclusiveTasks.push(() => task().then(resolve, reject));
      this.scheduleCommit();
    });
  }

  // ----------------------------------------------------------------- reads

  async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    return (await this.findRange(symbol, exchange, timeframe, options)).toArray();
  }

  /** `findBySymbol` as a view over the decoded blocks: no candle object is built until asked for. */
  async findRange(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<CandleRange> {
    this.assertOpen();
    const query = resolveQuery(options);
    checkSeriesQuery(symbol, exchange, timeframe);
    const readOnly = this.config.readOnly;
    // Read-only: new partition files are registered now; each file is loaded, or its appended
    // blocks (or compacted copy) picked up, when the query reaches it: a query costs no more for
    // the years of files it does not read.
    if (readOnly) await this.refreshSeries(exchange, symbol, timeframe, true);
    const series = this.series.get(seriesKeyToString({ exchange, symbol, timeframe }));
    const result = new CandleRangeBuilder();
    if (!series || query.limit === 0) return result.build();
    // Files not loaded yet, and (read-only) files empty when last looked at, may hold candles.
    const files = this.filesBetween(series, query.startTime, query.endTime, true);
    const descending = query.order === 'desc';
    if (descending) files.reverse();
    for (const file of files) {
      if (readOnly) {
        if (file.exists) await this.refreshFile(file);
        else await this.loadPartitions([file]);
      } else if (!file.loaded) await this.loadPartitions([file]);
      if (file.index.size === 0) continue;
      // A compaction may replace the file during the reads: read it again (nothing is added before).
      for (let attempt = 1; ; attempt += 1) {
        const generation = file.generation;
        const index = await this.residentIndex(file);
        let [from, to] = index.positionsBetween(query.startTime, query.endTime);
        const room = query.limit - result.length;
        if (to - from > room) {
          if (descending) from = to - room;
          else to = from + room;
        }
        try {
          await this.collectRows(file, index, generation, from, to, descending, result);
          break;
        } catch (error) {
          if (!(error instanceof PartitionReplacedError) || attempt >= MAX_REPLACED_RETRIES) throw error;
        }
      }
      if (result.length >= query.limit) break;
    }
    return result.build();
  }

  findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    return findLatestViaRange(this, symbol, exchange, timeframe, n);
  }

  async listSeries(): Promise<SeriesInfo[]> {
    this.assertOpen();
    if (this.config.readOnly) await this.scanTree();
    else await this.loadPartitions(this.unloadedFiles());
    const infos: SeriesInfo[] = [];
    for (const series of this.series.values()) {
      let count = 0;
      let firstOpenTime = Number.POSITIVE_INFINITY;
      let lastOpenTime = Number.NEGATIVE_INFINITY;
      for (const file of series.partitions.values()) {
        if (file.index.size === 0) continue;
        count += file.index.size;
        firstOpenTime = Math.min(firstOpenTime, file.index.firstTime);
        lastOpenTime = Math.max(lastOpenTime, file.index.lastTime);
      }
      if (count === 0) continue;
      const { exchange, symbol, timeframe } = series;
      infos.push({ exchange, symbol, timeframe, firstOpenTime, lastOpenTime, count });
    }
    return infos.sort(compareSeries);
  }

  async *iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    this.assertOpen();
    const filter = resolveIteration(options);
    checkIterationNames(filter);
    if (this.config.readOnly) await this.scanTree();
    const start = filter.startTime;
    const end = filter.endTime;
    const matching = [...this.series.values()]
      .filter(
        (series) =>
          (filter.exchange === undefined || series.exchange === filter.exchange) &&
          (filter.symbol === undefined || series.symbol === filter.symbol) &&
          (filter.timeframe === undefined || series.timeframe === filter.timeframe),
      )
      .sort(compareSeries);
    for (const series of matching) {
      if (!this.config.readOnly)
        await this.loadPartitions(this.filesBetween(series, start, end, true).filter((file) => !file.loaded));
      for (const file of this.filesBetween(series, start, end)) {
        // The open time last handed out: a file replaced by its compacted copy meanwhile is resumed after it.
        let handedOut = Number.NEGATIVE_INFINITY;
        for (let attempt = 1; ; attempt += 1) {
          const generation = file.generation;
          const cache = new Map<BlockLocation, DecodedBlock>();
          const fetcher = new BlockFetcher(this.pool, file.path, file.end, ITERATION_READ_BYTES);
          const index = await this.residentIndex(file);
          let [from, to] = index.positionsBetween(start, end);
          while (from < to && index.timeAt(from) <= handedOut) from += 1;
          try {
            for (let position = from; position < to && position < index.size; position += 1) {
              this.assertOpen();
              const block = index.blockAt(position);
              let decoded = cache.get(block);
              if (!decoded) {
                decoded = await this.readBlock(file, block, generation, fetcher);
                if (cache.size >= ITERATION_BLOCK_CACHE)
                  cache.delete(cache.keys().next().value as BlockLocation);
                cache.set(block, decoded);
              }
              const slot = index.slotAt(position);
              const openTime = index.timeAt(position);
              if (decoded.openTime(slot) !== openTime) await this.rowMismatch(file, generation, block);
              handedOut = openTime;
              // Built right before it is handed out: the object dies young.
              yield decoded.candle(slot);
            }
            break;
          } catch (error) {
            if (!(error instanceof PartitionReplacedError) || attempt >= MAX_REPLACED_RETRIES) throw error;
          }
        }
      }
    }
  }

  /** The series' partition files overlapping [start, end] in time order; with candles only unless `includeEmpty`. */
  private filesBetween(
    series: SeriesState,
    start: number,
    end: number,
    includeEmpty = false,
  ): PartitionFile[] {
    return [...series.partitions.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, file]) => file)
      .filter(
        (file) =>
          (includeEmpty || file.index.size > 0) && file.bounds.end > start && file.bounds.start <= end,
      );
  }

  /**
   * The latest versions of the keys at index positions [from, to), ascending.
   * Blocks come from the decoded-block cache when there; the others are read
   * with one positioned read spanning them (windows of RANGE_READ_BYTES) and
   * decoded once.
   */
  /** Adds index positions [from, to) of `file` to `into` (in descending order if asked), reading missing blocks. */
  private async collectRows(
    file: PartitionFile,
    index: PartitionIndex,
    generation: number,
    from: number,
    to: number,
    descending: boolean,
    into: CandleRangeBuilder,
  ): Promise<void> {
    // Where each position lives, taken before any await: a commit during the reads below may
    // re-point a position at a newer block (the query then answers as of its start).
    const blocks = new Array<BlockLocation>(to - from);
    const slots = new Int32Array(to - from);
    const times = new Float64Array(to - from);
    for (let position = from; position < to; position += 1) {
      blocks[position - from] = index.blockAt(position);
      slots[position - from] = index.slotAt(position);
      times[position - from] = index.timeAt(position);
    }
    const decoded = new Map<BlockLocation, DecodedBlock>();
    const absent = new Set<BlockLocation>();
    for (const block of blocks) {
      if (decoded.has(block) || absent.has(block)) continue;
      const cached = this.blockCache.get(block);
      if (cached) decoded.set(block, cached);
      else absent.add(block);
    }
    if (absent.size > 0) {
      const missing = [...absent].sort((a, b) => a.offset - b.offset);
      const first = missing[0]!;
      const last = missing[missing.length - 1]!;
      const span = last.offset + last.totalLength - first.offset;
      const fetcher = new BlockFetcher(this.pool, file.path, file.end, Math.min(span, RANGE_READ_BYTES));
      for (const block of missing) {
        const fresh = await this.readBlock(file, block, generation, fetcher);
        decoded.set(block, fresh);
        this.blockCache.set(block, fresh);
      }
    }
    for (let k = 0; k < blocks.length; k += 1) {
      if (decoded.get(blocks[k]!)!.openTime(slots[k]!) !== times[k])
        await this.rowMismatch(file, generation, blocks[k]!);
    }
    if (descending) {
      for (let k = blocks.length - 1; k >= 0; k -= 1) into.push(decoded.get(blocks[k]!)!, slots[k]!);
    } else {
      for (let k = 0; k < blocks.length; k += 1) into.push(decoded.get(blocks[k]!)!, slots[k]!);
    }
  }

  /**
   * Reads one block, re-checks its CRC (the disk may have changed since open)
   * and that it is the block the index (of `generation`) means, decodes it.
   * Throws StaleIndexError when the file was replaced by its compacted copy
   * since that index was taken.
   */
  private async readBlock(
    file: PartitionFile,
    block: BlockLocation,
    generation: number,
    fetcher?: BlockFetcher,
  ): Promise<DecodedBlock> {
    const source = fetcher ?? new BlockFetcher(this.pool, file.path, block.offset + block.totalLength, 0);
    const bytes = await source.bytesOf(block);
    const header = bytes.length === block.totalLength ? readBlockHeader(bytes, 0) : undefined;
    if (
      !header ||
      header.payloadLength + BLOCK_HEADER_SIZE !== bytes.length ||
      header.sequence !== block.sequence ||
      header.candleCount !== block.candleCount ||
      header.firstOpenTime !== block.firstOpenTime ||
      header.lastOpenTime !== block.lastOpenTime ||
      !blockCrcValid(bytes, 0, header.payloadLength)
    ) {
      if (await this.replacedSince(file, generation)) throw new PartitionReplacedError(file.path);
      const problem: StorageProblem = {
        code: 'FTCD_CORRUPT_BLOCK',
        path: file.path,
        offset: block.offset,
        message: `Block CRC mismatch at offset ${block.offset} on read`,
      };
      this.report(problem);
      file.quarantine ??= problem;
      throw new FtcdCorruptBlockError(`${problem.message} in ${file.path}`);
    }
    let columns: DecodedBlock;
    try {
      columns = BinarySerializer.decodeBlockColumns(header.codec, bytes.subarray(BLOCK_HEADER_SIZE));
    } catch (error) {
      if (error instanceof FtcdDecodeError) throw this.badBlockContent(file, block, error.message);
      throw error;
    }
    if (columns.count !== block.candleCount)
      throw this.badBlockContent(file, block, 'Block candle count disagrees with its header');
    return columns;
  }

  /**
   * A block whose CRC is valid but whose payload does not decode or disagrees
   * with its index entry (only a faulty writer makes one): reported, and the
   * file quarantined, as when building the index finds it.
   */
  private badBlockContent(file: PartitionFile, block: BlockLocation, message: string): FtcdDecodeError {
    const problem: StorageProblem = {
      code: 'FTCD_BAD_BLOCK_CONTENT',
      path: file.path,
      offset: block.offset,
      message,
    };
    this.report(problem);
    file.quarantine ??= problem;
    return new FtcdDecodeError(`${message} (block at offset ${block.offset} of ${file.path})`);
  }

  // ------------------------------------------------------- files and index

  /**
   * Whether the file at the path is no longer the one `generation` described:
   * compacted here, or (read-only) replaced by the writer, which this then loads.
   */
  private async replacedSince(file: PartitionFile, generation: number): Promise<boolean> {
    if (file.generation !== generation) return true;
    if (!this.config.readOnly) return false;
    await this.refreshFile(file);
    return file.generation !== generation;
  }

  /** A decoded block does not hold the open time the index puts at that slot. */
  private async rowMismatch(file: PartitionFile, generation: number, block: BlockLocation): Promise<never> {
    if (await this.replacedSince(file, generation)) throw new PartitionReplacedError(file.path);
    throw this.badBlockContent(file, block, 'Block does not hold the open times its index expects');
  }

  /** The file's whole index (reloaded if released); outside commit cycles, trims the others to budget. */
  private async residentIndex(file: PartitionFile): Promise<PartitionIndex> {
    const index = await this.indexes.indexOf(file);
    if (!this.cycle) this.indexes.trim();
    return index;
  }

  /** The partition file of each key; runs of one series and partition (the usual batch) skip the lookup. */
  private partitionsOf(keys: readonly CandleKey[]): PartitionFile[] {
    const files = new Array<PartitionFile>(keys.length);
    let last: PartitionFile | undefined;
    for (let index = 0; index < keys.length; index += 1) {
      const key = keys[index]!;
      const reuse =
        last !== undefined &&
        key.openTime >= last.bounds.start &&
        key.openTime < last.bounds.end &&
        key.symbol === last.identity.symbol &&
        key.exchange === last.identity.exchange &&
        key.timeframe === last.identity.timeframe;
      if (!reuse) last = this.partitionFor(key);
      files[index] = last!;
    }
    return files;
  }

  private partitionFor(key: CandleKey): PartitionFile {
    const series = this.seriesState(key.exchange, key.symbol, key.timeframe);
    // A series without files gets the configured granularity, for good.
    series.granularity ??= this.organizer.granularityOf(key.timeframe);
    const { granularity } = series;
    const partition = this.organizer.partitionOf(key.timeframe, key.openTime, granularity);
    let file = series.partitions.get(partition);
    if (!file) {
      const path = this.organizer.partitionPath(
        key.exchange,
        key.symbol,
        key.timeframe,
        partition,
        granularity,
      );
      const bounds = this.organizer.boundsOf(key.timeframe, partition, granularity)!;
      file = new PartitionFile(
        path,
        { exchange: key.exchange, symbol: key.symbol, timeframe: key.timeframe, partition },
        bounds,
      );
      // The writer registered every file on open and creates the others itself: nothing to read.
      file.loaded = true;
      series.partitions.set(partition, file);
    }
    return file;
  }

  /** Registered partition files not loaded yet. */
  private unloadedFiles(): PartitionFile[] {
    const files: PartitionFile[] = [];
    for (const series of this.series.values())
      for (const file of series.partitions.values()) if (!file.loaded) files.push(file);
    return files;
  }

  /**
   * Writer, on open: per series, the newest partition files down to the first
   * one holding candles, and the one before that. A crash mid-append leaves
   * its torn tail in the former (repaired and reported now, as the health
   * status shows right after a restart); the latter is the partition sealed
   * last, which background compaction looks at when saves resume.
   */
  private async loadRecentPartitions(): Promise<void> {
    const recent: PartitionFile[][] = [];
    for (const series of this.series.values())
      recent.push(
        [...series.partitions.entries()]
          .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
          .map(([, file]) => file),
      );
    // Round by round across series (each round's reads overlap), until every series has its two.
    const withCandles = new Map<PartitionFile[], number>();
    for (let depth = 0; ; depth += 1) {
      const round: PartitionFile[] = [];
      for (const files of recent) {
        if ((withCandles.get(files) ?? 0) >= 2) continue;
        const file = files[depth];
        if (file) round.push(file);
      }
      if (round.length === 0) return;
      await this.loadPartitions(round);
      for (const files of recent) {
        const file = files[depth];
        if (!file) continue;
        const found = withCandles.get(files) ?? 0;
        // The newest file with candles counts, and then any file (the one before it).
        if (found > 0 || file.index.size > 0) withCandles.set(files, found + 1);
      }
    }
  }

  /**
   * The granularity a series directory's partition files are named in, or
   * undefined when it holds none. Files of several (copied in by hand, or left
   * by a version that wrote a changed `partitioning` into existing series): the
   * configured one when among them, else the most common; the others are
   * reported and not read.
   */
  private granularityOfFiles(
    timeframe: TimeframeName,
    entries: readonly string[],
  ): PartitionGranularity | undefined {
    const counts = new Map<PartitionGranularity, number>();
    for (const entry of entries) {
      if (!entry.endsWith(FTCD_EXTENSION)) continue;
      const named = this.organizer.nameGranularity(entry.slice(0, -FTCD_EXTENSION.length));
      if (named) counts.set(named, (counts.get(named) ?? 0) + 1);
    }
    if (counts.size === 0) return undefined;
    const configured = this.organizer.granularityOf(timeframe);
    if (counts.has(configured)) return configured;
    let chosen: PartitionGranularity | undefined;
    for (const [granularity, count] of counts)
      if (!chosen || count > counts.get(chosen)!) chosen = granularity;
    return chosen;
  }

  private seriesState(exchange: string, symbol: string, timeframe: TimeframeName): SeriesState {
    const id = seriesKeyToString({ exchange, symbol, timeframe });
    let series = this.series.get(id);
    if (!series) {
      series = { exchange, symbol, timeframe, partitions: new Map() };
      this.series.set(id, series);
    }
    return series;
  }

  /**
   * Finds every series directory and loads (or, read-only, refreshes) its
   * partition files; with `registerOnly`, only registers the files not known yet.
   */
  private async scanTree(registerOnly = false): Promise<void> {
    const baseDir = this.organizer.baseDir;
    for (const exchange of await listDirectories(baseDir)) {
      if (!isSafeName(exchange)) continue;
      for (const symbol of await listDirectories(join(baseDir, exchange))) {
        if (!isSafeName(symbol)) continue;
        for (const timeframe of await listDirectories(join(baseDir, exchange, symbol))) {
          if (isTimeframeName(timeframe)) await this.refreshSeries(exchange, symbol, timeframe, registerOnly);
        }
      }
    }
  }

  /**
   * Loads new partition files of a series and (read-only) blocks appended to
   * known ones. With `registerOnly` (read-only queries) new files are only
   * registered, and nothing is read: the query loads or refreshes each file
   * it reaches.
   */
  private async refreshSeries(
    exchange: string,
    symbol: string,
    timeframe: TimeframeName,
    registerOnly = false,
  ): Promise<void> {
    if (!isSafeName(exchange) || !isSafeName(symbol)) return;
    const dir = this.organizer.seriesDir(exchange, symbol, timeframe);
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const series = this.seriesState(exchange, symbol, timeframe);
    series.granularity ??= this.granularityOfFiles(timeframe, entries);
    const granularity = series.granularity ?? this.organizer.granularityOf(timeframe);
    const toLoad: PartitionFile[] = [];
    for (const entry of entries.sort()) {
      if (entry.endsWith(`${FTCD_EXTENSION}.tmp`)) {
        if (!this.config.readOnly) await this.removeTemporary(join(dir, entry));
        continue;
      }
      if (!entry.endsWith(FTCD_EXTENSION)) continue;
      const partition = entry.slice(0, -FTCD_EXTENSION.length);
      const path = join(dir, entry);
      const bounds = this.organizer.boundsOf(timeframe, partition, granularity);
      if (!bounds) {
        const named = this.organizer.nameGranularity(partition);
        this.report({
          code: 'FTCD_UNEXPECTED_FILE',
          path,
          message:
            named && named !== granularity
              ? `A ${named} partition in a series partitioned by ${granularity}: a series is read in one granularity, so its candles are not read`
              : `Not a ${granularity} partition name`,
        });
        continue;
      }
      let file = series.partitions.get(partition);
      if (file?.exists) {
        if (this.config.readOnly && !registerOnly) await this.refreshFile(file);
        continue;
      }
      if (!file) {
        file = new PartitionFile(
          this.organizer.inside(path),
          { exchange, symbol, timeframe, partition },
          bounds,
        );
        series.partitions.set(partition, file);
      }
      toLoad.push(file);
    }
    if (!registerOnly) await this.loadPartitions(toLoad);
  }

  /**
   * Loads partition files from disk (a writer also repairs torn tails). A file
   * already being loaded (two read-only queries reaching it at once, or a
   * listing) is waited for, not loaded twice.
   */
  private loadPartitions(files: readonly PartitionFile[]): Promise<void> {
    const pending: Promise<void>[] = [];
    const fresh: PartitionFile[] = [];
    for (const file of files) {
      const loading = this.loads.get(file);
      if (loading) pending.push(loading);
      else fresh.push(file);
    }
    if (fresh.length > 0) {
      const batch = this.readPartitions(fresh).finally(() => {
        for (const file of fresh) if (this.loads.get(file) === batch) this.loads.delete(file);
      });
      for (const file of fresh) this.loads.set(file, batch);
      pending.push(batch);
    }
    return Promise.all(pending).then(() => undefined);
  }

  private async readPartitions(toLoad: readonly PartitionFile[]): Promise<void> {
    // Reads run a few files ahead of loading (CPU-bound: CRCs, headers), so I/O waits overlap it.
    const reads: (Promise<FileOpening | Error> | undefined)[] = [];
    const startRead = (k: number) => {
      const file = toLoad[k];
      if (file) reads[k] = readForOpening(file.path).catch((error: unknown) => error as Error);
    };
    for (let k = 0; k < FILE_READ_AHEAD; k += 1) startRead(k);
    for (let k = 0; k < toLoad.length; k += 1) {
      const file = toLoad[k]!;
      const opening = await reads[k]!;
      reads[k] = undefined;
      startRead(k + FILE_READ_AHEAD);
      try {
        if (opening instanceof Error) throw opening;
        if ('walk' in opening && file.loadHeaders(opening.walk)) {
          file.inode = opening.inode;
          this.indexes.touch(file);
        } else
          await this.loadFileImage(file, 'image' in opening ? opening.image : await readFileImage(file.path));
        this.markLoaded(file);
      } catch (error) {
        if (!this.config.readOnly && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          // Removed by hand since the writer registered it (nothing else renames or removes a
          // writer's files): it holds nothing now, as if removed before opening, and the next
          // save into its partition creates it again instead of failing until a restart.
          file.reset();
          this.markLoaded(file);
          continue;
        }
        // Not loaded: the next use tries again (a writer refuses to append to it meanwhile).
        this.loadFailures.set(file, error);
        this.report({ code: 'FTCD_IO_ERROR', path: file.path, message: (error as Error).message });
      }
    }
  }

  /** A file read (or found gone): a read failure reported before is over. */
  private markLoaded(file: PartitionFile): void {
    file.loaded = true;
    // Only the whole-file failure of a load (no offset), not damage found inside the file.
    if (this.loadFailures.delete(file))
      this.forgetProblems(
        'FTCD_IO_ERROR',
        (problem) => problem.path === file.path && problem.offset === undefined,
      );
  }

  private async loadFileImage(file: PartitionFile, { bytes: image, inode }: FileImage): Promise<void> {
    const { problems, tornTailAt } = file.loadImage(image);
    file.inode = inode;
    for (const problem of problems) this.report(problem);
    this.indexes.touch(file);
    // Opening a large store loads every file once: keep only the budget's worth whole.
    if (!this.cycle) this.indexes.trim();
    if (tornTailAt !== undefined && !this.config.readOnly) {
      // Nothing valid follows: the bytes of a crashed append that no save ever acknowledged.
      await truncate(file.path, tornTailAt);
      await this.pool.use(file.path, (handle) => handle.sync());
      this.repairList.push({
        kind: 'torn-tail-truncated',
        path: file.path,
        offset: tornTailAt,
        bytes: image.length - tornTailAt,
      });
    }
  }

  /**
   * Read-only: ingests whole blocks appended since the last look; stops at a
   * partial tail. Refreshes of one file run one after the other: two queries
   * at once would otherwise both ingest the same appended blocks, and the
   * second would see a sequence gap and quarantine a healthy file.
   */
  private refreshFile(file: PartitionFile): Promise<void> {
    const previous = this.refreshes.get(file);
    const next = (previous ?? Promise.resolve()).then(
      () => this.ingestAppended(file),
      () => this.ingestAppended(file),
    );
    this.refreshes.set(file, next);
    const forget = () => {
      if (this.refreshes.get(file) === next) this.refreshes.delete(file);
    };
    next.then(forget, forget);
    return next;
  }

  private async ingestAppended(file: PartitionFile): Promise<void> {
    // The writer may have replaced the file by its compacted copy: a new inode at the same path.
    const { ino, size } = await stat(file.path);
    if (file.inode !== undefined && ino !== file.inode) return this.reloadReplaced(file);
    if (file.quarantine) return;
    if (size <= file.end) return;
    const bytes = new Uint8Array(size - file.end);
    const start = file.end;
    const generation = file.generation;
    const replaced = await this.pool.use(file.path, async (handle) => {
      // Replaced since the stat above: the appended bytes would be another file's.
      if (file.inode !== undefined && (await handle.stat()).ino !== file.inode) return true;
      await handle.read(bytes, 0, bytes.length, start);
      return false;
    });
    if (replaced) return this.reloadReplaced(file);
    this.config.probe?.('refresh:read', { path: file.path, position: start, bytes: bytes.length });
    // New blocks are added to the whole index (reloaded up to `start` if it was released).
    await this.residentIndex(file);
    // Reloading it found the file replaced by its compacted copy since the read above: the copy,
    // loaded whole, holds these blocks too, and the bytes read belong to the original.
    if (file.generation !== generation) return;
    const { problems } = file.ingest(bytes, 0, start);
    for (const problem of problems) this.report(problem);
  }

  /**
   * Read-only: the writer replaced the file by its compacted copy. Loads the
   * copy; reads holding the old index notice the new generation and start over.
   */
  private async reloadReplaced(file: PartitionFile): Promise<void> {
    // Dropped first: from now on a read opens the copy, never the original with the new index.
    const evicted = this.pool.evict(file.path);
    const { bytes, inode } = await readFileImage(file.path);
    await evicted;
    file.generation += 1;
    const { problems } = file.loadImage(bytes);
    file.inode = inode;
    for (const problem of problems) this.report(problem);
    this.indexes.touch(file);
  }

  private async removeTemporary(path: string): Promise<void> {
    const size = (await stat(path)).size;
    await rm(path, { force: true });
    await fsyncDirectory(join(path, '..'));
    this.repairList.push({ kind: 'temporary-file-removed', path, bytes: size });
  }

  /** Forgets every problem reported about the file at `path` (it was repaired). */
  private forgetProblemsOf(path: string): void {
    for (let index = this.problemList.length - 1; index >= 0; index -= 1)
      if (this.problemList[index]!.path === path) this.problemList.splice(index, 1);
  }

  private forgetProblems(
    code: StorageProblem['code'],
    matches: (problem: StorageProblem) => boolean = () => true,
  ): void {
    for (let index = this.problemList.length - 1; index >= 0; index -= 1) {
      const problem = this.problemList[index]!;
      if (problem.code === code && matches(problem)) this.problemList.splice(index, 1);
    }
  }

  private report(problem: StorageProblem): void {
    const known = this.problemList.some(
      (existing) =>
        existing.path === problem.path &&
        existing.offset === problem.offset &&
        existing.code === problem.code,
    );
    if (!known) this.problemList.push(problem);
  }

  private assertOpen(): void {
    if (this.closed || this.closing) throw new StorageClosedError('.ftcd candle store');
  }
}

/** A read-only store needs its directory: a mistyped path fails here, not as an empty store. */
function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/**
 * A writer's store directory, created (durably) when missing; a file in its
 * place or on its path is a config error, any other refusal (EACCES, procfs)
 * is thrown as createDirectories words it, with its errno code.
 */
async function createStoreDirectory(baseDir: string): Promise<void> {
  try {
    await createDirectories(baseDir, 'the store directory', { durable: true });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code !== 'ENOTDIR' && code !== 'EEXIST') throw error;
  }
  const found = await stat(baseDir).catch(() => undefined);
  if (!found?.isDirectory())
    throw new InvalidStorageConfigError(
      `Invalid binary storage config: baseDir ${baseDir} is not a directory (a file is in its place or on its path)`,
    );
}

async function assertStoreDirectory(baseDir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(baseDir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    isDirectory = false;
  }
  if (!isDirectory) throw new StoreNotFoundError(`Cannot open read-only: ${baseDir} is not a directory`);
}

async function listDirectories(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Bins of a batch, for the columns' initial capacity (the checks come later, candle by candle). */
/** Bytes of staging columns holding `candles` rows of `bins` bins in all (CandleColumns.capacityBytes' weights). */
function stagedBytes(candles: number, bins: number): number {
  return candles * CANDLE_ROW_BYTES + bins * BIN_ROW_BYTES;
}

function binCountOf(candles: readonly FootprintCandleDTO[]): number {
  let bins = 0;
  for (const candle of candles) bins += Array.isArray(candle?.aggs) ? candle.aggs.length : 0;
  return bins;
}
