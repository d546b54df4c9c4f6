import { type FootprintCandleDTO, SeededRandom } from '@flowtrace/core';
import { z } from 'zod';
import type {
  CandleStoragePort,
  SeriesInfo,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { compareSeries } from '../../storage/candle/compareSeries';
import { isStorableSeries } from '../../storage/candle/queryOptions';
import { InvalidMigrationConfigError } from '../MigrationErrors';
import { candleLabel, type MigrationSource, seriesLabel } from '../source/MigrationSource';
import { compareCandles, type NumberTolerance } from './compareCandles';
import type { CandleDifference, SeriesComparison, ValidationResult } from './ValidationResult';

/** What the validator reads from the target; `findBySymbol` is only used in sample mode. */
export type ValidationTarget = Pick<CandleStoragePort, 'listSeries' | 'iterate' | 'findBySymbol'>;

export const migrationValidatorOptionsSchema = z.strictObject({
  /** Relative number tolerance; 0 (default) compares exactly with Object.is. */
  relativeTolerance: z.number().min(0).max(1).default(0),
  /** Compare a seeded random sample of `size` source candles instead of all of them. */
  sample: z.strictObject({ size: z.number().int().positive(), seed: z.number().int() }).optional(),
  /** Differences reported in detail (all are counted). Default 100. */
  maxDifferences: z.number().int().nonnegative().default(100),
});

export type MigrationValidatorOptions = z.input<typeof migrationValidatorOptionsSchema>;

interface Tally {
  compared: number;
  matched: number;
  missing: number;
  extra: number;
  mismatched: number;
  differences: CandleDifference[];
}

/**
 * Compares a migration's source and target candle by candle, streaming both
 * sides in open-time order (bounded memory): candles missing from the target,
 * extra in the target, and every mismatched field by path.
 */
export class MigrationValidator {
  private readonly options: Readonly<z.output<typeof migrationValidatorOptionsSchema>>;
  private readonly tolerance: NumberTolerance;

  constructor(options: MigrationValidatorOptions = {}) {
    const parsed = migrationValidatorOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const details = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || 'options'} ${issue.message}`,
      );
      throw new InvalidMigrationConfigError(`Invalid validator options: ${details.join('; ')}`);
    }
    this.options = Object.freeze(parsed.data);
    this.tolerance = Object.freeze({ relative: parsed.data.relativeTolerance });
  }

  async validate(source: MigrationSource, target: ValidationTarget): Promise<ValidationResult> {
    const started = Date.now();
    const sourceSeries = await source.listSeries();
    const targetSeries = await target.listSeries();
    const series = pairSeries(sourceSeries, targetSeries);
    const tally: Tally = { compared: 0, matched: 0, missing: 0, extra: 0, mismatched: 0, differences: [] };
    if (this.options.sample) await this.compareSample(source, target, sourceSeries, series, tally);
    else for (const pair of series) await this.compareSeriesFully(source, target, pair.info, tally);
    const comparisons: SeriesComparison[] = series.map(({ info, sourceCount, targetCount }) => ({
      series: seriesLabel(info),
      sourceCount,
      targetCount,
    }));
    const countsAgree = comparisons.every((entry) => entry.sourceCount === entry.targetCount);
    return {
      ok: tally.missing === 0 && tally.extra === 0 && tally.mismatched === 0 && countsAgree,
      mode: this.options.sample ? 'sample' : 'full',
      sample: this.options.sample ? { ...this.options.sample } : undefined,
      tolerance: { ...this.tolerance },
      compared: tally.compared,
      matched: tally.matched,
      missing: tally.missing,
      extra: tally.extra,
      mismatched: tally.mismatched,
      series: comparisons,
      differences: tally.differences,
      durationMs: Date.now() - started,
    };
  }

  /** Merge-join of both ascending streams of one series. */
  private async compareSeriesFully(
    source: MigrationSource,
    target: ValidationTarget,
    info: SeriesInfo,
    tally: Tally,
  ): Promise<void> {
    const filter = { exchange: info.exchange, symbol: info.symbol, timeframe: info.timeframe };
    const left = source.iterate(filter)[Symbol.asyncIterator]();
    // A source series no store can hold (legacy data named `BTC/USDT`, say) cannot be in the
    // target, whose reads refuse such names: all its candles are missing.
    const right = (isStorableSeries(info) ? target.iterate(filter) : noCandles())[Symbol.asyncIterator]();
    try {
      let a = await left.next();
      let b = await right.next();
      while (!a.done || !b.done) {
        if (!a.done && (b.done || a.value.t < b.value.t)) {
          this.record(tally, 'missing', a.value);
          a = await left.next();
        } else if (a.done || b.value.t < a.value.t) {
          this.record(tally, 'extra', b.value as FootprintCandleDTO);
          b = await right.next();
        } else {
          this.compareOne(tally, a.value, b.value);
          a = await left.next();
          b = await right.next();
        }
      }
    } finally {
      await left.return?.();
      await right.return?.();
    }
  }

  /**
   * Seeded sample: `size` distinct positions among all source candles (listing
   * order), each looked up in the target by key. Extras are counted from the
   * series counts, since the target is not scanned.
   */
  private async compareSample(
    source: MigrationSource,
    target: ValidationTarget,
    sourceSeries: readonly SeriesInfo[],
    series: readonly SeriesPair[],
    tally: Tally,
  ): Promise<void> {
    const sample = this.options.sample!;
    const ordered = [...sourceSeries].sort(compareSeries);
    const total = ordered.reduce((sum, info) => sum + info.count, 0);
    const picked = pickPositions(total, Math.min(sample.size, total), sample.seed);
    let base = 0;
    let next = 0;
    for (const info of ordered) {
      const end = base + info.count;
      if (next < picked.length && picked[next]! < end) {
        let position = base;
        const filter = { exchange: info.exchange, symbol: info.symbol, timeframe: info.timeframe };
        for await (const candle of source.iterate(filter)) {
          if (position === picked[next]) {
            const [found] = isStorableSeries(info)
              ? await target.findBySymbol(candle.s, candle.ex, info.timeframe, {
                  startTime: candle.t,
                  endTime: candle.t,
                })
              : [];
            if (found) this.compareOne(tally, candle, found);
            else this.record(tally, 'missing', candle);
            next += 1;
            if (next >= picked.length || picked[next]! >= end) break;
          }
          position += 1;
        }
      }
      base = end;
    }
    for (const pair of series) tally.extra += Math.max(0, pair.targetCount - pair.sourceCount);
  }

  private compareOne(tally: Tally, source: FootprintCandleDTO, target: FootprintCandleDTO): void {
    tally.compared += 1;
    const fields = compareCandles(source, target, this.tolerance);
    if (fields.length === 0) {
      tally.matched += 1;
      return;
    }
    tally.mismatched += 1;
    if (tally.differences.length < this.options.maxDifferences) {
      tally.differences.push({ kind: 'mismatch', key: candleLabel(source), fields });
    }
  }

  private record(tally: Tally, kind: 'missing' | 'extra', candle: FootprintCandleDTO): void {
    if (kind === 'missing') {
      tally.compared += 1;
      tally.missing += 1;
    } else tally.extra += 1;
    if (tally.differences.length < this.options.maxDifferences) {
      tally.differences.push({ kind, key: candleLabel(candle), fields: [] });
    }
  }
}

interface SeriesPair {
  info: SeriesInfo;
  sourceCount: number;
  targetCount: number;
}

/** Union of both listings by series, in series order. */
function pairSeries(source: readonly SeriesInfo[], target: readonly SeriesInfo[]): SeriesPair[] {
  const pairs = new Map<string, SeriesPair>();
  for (const info of source) pairs.set(seriesLabel(info), { info, sourceCount: info.count, targetCount: 0 });
  for (const info of target) {
    const pair = pairs.get(seriesLabel(info));
    if (pair) pair.targetCount = info.count;
    else pairs.set(seriesLabel(info), { info, sourceCount: 0, targetCount: info.count });
  }
  return [...pairs.values()].sort((a, b) => compareSeries(a.info, b.info));
}

/** `k` distinct integers in [0, n), ascending, chosen by Floyd's algorithm from a seeded generator. */
function pickPositions(n: number, k: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j += 1) {
    const candidate = random.int(0, j);
    chosen.add(chosen.has(candidate) ? j : candidate);
  }
  return [...chosen].sort((a, b) => a - b);
}

async function* noCandles(): AsyncGenerator<FootprintCandleDTO> {}
