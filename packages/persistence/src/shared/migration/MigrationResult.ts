import type { LegacyDefaultsReport } from '../storage/serialization/flatbuffer/legacy/LegacyDefaultsTally';
import type { SourceProblem } from './source/MigrationSource';

/** Emitted after every durable batch and at the end of every series. */
export interface MigrationProgress {
  /** `exchange:symbol:timeframe` being migrated. */
  series: string;
  /** 0-based position of that series, and how many series the migration covers. */
  seriesIndex: number;
  seriesCount: number;
  /** Candles of this series migrated so far (earlier runs included). */
  seriesMigrated: number;
  /** Candles the source reported for this series, when it knows. */
  seriesTotal: number | undefined;
  /** Candles migrated so far over all series (earlier runs included). In a dry run: read and accepted. */
  migrated: number;
  /** Candles the source reported over all series, when it knows. */
  total: number | undefined;
  /** Candles per second in this run. */
  rate: number;
  elapsedMs: number;
  dryRun: boolean;
}

/** A candle that failed @flowtrace/core validation. */
export interface InvalidCandleReport {
  /** `exchange:symbol:timeframe:openTime`. */
  key: string;
  issues: { path: string; rule: string; message: string }[];
}

export interface SeriesMigrationResult {
  exchange: string;
  symbol: string;
  timeframe: string;
  /** Candles the source listed for the series. */
  sourceCount: number;
  /** Migrated by earlier runs (from the checkpoint). */
  resumedFrom: number;
  /** Read from the source in this run. */
  read: number;
  /** Migrated over all runs (dry run: would be). */
  migrated: number;
  /** Skipped as invalid over all runs. */
  invalid: number;
  /** Open time of the newest migrated candle, or null. */
  lastOpenTime: number | null;
  done: boolean;
}

export type MigrationStatus = 'completed' | 'aborted' | 'stopped-on-invalid';

export interface MigrationResult {
  status: MigrationStatus;
  migrationId: string;
  dryRun: boolean;
  /** A checkpoint of an earlier run was found and resumed. */
  resumed: boolean;
  /** Runs recorded by the checkpoint, this one included (1 without a checkpoint). */
  runs: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  totals: {
    series: number;
    /** Candles the source listed. */
    source: number;
    /** Read from the source in this run. */
    read: number;
    /** Migrated over all runs (dry run: would be). */
    migrated: number;
    /** Migrated in this run. */
    migratedThisRun: number;
    /** Target `saveMany` outcome in this run: new/replaced candles and identical no-ops. */
    written: number;
    unchanged: number;
    /** Invalid candles over all runs. */
    invalid: number;
  };
  /** Candles per second in this run. */
  rate: number;
  series: SeriesMigrationResult[];
  /** Invalid candles: the first `maxReportedInvalid` of this run, in source order. */
  invalid: InvalidCandleReport[];
  /** Legacy sources: fields this run had to default, and in how many candles. */
  defaulted: LegacyDefaultsReport | undefined;
  /** Why the migration stopped early, if it did. */
  stopReason: string | undefined;
  /**
   * What the source left out of its reads (undecodable or duplicated legacy
   * rows, damaged `.ftcd` files): candles that were not migrated and that no
   * comparison can see missing.
   */
  sourceProblems: SourceProblem[];
}
