import { TIMEFRAME_NAMES } from '@flowtrace/core';
import { z } from 'zod';
import { InvalidStorageConfigError } from '../errors/StorageErrors';
import { defaultMaxOpenFiles, openFileLimit } from '../file/openFileLimit';
import { PARTITION_GRANULARITIES, type StorageOrganizationConfig } from '../file/StorageOrganizer';
import type { StorageProbe } from '../StorageProbe';

export interface BinaryStorageConfig extends StorageOrganizationConfig {
  /** Open for reading only, beside a running writer: no lock, no repairs, no writes. Default false. */
  readOnly?: boolean;
  /** At most this many candles per block; a bigger saveMany writes several blocks. Default 256. */
  maxCandlesPerBlock?: number;
  /**
   * DEFLATE block payloads when it saves >= 10 %. Default true. Appends of
   * fewer than 16 candles (live saves) are left uncompressed while
   * `compactSealedPartitions` compresses them once their partition is sealed.
   */
  compression?: boolean;
  /**
   * Idle partition file handles kept open (LRU). Default: a quarter of the
   * process's open-file limit, between 128 and 8192 (128 where the limit
   * cannot be read). Keep it above the number of series written at once.
   */
  maxOpenFiles?: number;
  /** Memory for decoded blocks kept for repeated reads (LRU), bytes; 0 disables. Default 32 MiB. */
  blockCacheBytes?: number;
  /**
   * Memory for whole partition indexes (LRU, bytes); the others keep a summary
   * and are rebuilt from their file when used. A save after a partition's
   * last candle (live) needs no index; keep the budget above the indexes of
   * the partitions re-saved or backfilled at once. Default 8 MiB.
   */
  indexMemoryBytes?: number;
  /**
   * When a commit writes to a series' newest partition, create the next
   * partition file (header only) in the background, so the first candle of
   * the next day/month/year does not wait for a file creation. Default true.
   */
  createPartitionsAhead?: boolean;
  /**
   * When a series starts writing to a partition, compact its older partitions
   * that live saves left in many small blocks (see `compact()`), in the
   * background. Default true.
   */
  compactSealedPartitions?: boolean;
  /**
   * Writer: read the partition files that opening does not load (each
   * series' older ones) one at a time while the store is quiet, so damage in
   * files nothing has used yet shows in `health()` soon after a start rather
   * than on their first use. Default true.
   */
  verifyInBackground?: boolean;
  /** Tests and tracing only: told synchronously of each write-path point (StorageProbe.ts). */
  probe?: StorageProbe;
}

/**
 * The `.ftcd` tuning options as plain data, without defaults: the one
 * definition of their limits, used here (with the defaults) and by the
 * persistence config (bootstrap, daemon), where a bad value must fail at the
 * boundary with its path rather than when the store opens.
 */
export const ftcdTuningSchemas = {
  partitioning: z.partialRecord(z.enum(TIMEFRAME_NAMES), z.enum(PARTITION_GRANULARITIES)),
  compression: z.boolean(),
  maxOpenFiles: z.number().int().min(1).max(100_000),
  blockCacheBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  indexMemoryBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  createPartitionsAhead: z.boolean(),
  compactSealedPartitions: z.boolean(),
  verifyInBackground: z.boolean(),
} as const;

const tuning = ftcdTuningSchemas;

const schema = z
  .object({
    baseDir: z.string().min(1),
    readOnly: z.boolean().default(false),
    maxCandlesPerBlock: z.number().int().min(1).max(1_000_000).default(256),
    compression: tuning.compression.default(true),
    maxOpenFiles: tuning.maxOpenFiles.optional(),
    blockCacheBytes: tuning.blockCacheBytes.default(32 << 20),
    indexMemoryBytes: tuning.indexMemoryBytes.default(8 << 20),
    partitioning: tuning.partitioning.default({}),
    createPartitionsAhead: tuning.createPartitionsAhead.default(true),
    compactSealedPartitions: tuning.compactSealedPartitions.default(true),
    verifyInBackground: tuning.verifyInBackground.default(true),
  })
  .passthrough();

export type ResolvedBinaryStorageConfig = Readonly<Required<Omit<BinaryStorageConfig, 'probe'>>> & {
  readonly probe: StorageProbe | undefined;
};

export function resolveBinaryStorageConfig(config: BinaryStorageConfig): ResolvedBinaryStorageConfig {
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'config'} ${issue.message}`,
    );
    throw new InvalidStorageConfigError(`Invalid binary storage config: ${details.join('; ')}`);
  }
  // A function, not plain data: checked here rather than by the schema.
  const probe: unknown = config.probe;
  if (probe !== undefined && typeof probe !== 'function') {
    throw new InvalidStorageConfigError('Invalid binary storage config: probe must be a function');
  }
  const { baseDir, readOnly, maxCandlesPerBlock, compression, maxOpenFiles, blockCacheBytes, partitioning } =
    parsed.data;
  const { indexMemoryBytes, createPartitionsAhead, compactSealedPartitions, verifyInBackground } =
    parsed.data;
  return Object.freeze({
    baseDir,
    readOnly,
    maxCandlesPerBlock,
    compression,
    maxOpenFiles: maxOpenFiles ?? defaultMaxOpenFiles(openFileLimit()),
    blockCacheBytes,
    indexMemoryBytes,
    partitioning,
    createPartitionsAhead,
    compactSealedPartitions,
    verifyInBackground,
    probe: config.probe,
  });
}
