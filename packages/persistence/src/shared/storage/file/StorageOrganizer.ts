import { resolve, sep } from 'node:path';
import { explainUnsafeName, isTimeframeName, TIMEFRAME_NAMES, type TimeframeName } from '@flowtrace/core';
import { PathTraversalError } from '../errors/StorageErrors';

/** The partition file granularities, finest first. */
export const PARTITION_GRANULARITIES = ['day', 'month', 'year'] as const;
export type PartitionGranularity = (typeof PARTITION_GRANULARITIES)[number];

export interface StorageOrganizationConfig {
  /** Root directory of the store. */
  baseDir: string;
  /** Partition file granularity per timeframe. Default: day for 1s–3m, month for 5m–1h, year above. */
  partitioning?: Partial<Record<TimeframeName, PartitionGranularity>>;
}

const DEFAULT_PARTITIONING: Readonly<Record<TimeframeName, PartitionGranularity>> = Object.freeze({
  '1s': 'day',
  '1m': 'day',
  '3m': 'day',
  '5m': 'month',
  '15m': 'month',
  '30m': 'month',
  '1h': 'month',
  '2h': 'year',
  '4h': 'year',
  '8h': 'year',
  '12h': 'year',
  '1d': 'year',
});

export const FTCD_EXTENSION = '.ftcd';

/** Partition file names (without the extension) per granularity: UTC year, month, day. */
const PARTITION_NAME_PATTERNS: Readonly<Record<PartitionGranularity, RegExp>> = Object.freeze({
  day: /^(\d{4})-(\d{2})-(\d{2})$/,
  month: /^(\d{4})-(\d{2})$/,
  year: /^(\d{4})$/,
});
const DAY_MS = 86_400_000;

export interface PartitionBounds {
  /** First millisecond of the partition (inclusive). */
  start: number;
  /** First millisecond after it (exclusive). */
  end: number;
}

/**
 * Where every series and partition lives:
 * `{baseDir}/{exchange}/{symbol}/{timeframe}/{partition}.ftcd`, partition
 * `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (UTC) of the candle's open time. Names
 * are safe names by construction and every path is re-checked to stay
 * inside baseDir.
 */
export class StorageOrganizer {
  readonly baseDir: string;
  private readonly partitioning: Readonly<Record<TimeframeName, PartitionGranularity>>;
  private readonly partitionNames = new Map<string, string>();

  constructor(config: StorageOrganizationConfig) {
    this.baseDir = resolve(config.baseDir);
    this.partitioning = Object.freeze({ ...DEFAULT_PARTITIONING, ...config.partitioning });
  }

  granularityOf(timeframe: TimeframeName): PartitionGranularity {
    return this.partitioning[timeframe];
  }

  /** The partition holding `openTime`, in `granularity` (default: the timeframe's configured one). */
  partitionOf(
    timeframe: TimeframeName,
    openTime: number,
    granularity: PartitionGranularity = this.granularityOf(timeframe),
  ): string {
    // Called for every saved candle: memoise per (granularity, UTC day).
    const cacheKey = `${granularity}${Math.floor(openTime / DAY_MS)}`;
    let name = this.partitionNames.get(cacheKey);
    if (name === undefined) {
      if (this.partitionNames.size > 10_000) this.partitionNames.clear();
      name = this.formatPartition(granularity, openTime);
      this.partitionNames.set(cacheKey, name);
    }
    return name;
  }

  private formatPartition(granularity: PartitionGranularity, openTime: number): string {
    const date = new Date(openTime);
    const year = String(date.getUTCFullYear()).padStart(4, '0');
    const month = String(date.getUTCMonth() + 1).padStart(2, '0');
    const day = String(date.getUTCDate()).padStart(2, '0');
    return granularity === 'day'
      ? `${year}-${month}-${day}`
      : granularity === 'month'
        ? `${year}-${month}`
        : year;
  }

  /**
   * Bounds of a partition name in `granularity` (default: the timeframe's
   * configured one), or undefined when the name is not one.
   */
  boundsOf(
    timeframe: TimeframeName,
    partition: string,
    granularity: PartitionGranularity = this.granularityOf(timeframe),
  ): PartitionBounds | undefined {
    const match = PARTITION_NAME_PATTERNS[granularity].exec(partition);
    if (!match) return undefined;
    const year = Number(match[1]);
    const month = match[2] === undefined ? 0 : Number(match[2]) - 1;
    const day = match[3] === undefined ? 1 : Number(match[3]);
    const start = utc(year, month, day);
    if (this.partitionOf(timeframe, start, granularity) !== partition) return undefined;
    const end =
      granularity === 'day'
        ? utc(year, month, day + 1)
        : granularity === 'month'
          ? utc(year, month + 1, 1)
          : utc(year + 1, 0, 1);
    return { start, end };
  }

  /** The granularity a partition name is written in (whatever the configuration), or undefined. */
  nameGranularity(partition: string): PartitionGranularity | undefined {
    return PARTITION_GRANULARITIES.find((granularity) =>
      PARTITION_NAME_PATTERNS[granularity].test(partition),
    );
  }

  seriesDir(exchange: string, symbol: string, timeframe: string): string {
    const exchangeProblem = explainUnsafeName(exchange);
    if (exchangeProblem) throw new PathTraversalError(`Exchange name "${exchange}" ${exchangeProblem}`);
    const symbolProblem = explainUnsafeName(symbol);
    if (symbolProblem) throw new PathTraversalError(`Symbol name "${symbol}" ${symbolProblem}`);
    if (!isTimeframeName(timeframe)) {
      throw new PathTraversalError(`Timeframe "${timeframe}" is not one of ${TIMEFRAME_NAMES.join(', ')}`);
    }
    return this.inside(resolve(this.baseDir, exchange, symbol, timeframe));
  }

  partitionPath(
    exchange: string,
    symbol: string,
    timeframe: TimeframeName,
    partition: string,
    granularity: PartitionGranularity = this.granularityOf(timeframe),
  ): string {
    if (!this.boundsOf(timeframe, partition, granularity))
      throw new PathTraversalError(`Bad partition name "${partition}"`);
    return this.inside(resolve(this.seriesDir(exchange, symbol, timeframe), `${partition}${FTCD_EXTENSION}`));
  }

  /** `path` itself when it lies strictly inside baseDir, else a `PathTraversalError`. */
  inside(path: string): string {
    const resolved = resolve(path);
    if (!resolved.startsWith(this.baseDir + sep)) {
      throw new PathTraversalError(`Path ${resolved} is outside the store directory ${this.baseDir}`);
    }
    return resolved;
  }
}

function utc(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}
