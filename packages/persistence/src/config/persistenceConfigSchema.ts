import { z } from 'zod';
import { ftcdTuningSchemas } from '../shared/storage/ftcd/BinaryStorageConfig';

/** Linux limits `sun_path` to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const storageSchema = z.strictObject({
  baseDir: z.string().min(1, 'must be a non-empty directory path'),
  useDatabase: z.boolean().default(false),
  organizeByExchange: z.boolean().default(false),
  maxCandlesPerBlock: z.number().int().positive().optional(),
  walMode: z.boolean().default(true),
  cacheSize: z.number().int().positive().optional(),
  mmapSize: z.number().int().nonnegative().optional(),
  // `.ftcd` tuning (BinaryStorageConfig, which holds the defaults of the optional ones; the
  // SQLite store ignores them). Checked here so a bad value fails bootstrap() with its path.
  partitioning: ftcdTuningSchemas.partitioning.optional(),
  compression: ftcdTuningSchemas.compression.optional(),
  maxOpenFiles: ftcdTuningSchemas.maxOpenFiles.optional(),
  blockCacheBytes: ftcdTuningSchemas.blockCacheBytes.optional(),
  indexMemoryBytes: ftcdTuningSchemas.indexMemoryBytes.optional(),
  createPartitionsAhead: ftcdTuningSchemas.createPartitionsAhead.optional(),
  compactSealedPartitions: ftcdTuningSchemas.compactSealedPartitions.default(true),
  verifyInBackground: ftcdTuningSchemas.verifyInBackground.optional(),
});

const validationSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    strictMode: z.boolean().default(false),
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    alertThreshold: z.number().min(0).max(1).default(0.01),
    /** Rolling window of the error rate: the last `windowSize` candles … */
    windowSize: z.number().int().positive().default(1000),
    /** … that arrived within the last `windowMs` milliseconds. */
    windowMs: z.number().int().positive().default(60_000),
  })
  .refine((v) => v.alertThreshold <= v.maxErrorRate, {
    message: 'alertThreshold must not exceed maxErrorRate',
    path: ['alertThreshold'],
  });

/**
 * The seed's `PersistenceBootstrapConfig` plus optional FlowTrace additions
 * (`healthCheckHost`, `maxConnections`, `stopTimeoutMs`, `rejectedLogPath`,
 * `validation.windowSize/windowMs`, the `.ftcd` tuning under `storage`). Defaults are listed in docs/persistence.md.
 */
export const persistenceConfigSchema = z.strictObject({
  socketPath: z
    .string()
    .min(1, 'must be a non-empty path')
    .refine((p) => Buffer.byteLength(p) <= MAX_SOCKET_PATH_BYTES, {
      message: `must be at most ${MAX_SOCKET_PATH_BYTES} bytes (Unix socket path limit)`,
    }),
  queuePath: z.string().min(1, 'must be a non-empty path'),
  storage: storageSchema,
  /** undefined: no HTTP server; 0: an ephemeral port (read it from `app.healthPort`). */
  healthCheckPort: z.number().int().min(0).max(65_535).optional(),
  healthCheckHost: z.string().min(1).default('127.0.0.1'),
  pollInterval: z.number().int().positive().max(3_600_000).default(1000),
  // A backlog drains with three fsyncs per batch (lease, store, mark processed): 500 keeps that
  // per candle small after an outage, well within the 30 s lease.
  batchSize: z.number().int().positive().max(10_000).default(500),
  validation: validationSchema.default({
    enabled: true,
    strictMode: false,
    maxErrorRate: 0.05,
    alertThreshold: 0.01,
    windowSize: 1000,
    windowMs: 60_000,
  }),
  maxConnections: z.number().int().positive().default(100),
  stopTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Default `{storage.baseDir}/rejected-candles.jsonl`. */
  rejectedLogPath: z.string().min(1).optional(),
});

/** What callers write (seed shape; every field with a default may be left out). */
export type PersistenceBootstrapConfig = z.input<typeof persistenceConfigSchema>;
/** After validation: defaults applied, frozen. */
export type ResolvedPersistenceConfig = DeepReadonly<z.output<typeof persistenceConfigSchema>>;

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };
