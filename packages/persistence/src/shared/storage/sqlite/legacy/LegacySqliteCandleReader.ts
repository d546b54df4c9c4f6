import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import Database from 'better-sqlite3';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  SeriesInfo,
} from '../../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { compareSeries } from '../../candle/compareSeries';
import { findLatestViaRange, resolveQuery } from '../../candle/queryOptions';
import { StorageClosedError } from '../../errors/StorageErrors';
import { FlatBufferSerializer } from '../../serialization/flatbuffer/FlatBufferSerializer';
import {
  type LegacyDefaultsReport,
  LegacyDefaultsTally,
} from '../../serialization/flatbuffer/legacy/LegacyDefaultsTally';
import { clampTime } from '../SqliteCandleDatabase';
import { LegacySqliteFormatError } from '../SqliteStorageErrors';

/** The original platform's single database file name. */
export const LEGACY_SQLITE_FILE = 'flowtrace-candles.db';
/** The original platform's per-exchange database file name (`{baseDir}/{exchange}/candles.db`). */
export const LEGACY_SQLITE_EXCHANGE_FILE = 'candles.db';

export interface LegacySqliteReaderOptions {
  /** The original platform's storage base directory. */
  baseDir: string;
  /** The original `organizeByExchange` setting: `{baseDir}/{exchange}/candles.db`, table `{exchange}_candles`. */
  organizeByExchange?: boolean;
  /** Rows decoded per page while iterating. Default 1000. */
  pageSize?: number;
}

interface LegacyRow {
  exchange: string;
  symbol: string;
  timeframe: string;
  open_time: number;
  data: Buffer;
}

interface LegacySource {
  db: Database.Database;
  table: string;
}

/**
 * Read-only access to a candle database written by the original FlowTrace
 * platform (table `candles` or `{exchange}_candles`, one FlatBuffer `Candle`
 * per row): the read half of CandleStoragePort, so candles can be migrated.
 * Never writes, never creates a file. Absent legacy fields are defaulted and
 * counted in `defaultsReport()`.
 */
export class LegacySqliteCandleReader implements AsyncDisposable {
  private readonly serializer = new FlatBufferSerializer();
  private readonly tally = new LegacyDefaultsTally();
  private closed = false;

  private constructor(
    private readonly sources: readonly LegacySource[],
    private readonly pageSize: number,
  ) {}

  static async open(options: LegacySqliteReaderOptions): Promise<LegacySqliteCandleReader> {
    const pageSize = options.pageSize ?? 1000;
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0) {
      throw new LegacySqliteFormatError('pageSize must be a positive integer');
    }
    const located = options.organizeByExchange
      ? listExchangeDirectories(options.baseDir).map((exchange) => ({
          path: join(options.baseDir, exchange, LEGACY_SQLITE_EXCHANGE_FILE),
          table: `${exchange}_candles`,
        }))
      : [{ path: join(options.baseDir, LEGACY_SQLITE_FILE), table: 'candles' }];
    const sources: LegacySource[] = [];
    try {
      for (const { path, table } of located) {
        if (!existsSync(path)) {
          if (options.organizeByExchange) continue;
          throw new LegacySqliteFormatError(`Legacy candle database ${path} does not exist`);
        }
        const db = new Database(path, { readonly: true, fileMustExist: true });
        sources.push({ db, table });
        const found = db
          .prepare<[string], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
          .pluck()
          .get(table);
        if (found === undefined) throw new LegacySqliteFormatError(`${path} has no legacy table "${table}"`);
      }
    } catch (error) {
      for (const source of sources) source.db.close();
      throw error;
    }
    return new LegacySqliteCandleReader(sources, pageSize);
  }

  async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    this.assertOpen();
    const query = resolveQuery(options);
    if (query.limit === 0) return [];
    const limit = Number.isFinite(query.limit) ? query.limit : -1;
    const found: LegacyRow[] = [];
    for (const source of this.sources) {
      found.push(
        ...this.rows(source, exchange, symbol, timeframe, query.startTime, query.endTime, limit, query.order),
      );
    }
    // Several files can only matter if an exchange's rows were copied around: keep the order and limit exact.
    found.sort((a, b) => (query.order === 'asc' ? a.open_time - b.open_time : b.open_time - a.open_time));
    return this.decode(Number.isFinite(query.limit) ? found.slice(0, query.limit) : found);
  }

  findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    return findLatestViaRange(this, symbol, exchange, timeframe, n);
  }

  async listSeries(): Promise<SeriesInfo[]> {
    this.assertOpen();
    const series: SeriesInfo[] = [];
    for (const source of this.sources) {
      const rows = source.db
        .prepare<
          [],
          { exchange: string; symbol: string; timeframe: string; first: number; last: number; count: number }
        >(
          `SELECT exchange, symbol, timeframe, MIN(open_time) AS first, MAX(open_time) AS last, COUNT(*) AS count
           FROM ${quoteIdentifier(source.table)} GROUP BY exchange, symbol, timeframe`,
        )
        .all();
      for (const row of rows) {
        series.push({
          exchange: row.exchange,
          symbol: row.symbol,
          timeframe: row.timeframe as TimeframeName,
          firstOpenTime: row.first,
          lastOpenTime: row.last,
          count: row.count,
        });
      }
    }
    return series.sort(compareSeries);
  }

  async *iterate(options: CandleIterationOptions = {}): AsyncIterable<FootprintCandleDTO> {
    const startTime = options.startTime ?? Number.NEGATIVE_INFINITY;
    const endTime = options.endTime ?? Number.POSITIVE_INFINITY;
    const series = (await this.listSeries()).filter(
      (info) =>
        (options.exchange === undefined || info.exchange === options.exchange) &&
        (options.symbol === undefined || info.symbol === options.symbol) &&
        (options.timeframe === undefined || info.timeframe === options.timeframe),
    );
    for (const info of series) {
      let from = startTime;
      for (;;) {
        this.assertOpen();
        const page = (
          await this.findBySymbol(info.symbol, info.exchange, info.timeframe, {
            startTime: from,
            endTime,
            limit: this.pageSize,
          })
        ).slice();
        for (const candle of page) yield candle;
        const last = page[page.length - 1];
        if (page.length < this.pageSize || last === undefined) break;
        from = last.t + 1;
      }
    }
  }

  /** Every field the reads so far had to default, with how many candles lacked it. */
  defaultsReport(): LegacyDefaultsReport {
    return this.tally.report();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const source of this.sources) source.db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private rows(
    source: LegacySource,
    exchange: string,
    symbol: string,
    timeframe: string,
    startTime: number,
    endTime: number,
    limit: number,
    order: 'asc' | 'desc',
  ): LegacyRow[] {
    return source.db
      .prepare<[string, string, string, number, number, number], LegacyRow>(
        `SELECT exchange, symbol, timeframe, open_time, data FROM ${quoteIdentifier(source.table)}
         WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time >= ? AND open_time <= ?
         ORDER BY open_time ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
      )
      .all(exchange, symbol, timeframe, clampTime(startTime), clampTime(endTime), limit);
  }

  private decode(rows: readonly LegacyRow[]): FootprintCandleDTO[] {
    return rows.map((row) => {
      const decoded = this.serializer.deserializeWithReport(row.data, {
        exchange: row.exchange,
        symbol: row.symbol,
        timeframe: row.timeframe,
      });
      this.tally.add(decoded);
      return decoded.candle;
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError('legacy SQLite candle reader');
  }
}

function listExchangeDirectories(baseDir: string): string[] {
  if (!existsSync(baseDir)) {
    throw new LegacySqliteFormatError(`Legacy candle directory ${baseDir} does not exist`);
  }
  return readdirSync(baseDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
