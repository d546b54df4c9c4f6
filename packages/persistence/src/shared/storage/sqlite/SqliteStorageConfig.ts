import { z } from 'zod';
import { InvalidStorageConfigError } from '../errors/StorageErrors';
import type { StorageProbe } from '../StorageProbe';

/** Options of SQLiteFlatBufferStorage: the seed's storage options plus `readOnly`. */
export const sqliteStorageConfigSchema = z.strictObject({
  /** Directory holding the database(s); created when missing (unless readOnly). */
  baseDir: z.string().min(1, 'must be a non-empty directory path'),
  /** One database per exchange (`{baseDir}/{exchange}/candles-flatbuffers.db`) instead of one. */
  organizeByExchange: z.boolean().default(false),
  /**
   * Rows layout (one candle per row): the most candles read per page while
   * iterating or scanning, bounding memory. Default 1000.
   */
  maxCandlesPerBlock: z.number().int().positive().max(1_000_000).default(1000),
  /** WAL journal (default) or a rollback journal; both with synchronous=FULL. */
  walMode: z.boolean().default(true),
  /** SQLite page cache per database, KB. Default 16384 (16 MiB). */
  cacheSize: z.number().int().positive().default(16_384),
  /** Memory-mapped I/O per database, bytes; 0 disables. Default 256 MiB. */
  mmapSize: z
    .number()
    .int()
    .nonnegative()
    .default(256 * 1024 * 1024),
  /** Open existing databases read-only (`fileMustExist`); saves reject. Works beside a live writer (WAL). */
  readOnly: z.boolean().default(false),
  /** How long a connection waits for another process's lock, ms. Default 5000. */
  busyTimeoutMs: z.number().int().nonnegative().default(5000),
});

export type SqliteStorageConfig = z.input<typeof sqliteStorageConfigSchema> & {
  /** Tests and tracing only: told synchronously of sqlite:before-commit / sqlite:committed (StorageProbe.ts). */
  probe?: StorageProbe;
};
export type ResolvedSqliteStorageConfig = Readonly<
  z.output<typeof sqliteStorageConfigSchema> & { probe: StorageProbe | undefined }
>;

export function resolveSqliteStorageConfig(config: SqliteStorageConfig): ResolvedSqliteStorageConfig {
  // A function, not plain data: checked here, the rest by the (strict) schema.
  const { probe, ...data } = (config ?? {}) as SqliteStorageConfig;
  if (probe !== undefined && typeof probe !== 'function') {
    throw new InvalidStorageConfigError('Invalid SQLite storage config: probe must be a function');
  }
  const parsed = sqliteStorageConfigSchema.safeParse(data);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'config'} ${issue.message}`,
    );
    throw new InvalidStorageConfigError(`Invalid SQLite storage config: ${details.join('; ')}`);
  }
  return Object.freeze({ ...parsed.data, probe });
}
