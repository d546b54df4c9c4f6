import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  SeriesInfo,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import type { LegacyCandleContext } from '../../storage/CandleTransformer';
import { compareSeries } from '../../storage/candle/compareSeries';
import type { LegacyDefaultsReport } from '../../storage/serialization/flatbuffer/legacy/LegacyDefaultsTally';
import { readLegacyFtcdFile } from '../../storage/serialization/flatbuffer/legacy/readLegacyFtcdFile';
import { LegacyImportError } from '../MigrationErrors';
import { type MigrationSource, seriesLabel } from './MigrationSource';

export interface LegacyFtcdDirectoryOptions {
  /** The original platform's storage base directory; files are read from `{baseDir}/candles/*.ftcd`. */
  baseDir: string;
}

interface LocatedSeries extends SeriesInfo {
  file: string;
}

/**
 * The original platform's `.ftcd` files as a migration source. A legacy file is
 * ONE FlatBuffer `CandleBatch` with no index, so a file is decoded whole; memory
 * is bounded by the largest file, never by the whole directory. Candles are
 * returned per series in ascending open time (files hold insertion order); when
 * an open time occurs twice in a file, the later entry (the newer version) wins.
 */
export class LegacyFtcdDirectorySource implements MigrationSource {
  private located: LocatedSeries[] | undefined;
  private readonly defaulted = new Map<string, number>();
  private candlesDecoded = 0;

  constructor(private readonly options: LegacyFtcdDirectoryOptions) {}

  /** The files this source reads, sorted by name. */
  async files(): Promise<string[]> {
    const dir = join(this.options.baseDir, 'candles');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw new LegacyImportError(`Cannot list legacy .ftcd directory ${dir}`, { cause: error });
    }
    return names
      .filter((name) => name.endsWith('.ftcd'))
      .sort()
      .map((name) => join(dir, name));
  }

  async listSeries(): Promise<SeriesInfo[]> {
    return (await this.locate()).map(({ file: _file, ...info }) => info);
  }

  async *iterate(options: CandleIterationOptions = {}): AsyncIterable<FootprintCandleDTO> {
    const startTime = options.startTime ?? Number.NEGATIVE_INFINITY;
    const endTime = options.endTime ?? Number.POSITIVE_INFINITY;
    for (const series of await this.locate()) {
      if (options.exchange !== undefined && series.exchange !== options.exchange) continue;
      if (options.symbol !== undefined && series.symbol !== options.symbol) continue;
      if (options.timeframe !== undefined && series.timeframe !== options.timeframe) continue;
      const candles = (await this.decodeFile(series.file, true)).get(seriesLabel(series)) ?? [];
      for (const candle of candles) {
        if (candle.t >= startTime && candle.t <= endTime) yield candle;
      }
    }
  }

  /** Fields the candles read so far by `iterate` lacked, with how many candles lacked each. */
  defaultsReport(): LegacyDefaultsReport {
    return { candles: this.candlesDecoded, defaulted: Object.fromEntries(this.defaulted) };
  }

  private async locate(): Promise<LocatedSeries[]> {
    if (this.located) return this.located;
    const located: LocatedSeries[] = [];
    for (const file of await this.files()) {
      for (const [, candles] of await this.decodeFile(file, false)) {
        const first = candles[0];
        const last = candles[candles.length - 1];
        if (!first || !last) continue;
        located.push({
          file,
          exchange: first.ex,
          symbol: first.s,
          timeframe: first.i as TimeframeName,
          firstOpenTime: first.t,
          lastOpenTime: last.t,
          count: candles.length,
        });
      }
    }
    this.located = located.sort(compareSeries);
    return this.located;
  }

  /** Candles of one file grouped by series label, each group deduplicated and in ascending open time. */
  private async decodeFile(file: string, tally: boolean): Promise<Map<string, FootprintCandleDTO[]>> {
    let contents: Awaited<ReturnType<typeof readLegacyFtcdFile>>;
    try {
      contents = await readLegacyFtcdFile(file, contextFromFileName(file));
    } catch (error) {
      throw new LegacyImportError(`Cannot read legacy .ftcd file ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (tally) {
      this.candlesDecoded += contents.report.candles;
      for (const [field, count] of Object.entries(contents.report.defaulted)) {
        this.defaulted.set(field, (this.defaulted.get(field) ?? 0) + (count ?? 0));
      }
    }
    const bySeries = new Map<string, Map<number, FootprintCandleDTO>>();
    for (const candle of contents.candles) {
      const label = seriesLabel({ exchange: candle.ex, symbol: candle.s, timeframe: candle.i });
      let byTime = bySeries.get(label);
      if (!byTime) {
        byTime = new Map();
        bySeries.set(label, byTime);
      }
      byTime.set(candle.t, candle); // a later duplicate (newer version) replaces the earlier one
    }
    const grouped = new Map<string, FootprintCandleDTO[]>();
    for (const [label, byTime] of bySeries)
      grouped.set(
        label,
        [...byTime.values()].sort((a, b) => a.t - b.t),
      );
    return grouped;
  }
}

/**
 * `{exchange}_{symbol}_{timeframe}.ftcd`: only a fallback for blobs without
 * ex/s/i (the original writer did write them). Exchange and timeframe names
 * have no `_`, so the first and last separators split the name.
 */
function contextFromFileName(file: string): LegacyCandleContext {
  const stem = basename(file, '.ftcd');
  const first = stem.indexOf('_');
  const last = stem.lastIndexOf('_');
  if (first <= 0 || last <= first) return {};
  return {
    exchange: stem.slice(0, first),
    symbol: stem.slice(first + 1, last),
    timeframe: stem.slice(last + 1),
  };
}
