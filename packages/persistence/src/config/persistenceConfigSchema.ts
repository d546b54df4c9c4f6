import { DEFAULT_MAX_FRAME_BYTES, maxSocketPathBytes } from '@flowtrace/ipc/features/unix-socket';
import { z } from 'zod';
import { ftcdTuningSchemas } from '../shared/storage/ftcd/BinaryStorageConfig';

const MAX_FRAME_BYTES_LIMIT = 256 * 1024 * 1024;

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
  /**
   * Less free space than this on the filesystem holding `baseDir` turns the
   * storage health degraded, before writes start failing (0: never). 1 GiB.
   */
  minFreeBytes: z
    .number()
    .int()
    .nonnegative()
    .default(2 ** 30),
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
    /**
     * The rate is judged (warnings, health) only once the window holds this
     * many candles (or `windowSize`, if smaller): one rejection among the
     * first few candles after a start is not a 20 % error rate.
     */
    minSamples: z.number().int().positive().default(20),
  })
  .refine((v) => v.alertThreshold <= v.maxErrorRate, {
    message: 'alertThreshold must not exceed maxErrorRate',
    path: ['alertThreshold'],
  });

const octal = (mode: number): string => `0o${mode.toString(8).padStart(3, '0')}`;

/**
 * Permission bits of the socket file: read and write for owner, group, other
 * (0o600 owner only; 0o660 admits the socket's group). Execute, setuid, setgid
 * and sticky bits mean nothing on a socket and are refused as likely mistakes.
 */
const socketModeSchema = z
  .number()
  .int('must be an octal permission such as 0o600 or 0o660')
  .refine((mode) => mode >= 0 && mode <= 0o777 && (mode & 0o111) === 0, {
    error: (issue) => {
      const mode = issue.input as number;
      const shown = mode >= 0 ? octal(mode) : String(mode);
      return mode < 0 || mode > 0o777
        ? `must be permission bits within 0o777, such as 0o600 or 0o660; got ${shown}`
        : `must not grant execute permission (a socket needs read and write only), such as 0o600 or 0o660; got ${shown}`;
    },
  });

/**
 * The seed's `PersistenceBootstrapConfig` plus optional FlowTrace additions
 * (`healthCheckHost`, `maxConnections`, `maxFrameBytes`, `socketMode`, `stopTimeoutMs`, `rejectedLogPath`,
 * `validation.windowSize/windowMs`, the `.ftcd` tuning under `storage`). Defaults are listed in docs/persistence.md.
 */
export const persistenceConfigSchema = z.strictObject({
  socketPath: z
    .string()
    .min(1, 'must be a non-empty path')
    // The server's own limit (docs/ipc-protocol.md): 107 bytes on Linux (`sun_path` with its NUL),
    // less for a file name under 10 bytes, as the server binds through a temporary path first.
    .refine((p) => Buffer.byteLength(p) <= maxSocketPathBytes(p), {
      error: (issue) => {
        const p = String(issue.input);
        return `must be at most ${maxSocketPathBytes(p)} bytes (Unix socket path limit; got ${Buffer.byteLength(p)})`;
      },
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
    minSamples: 20,
  }),
  maxConnections: z.number().int().positive().default(100),
  /**
   * Largest socket frame read, in bytes: the bound of what one connection makes the service
   * allocate at once. A larger frame is answered FLOWTRACE_FRAME_TOO_LARGE and its connection
   * closed. At most 256 MiB: far below V8's string limit (~512 MiB) for the frame's JSON text.
   */
  maxFrameBytes: z
    .number()
    .int()
    .min(1024, 'must be at least 1024 bytes (a frame must hold a candle)')
    .max(MAX_FRAME_BYTES_LIMIT, `must be at most ${MAX_FRAME_BYTES_LIMIT} bytes (256 MiB)`)
    .default(DEFAULT_MAX_FRAME_BYTES),
  /** Mode of the socket file (default 0o600, owner only; 0o660 lets the socket's group connect). */
  socketMode: socketModeSchema.default(0o600),
  stopTimeoutMs: z.number().int().nonnegative().default(10_000),
  /** Default `{storage.baseDir}/rejected-candles.jsonl`. */
  rejectedLogPath: z.string().min(1).optional(),
});

/** What callers write (seed shape; every field with a default may be left out). */
export type PersistenceBootstrapConfig = z.input<typeof persistenceConfigSchema>;
/** After validation: defaults applied, frozen. */
export type ResolvedPersistenceConfig = DeepReadonly<z.output<typeof persistenceConfigSchema>>;

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };
