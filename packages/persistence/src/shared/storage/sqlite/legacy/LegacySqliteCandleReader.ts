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
import {
  checkSeriesArguments,
  findLatestViaRange,
  resolveIteration,
  resolveQuery,
} from '../../candle/queryOptions';
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
  id: unknown;
  rowid: number;
  exchange: string;
  symbol: string;
  timeframe: string;
  open_time: number;
  data: Buffer;
}

interface LegacySource {
  db: Database.Database;
  table: string;
  path: string;
}

/**
 * A row the reader could not turn into a candle, or left out: `unreadable`
 * (its blob does not decode, or its open time is not its `open_time`
 * column), `duplicate-key` (another row holds the same series and open time;
 * the later row, by rowid, is the one read).
 */
export interface LegacyRowProblem {
  rule: 'unreadable' | 'duplicate-key';
  /** `exchange:symbol:timeframe:open_time` from the row's columns. */
  key: string;
  message: string;
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
  /** Rows left out so far, each once (a migration's validation reads the rows again). */
  private readonly rowProblems = new Map<string, LegacyRowProblem>();
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
        sources.push({ db, table, path });
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
    checkSeriesArguments(symbol, exchange, timeframe);
    const query = resolveQuery(options);
    const candles: FootprintCandleDTO[] = [];
    if (query.limit === 0) return candles;
    // A page of limit + 1 rows: with no duplicate keys one page answers, and the row past the
    // limit shows whether the last key goes on (a later row of it must win over an earlier one).
    const pageSize = Number.isFinite(query.limit) ? Math.min(this.pageSize, query.limit + 1) : this.pageSize;
    for (const candle of this.candlesOf(
      { exchange, symbol, timeframe },
      query.startTime,
      query.endTime,
      query.order,
      pageSize,
    )) {
      candles.push(candle);
      if (candles.length >= query.limit) break;
    }
    return candles;
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

  async *iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    this.assertOpen();
    const filter = resolveIteration(options);
    const series = (await this.listSeries()).filter(
      (info) =>
        (filter.exchange === undefined || info.exchange === filter.exchange) &&
        (filter.symbol === undefined || info.symbol === filter.symbol) &&
        (filter.timeframe === undefined || info.timeframe === filter.timeframe),
    );
    for (const info of series) {
      yield* this.candlesOf(info, filter.startTime, filter.endTime, 'asc', this.pageSize);
    }
  }

  /**
   * The candles of one series in a time range, in `order`, read a page at a
   * time: of rows sharing a key the later one (by rowid) is read, also when
   * they straddle pages, and undecodable rows are reported and skipped.
   */
  private *candlesOf(
    series: Pick<SeriesInfo, 'exchange' | 'symbol' | 'timeframe'>,
    startTime: number,
    endTime: number,
    order: 'asc' | 'desc',
    pageSize: number,
  ): Generator<FootprintCandleDTO> {
    let from = startTime;
    let to = endTime;
    for (;;) {
      this.assertOpen();
      const rows: LegacyRow[] = [];
      for (const source of this.sources)
        rows.push(
          ...this.rows(source, series.exchange, series.symbol, series.timeframe, from, to, pageSize, order),
        );
      // Several files can only matter if an exchange's rows were copied around: keep the order exact.
      rows.sort((a, b) =>
        a.open_time === b.open_time
          ? a.rowid - b.rowid
          : order === 'asc'
            ? a.open_time - b.open_time
            : b.open_time - a.open_time,
      );
      // Each source returned at most pageSize rows, so fewer in all means every source is done.
      const full = rows.length >= pageSize;
      let page = rows.slice(0, pageSize);
      const lastTime = page[page.length - 1]?.open_time;
      if (full && lastTime !== undefined) {
        // Rows of the page's last open time may go on in the next page (duplicate keys): read
        // that open time whole, in the next page, unless it is all this page holds.
        const before = page.filter((row) => row.open_time !== lastTime);
        page = before.length > 0 ? before : this.rowsAt(series, lastTime);
      }
      yield* this.decode(this.withoutDuplicates(page));
      if (!full || lastTime === undefined) return;
      const lastTimeRead = page[page.length - 1]?.open_time === lastTime;
      if (order === 'asc') from = lastTimeRead ? lastTime + 1 : lastTime;
      else to = lastTimeRead ? lastTime - 1 : lastTime;
    }
  }

  /**
   * Rows left out so far: undecodable blobs, blobs whose open time is not
   * their row's, rows of a duplicated key (nothing is dropped silently).
   */
  problems(): LegacyRowProblem[] {
    return [...this.rowProblems.values()];
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
        `SELECT id, rowid AS rowid, exchange, symbol, timeframe, open_time, data FROM ${quoteIdentifier(source.table)}
         WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time >= ? AND open_time <= ?
         ORDER BY open_time ${order === 'asc' ? 'ASC' : 'DESC'}, rowid ASC LIMIT ?`,
      )
      .all(exchange, symbol, timeframe, clampTime(startTime), clampTime(endTime), limit);
  }

  /** Every row of one series at one open time, over all files (a key duplicated more than a page's worth). */
  private rowsAt(info: Pick<SeriesInfo, 'exchange' | 'symbol' | 'timeframe'>, openTime: number): LegacyRow[] {
    const rows: LegacyRow[] = [];
    for (const source of this.sources)
      rows.push(
        ...this.rows(source, info.exchange, info.symbol, info.timeframe, openTime, openTime, -1, 'asc'),
      );
    return rows.sort((a, b) => a.rowid - b.rowid);
  }

  /**
   * Rows sorted by open time (ties by rowid): of rows sharing a key, the last
   * is kept (the original platform's INSERT OR REPLACE leaves the latest
   * write last) and the others are reported.
   */
  private withoutDuplicates(rows: readonly LegacyRow[]): LegacyRow[] {
    const kept: LegacyRow[] = [];
    for (const row of rows) {
      const previous = kept[kept.length - 1];
      if (previous !== undefined && previous.open_time === row.open_time) {
        this.reportRow(
          previous,
          'duplicate-key',
          `row ${String(previous.id)} has the key of row ${String(row.id)}, which is read instead (the later row)`,
        );
        kept[kept.length - 1] = row;
      } else kept.push(row);
    }
    return kept;
  }

  /** Decodes row by row: an undecodable row is reported and left out, not the end of the read. */
  private decode(rows: readonly LegacyRow[]): FootprintCandleDTO[] {
    const candles: FootprintCandleDTO[] = [];
    for (const row of rows) {
      let decoded: ReturnType<FlatBufferSerializer['deserializeWithReport']>;
      try {
        decoded = this.serializer.deserializeWithReport(row.data, {
          exchange: row.exchange,
          symbol: row.symbol,
          timeframe: row.timeframe,
        });
      } catch (error) {
        this.reportRow(row, 'unreadable', `row ${String(row.id)}: ${(error as Error).message}`);
        continue;
      }
      if (decoded.candle.t !== row.open_time) {
        this.reportRow(
          row,
          'unreadable',
          `row ${String(row.id)}: its candle's open time ${decoded.candle.t} is not its open_time column ${row.open_time}`,
        );
        continue;
      }
      this.tally.add(decoded);
      candles.push(decoded.candle);
    }
    return candles;
  }

  private reportRow(row: LegacyRow, rule: LegacyRowProblem['rule'], message: string): void {
    const key = `${row.exchange}:${row.symbol}:${row.timeframe}:${row.open_time}`;
    const id = `${rule}\u0000${String(row.id)}\u0000${row.rowid}`;
    if (!this.rowProblems.has(id)) this.rowProblems.set(id, { rule, key, message });
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
