import { EventEmitter } from 'node:events';
import { type FootprintCandleDTO, validateFootprintCandle } from '@flowtrace/core';
import type { SeriesInfo } from '../../features/candlePersistence/application/ports/out/CandleStoragePort';
import type { LegacyDefaultsReport } from '../storage/serialization/flatbuffer/legacy/LegacyDefaultsTally';
import { CheckpointFile } from './checkpoint/CheckpointFile';
import {
  MIGRATION_CHECKPOINT_FORMAT,
  MIGRATION_CHECKPOINT_VERSION,
  type MigrationCheckpoint,
  type SeriesCheckpoint,
} from './checkpoint/MigrationCheckpoint';
import {
  type MigrationConfig,
  type ResolvedMigrationConfig,
  resolveMigrationConfig,
} from './MigrationConfig';
import {
  MigrationAlreadyRunningError,
  MigrationCheckpointError,
  MigrationSourceOrderError,
} from './MigrationErrors';
import type {
  InvalidCandleReport,
  MigrationProgress,
  MigrationResult,
  MigrationStatus,
  SeriesMigrationResult,
} from './MigrationResult';
import { candleLabel, readSourceProblems, seriesLabel } from './source/MigrationSource';

interface MigratorEvents {
  progress: [MigrationProgress];
}

/** Per-run counters, beside the checkpoint's over-all-runs ones. */
interface RunState {
  readonly startedAt: number;
  read: number;
  migratedThisRun: number;
  written: number;
  unchanged: number;
  migratedBefore: number;
  invalid: InvalidCandleReport[];
  stopReason: string | undefined;
  status: MigrationStatus;
}

/**
 * Copies every candle of a source (any store, or the original platform's
 * files/database) into a target CandleStoragePort: streamed series by series in
 * batches (memory bounded by one batch plus the source's page), each batch made
 * durable with `saveMany` before the checkpoint records it, so a killed
 * migration resumes where the target's durable data ends. See docs/migration.md.
 */
export class StorageMigrator extends EventEmitter<MigratorEvents> {
  readonly config: ResolvedMigrationConfig;
  private readonly checkpointFile: CheckpointFile | undefined;
  private running = false;

  constructor(config: MigrationConfig) {
    super();
    this.config = resolveMigrationConfig(config);
    this.checkpointFile = this.config.checkpointPath
      ? new CheckpointFile(this.config.checkpointPath)
      : undefined;
  }

  async migrate(): Promise<MigrationResult> {
    if (this.running) throw new MigrationAlreadyRunningError();
    this.running = true;
    try {
      return await this.run();
    } finally {
      this.running = false;
    }
  }

  private async run(): Promise<MigrationResult> {
    const { config } = this;
    const startedAt = Date.now();
    const loaded = this.checkpointFile?.load();
    if (loaded && loaded.migrationId !== config.migrationId) {
      throw new MigrationCheckpointError(
        `Checkpoint ${this.checkpointFile?.path} belongs to migration "${loaded.migrationId}", not "${config.migrationId}"`,
      );
    }
    const checkpoint: MigrationCheckpoint = loaded
      ? { ...loaded, runs: loaded.runs + 1, series: loaded.series.map((entry) => ({ ...entry })) }
      : {
          format: MIGRATION_CHECKPOINT_FORMAT,
          version: MIGRATION_CHECKPOINT_VERSION,
          migrationId: config.migrationId,
          startedAt: new Date(startedAt).toISOString(),
          updatedAt: new Date(startedAt).toISOString(),
          runs: 1,
          series: [],
        };
    // Written before anything reaches the target: an unwritable checkpoint path fails the run up
    // front, not after the first batch; and `runs` on disk counts this run, as the result does.
    this.persist(checkpoint);
    const entries = new Map(checkpoint.series.map((entry) => [seriesLabel(entry), entry]));
    const allSeries = (await config.source.listSeries()).filter((info) => this.matchesFilter(info));
    const total = allSeries.reduce((sum, info) => sum + info.count, 0);
    const defaultsBefore = config.source.defaultsReport?.();
    const run: RunState = {
      startedAt,
      read: 0,
      migratedThisRun: 0,
      written: 0,
      unchanged: 0,
      migratedBefore: 0,
      invalid: [],
      stopReason: undefined,
      status: 'completed',
    };
    const results: SeriesMigrationResult[] = [];
    for (const [index, info] of allSeries.entries()) {
      const label = seriesLabel(info);
      let entry = entries.get(label);
      if (!entry) {
        entry = {
          exchange: info.exchange,
          symbol: info.symbol,
          timeframe: info.timeframe,
          lastOpenTime: Number.MIN_SAFE_INTEGER,
          migrated: 0,
          invalid: 0,
          done: false,
        };
        entries.set(label, entry);
        checkpoint.series.push(entry);
      }
      run.migratedBefore += entry.migrated;
      const seriesResult: SeriesMigrationResult = {
        exchange: info.exchange,
        symbol: info.symbol,
        timeframe: info.timeframe,
        sourceCount: info.count,
        resumedFrom: entry.migrated,
        read: 0,
        migrated: entry.migrated,
        invalid: entry.invalid,
        lastOpenTime: entry.migrated > 0 ? entry.lastOpenTime : null,
        done: entry.done,
      };
      results.push(seriesResult);
      if (run.status === 'completed' && !entry.done) {
        await this.migrateSeries(info, entry, seriesResult, checkpoint, run, {
          index,
          count: allSeries.length,
          total,
          results,
        });
      }
    }
    const finishedAt = Date.now();
    const elapsedSeconds = Math.max(finishedAt - startedAt, 1) / 1000;
    return {
      status: run.status,
      migrationId: config.migrationId,
      dryRun: config.dryRun,
      resumed: loaded !== undefined,
      runs: checkpoint.runs,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
      durationMs: finishedAt - startedAt,
      totals: {
        series: allSeries.length,
        source: total,
        read: run.read,
        migrated: results.reduce((sum, entry) => sum + entry.migrated, 0),
        migratedThisRun: run.migratedThisRun,
        written: run.written,
        unchanged: run.unchanged,
        invalid: results.reduce((sum, entry) => sum + entry.invalid, 0),
      },
      rate: run.migratedThisRun / elapsedSeconds,
      series: results,
      invalid: run.invalid,
      defaulted: defaultsDelta(defaultsBefore, config.source.defaultsReport?.()),
      stopReason: run.stopReason,
      sourceProblems: readSourceProblems(config.source),
    };
  }

  private async migrateSeries(
    info: SeriesInfo,
    entry: SeriesCheckpoint,
    seriesResult: SeriesMigrationResult,
    checkpoint: MigrationCheckpoint,
    run: RunState,
    position: { index: number; count: number; total: number; results: SeriesMigrationResult[] },
  ): Promise<void> {
    const { config } = this;
    const label = seriesLabel(info);
    let batch: FootprintCandleDTO[] = [];
    let previousOpenTime = entry.migrated > 0 ? entry.lastOpenTime : Number.NEGATIVE_INFINITY;
    const emit = () =>
      this.emitProgress({
        series: label,
        seriesIndex: position.index,
        seriesCount: position.count,
        seriesMigrated: entry.migrated,
        seriesTotal: info.count,
        migrated: position.results.reduce((sum, result) => sum + result.migrated, 0),
        total: position.total,
        rate: run.migratedThisRun / (Math.max(Date.now() - run.startedAt, 1) / 1000),
        elapsedMs: Date.now() - run.startedAt,
        dryRun: config.dryRun,
      });
    const commit = async () => {
      if (batch.length === 0) return;
      const candles = batch;
      batch = [];
      if (!config.dryRun) {
        const saved = await config.target.saveMany(candles);
        run.written += saved.written;
        run.unchanged += saved.unchanged;
      }
      const last = candles[candles.length - 1]!;
      entry.lastOpenTime = last.t;
      entry.migrated += candles.length;
      run.migratedThisRun += candles.length;
      seriesResult.migrated = entry.migrated;
      seriesResult.lastOpenTime = last.t;
      this.persist(checkpoint);
      emit();
    };

    const iteration = config.source.iterate({
      exchange: info.exchange,
      symbol: info.symbol,
      timeframe: info.timeframe,
      ...(entry.migrated > 0 ? { startTime: entry.lastOpenTime + 1 } : {}),
    });
    for await (const candle of iteration) {
      if (config.signal?.aborted) {
        run.status = 'aborted';
        run.stopReason = `aborted: ${String(config.signal.reason ?? 'AbortSignal')}`;
        break;
      }
      run.read += 1;
      seriesResult.read += 1;
      if (!(candle.t > previousOpenTime)) {
        throw new MigrationSourceOrderError(
          `Source returned ${candleLabel(candle)} after open time ${previousOpenTime} in series ${label}; ` +
            'series must stream in strictly ascending open time',
        );
      }
      previousOpenTime = candle.t;
      if (!this.accept(info, candle, entry, seriesResult, run)) {
        if (config.onInvalidCandle === 'stop') {
          run.status = 'stopped-on-invalid';
          run.stopReason = `invalid candle ${candleLabel(candle)}`;
          break;
        }
        continue;
      }
      batch.push(candle);
      if (batch.length >= config.batchSize) await commit();
    }
    // An abort drops the partial batch: it is not durable, and the checkpoint already says where to resume.
    if (run.status === 'aborted') return;
    await commit();
    if (run.status === 'completed') {
      entry.done = true;
      seriesResult.done = true;
    }
    this.persist(checkpoint);
    emit();
  }

  /**
   * Checks one candle; records it when invalid. Always: the candle must belong to
   * the series being read (a legacy row whose blob names another series would
   * otherwise land in a series the source never listed, maybe over a genuine
   * candle there, and the checkpoint would not describe it). With
   * `validateCandles`: @flowtrace/core validation.
   */
  private accept(
    info: SeriesInfo,
    candle: FootprintCandleDTO,
    entry: SeriesCheckpoint,
    seriesResult: SeriesMigrationResult,
    run: RunState,
  ): boolean {
    const issues: InvalidCandleReport['issues'] = [];
    for (const [path, own, listed] of [
      ['ex', candle.ex, info.exchange],
      ['s', candle.s, info.symbol],
      ['i', candle.i, info.timeframe],
    ] as const) {
      if (own !== listed) {
        issues.push({
          path,
          rule: 'series-mismatch',
          message: `${path} is ${JSON.stringify(own)} but the source listed the candle in series ${seriesLabel(info)}`,
        });
      }
    }
    if (issues.length === 0 && this.config.validateCandles) {
      const verdict = validateFootprintCandle(candle);
      if (!verdict.ok)
        issues.push(...verdict.issues.map(({ path, rule, message }) => ({ path, rule, message })));
    }
    if (issues.length === 0) return true;
    entry.invalid += 1;
    seriesResult.invalid += 1;
    if (run.invalid.length < this.config.maxReportedInvalid) {
      run.invalid.push({ key: candleLabel(candle), issues });
    }
    return false;
  }

  private persist(checkpoint: MigrationCheckpoint): void {
    if (this.config.dryRun || !this.checkpointFile) return;
    checkpoint.updatedAt = new Date().toISOString();
    this.checkpointFile.save(checkpoint);
  }

  private emitProgress(progress: MigrationProgress): void {
    this.config.onProgress?.(progress);
    this.emit('progress', progress);
  }

  private matchesFilter(info: SeriesInfo): boolean {
    const { filter } = this.config;
    return (
      (filter.exchange === undefined || filter.exchange === info.exchange) &&
      (filter.symbol === undefined || filter.symbol === info.symbol) &&
      (filter.timeframe === undefined || filter.timeframe === info.timeframe)
    );
  }
}

/** What this run defaulted: the legacy reader's counters after minus before. */
function defaultsDelta(
  before: LegacyDefaultsReport | undefined,
  after: LegacyDefaultsReport | undefined,
): LegacyDefaultsReport | undefined {
  if (!after) return undefined;
  const defaulted: Record<string, number> = {};
  for (const [field, count] of Object.entries(after.defaulted)) {
    const previous = (before?.defaulted as Record<string, number | undefined> | undefined)?.[field] ?? 0;
    if ((count ?? 0) - previous > 0) defaulted[field] = (count ?? 0) - previous;
  }
  return { candles: after.candles - (before?.candles ?? 0), defaulted } as LegacyDefaultsReport;
}
