import { z } from 'zod';

/** Format tag written in every checkpoint file. */
export const MIGRATION_CHECKPOINT_FORMAT = 'flowtrace-migration-checkpoint';
export const MIGRATION_CHECKPOINT_VERSION = 1;

const seriesProgressSchema = z.strictObject({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  /** Open time (epoch ms) of the newest candle durable in the target; resume reads from the next one. */
  lastOpenTime: z.number().int(),
  /** Candles of this series durable in the target (source order), over all runs. */
  migrated: z.number().int().nonnegative(),
  /** Candles of this series skipped as invalid, over all runs. */
  invalid: z.number().int().nonnegative(),
  /** The whole series has been migrated. */
  done: z.boolean(),
});

export const migrationCheckpointSchema = z.strictObject({
  format: z.literal(MIGRATION_CHECKPOINT_FORMAT),
  version: z.literal(MIGRATION_CHECKPOINT_VERSION),
  /** `MigrationConfig.migrationId`: a checkpoint is only resumed by the migration that wrote it. */
  migrationId: z.string(),
  /** ISO time of the first run. */
  startedAt: z.string(),
  /** ISO time of this write. */
  updatedAt: z.string(),
  /** Runs that wrote to this checkpoint (1 for a migration never interrupted). */
  runs: z.number().int().positive(),
  series: z.array(seriesProgressSchema),
});

export type SeriesCheckpoint = z.infer<typeof seriesProgressSchema>;
export type MigrationCheckpoint = z.infer<typeof migrationCheckpointSchema>;
