import { z } from 'zod';
import type { CandleStoragePort } from '../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { InvalidMigrationConfigError } from './MigrationErrors';
import type { MigrationProgress } from './MigrationResult';
import type { MigrationSource } from './source/MigrationSource';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const sourceSchema = z.custom<MigrationSource>(
  (value) => isObject(value) && typeof value.listSeries === 'function' && typeof value.iterate === 'function',
  'must have listSeries() and iterate() (a CandleStoragePort or a legacy reader)',
);
const targetSchema = z.custom<CandleStoragePort>(
  (value) => isObject(value) && typeof value.saveMany === 'function' && typeof value.flush === 'function',
  'must be a CandleStoragePort',
);

export const migrationConfigSchema = z.strictObject({
  /** Where candles come from: a CandleStoragePort of either kind, LegacySqliteCandleReader or LegacyFtcdDirectorySource. */
  source: sourceSchema,
  /** Where they go. Saves must be idempotent (the port guarantees it), so a resumed batch may be re-sent. */
  target: targetSchema,
  /** Candles per `saveMany` (one durable commit, then one checkpoint write). Default 1000. */
  batchSize: z.number().int().min(1).max(1_000_000).default(1000),
  /** Checkpoint file; when it exists the migration resumes from it. Without it a migration cannot resume. */
  checkpointPath: z.string().min(1).optional(),
  /** Tag stored in the checkpoint: resuming with another id is refused. Default `default`. */
  migrationId: z.string().min(1).default('default'),
  /** Read, validate and count only: nothing is written to the target nor to the checkpoint. */
  dryRun: z.boolean().default(false),
  /** Run @flowtrace/core validation on every candle read. Default true (legacy data was never validated). */
  validateCandles: z.boolean().default(true),
  /** On a candle failing validation: `skip` it (counted and reported) or `stop` the migration. Default `skip`. */
  onInvalidCandle: z.enum(['skip', 'stop']).default('skip'),
  /** How many invalid candles are reported in detail (all are counted). Default 20. */
  maxReportedInvalid: z.number().int().nonnegative().default(20),
  /** Only series matching every given field are migrated. */
  filter: z
    .strictObject({
      exchange: z.string().optional(),
      symbol: z.string().optional(),
      timeframe: z.string().optional(),
    })
    .default({}),
  /** Stops the migration cleanly at the next candle; the checkpoint keeps what is durable. */
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal, 'must be an AbortSignal').optional(),
  /** Called after every durable batch and at the end of every series (also emitted as `progress`). */
  onProgress: z
    .custom<(progress: MigrationProgress) => void>((value) => typeof value === 'function')
    .optional(),
});

export type MigrationConfig = z.input<typeof migrationConfigSchema>;
export type ResolvedMigrationConfig = Readonly<z.output<typeof migrationConfigSchema>>;

export function resolveMigrationConfig(config: MigrationConfig): ResolvedMigrationConfig {
  const parsed = migrationConfigSchema.safeParse(config);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'config'} ${issue.message}`,
    );
    throw new InvalidMigrationConfigError(`Invalid migration config: ${details.join('; ')}`);
  }
  return Object.freeze({ ...parsed.data, filter: Object.freeze({ ...parsed.data.filter }) });
}
