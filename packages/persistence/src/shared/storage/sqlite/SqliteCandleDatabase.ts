import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { TimeframeName } from '@flowtrace/core';
import Database from 'better-sqlite3';
import type { SeriesInfo } from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { createDirectoriesSync } from '../file/createDirectories';
import { fsyncDirectory } from './fsyncDirectory';
import type { ResolvedSqliteStorageConfig } from './SqliteStorageConfig';
import { SqliteFormatError, SqliteWalFilesUnavailableError } from './SqliteStorageErrors';
import {
  SQLITE_FORMAT_NAME,
  SQLITE_FORMAT_VERSION,
  SQLITE_PAGE_SIZE,
  SQLITE_SCHEMA_DDL,
} from './sqliteSchema';

/** One candle ready to be written: its key and its FlatBuffer bytes. */
export interface EncodedCandle {
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  readonly openTime: number;
  readonly data: Uint8Array;
}

export interface StoredRow {
  open_time: number;
  data: Buffer;
}

export interface SqliteDatabaseDiagnostics {
  path: string;
  /** `wal` or `delete`. */
  journalMode: string;
  /** 2 = FULL. */
  synchronous: number;
  cacheSizeKb: number;
  mmapSize: number;
  pageSize: number;
  readOnly: boolean;
}

interface SeriesRow {
  exchange: string;
  symbol: string;
  timeframe: string;
  first_open_time: number;
  last_open_time: number;
  candle_count: number;
}

/** Range bounds SQLite can compare with INTEGER open times (±Infinity is not bindable as a key). */
const FAR_PAST = -Number.MAX_SAFE_INTEGER;
const FAR_FUTURE = Number.MAX_SAFE_INTEGER;

export function clampTime(time: number): number {
  return Math.max(FAR_PAST, Math.min(FAR_FUTURE, time));
}

/**
 * One FlowTrace FlatBuffer candle database file: connection, pragmas, schema,
 * prepared statements. Synchronous (better-sqlite3); the storage class adds
 * group commit on top.
 */
export class SqliteCandleDatabase {
  private readonly db: Database.Database;
  private readonly selectData: Database.Statement<[string, string, string, number], Buffer>;
  private readonly insertCandle: Database.Statement<[string, string, string, number, number, Uint8Array]>;
  private readonly updateCandle: Database.Statement<[number, Uint8Array, string, string, string, number]>;
  private readonly upsertSeries: Database.Statement<[string, string, string, number, number, number, number]>;
  private readonly rangeAsc: Database.Statement<[string, string, string, number, number, number], StoredRow>;
  private readonly rangeDesc: Database.Statement<[string, string, string, number, number, number], StoredRow>;
  private readonly seriesAll: Database.Statement<[], SeriesRow>;
  private readonly applyTransaction: (
    candles: readonly EncodedCandle[],
    beforeCommit: (() => void) | undefined,
  ) => boolean[];

  private constructor(
    db: Database.Database,
    readonly path: string,
  ) {
    this.db = db;
    this.selectData = db
      .prepare<[string, string, string, number], Buffer>(
        'SELECT data FROM fb_candles WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time = ?',
      )
      .pluck();
    this.insertCandle = db.prepare(
      `INSERT INTO fb_candles (exchange, symbol, timeframe, open_time, updated_at, data) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (exchange, symbol, timeframe, open_time) DO NOTHING`,
    );
    this.updateCandle = db.prepare(
      'UPDATE fb_candles SET updated_at = ?, data = ? WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time = ?',
    );
    this.upsertSeries = db.prepare(
      `INSERT INTO fb_series (exchange, symbol, timeframe, first_open_time, last_open_time, candle_count)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (exchange, symbol, timeframe) DO UPDATE SET
         first_open_time = min(first_open_time, excluded.first_open_time),
         last_open_time = max(last_open_time, excluded.last_open_time),
         candle_count = candle_count + ?`,
    );
    const range = (order: 'ASC' | 'DESC') =>
      db.prepare<[string, string, string, number, number, number], StoredRow>(
        `SELECT open_time, data FROM fb_candles
         WHERE exchange = ? AND symbol = ? AND timeframe = ? AND open_time >= ? AND open_time <= ?
         ORDER BY open_time ${order} LIMIT ?`,
      );
    this.rangeAsc = range('ASC');
    this.rangeDesc = range('DESC');
    this.seriesAll = db.prepare<[], SeriesRow>(
      'SELECT exchange, symbol, timeframe, first_open_time, last_open_time, candle_count FROM fb_series',
    );
    // BEGIN IMMEDIATE: take the write lock up front, so a second writer process waits
    // (busy timeout) instead of failing with SQLITE_BUSY when a read would upgrade.
    this.applyTransaction = db.transaction(
      (candles: readonly EncodedCandle[], beforeCommit: (() => void) | undefined) => {
        const changed = this.applyAll(candles);
        // Inside the transaction: a throw here rolls the whole group back.
        beforeCommit?.();
        return changed;
      },
    ).immediate;
  }

  /** Opens (creating when allowed) and checks the format of the database at `path`. */
  static open(path: string, config: ResolvedSqliteStorageConfig): SqliteCandleDatabase {
    if (config.readOnly) {
      const db = new Database(path, { readonly: true, fileMustExist: true, timeout: config.busyTimeoutMs });
      try {
        // cache_size reads the schema: the first access to the file, where the WAL files are needed.
        applyReadPragmas(db, config);
        checkFormat(db, path, true);
      } catch (error) {
        db.close();
        throw walFilesUnavailable(path, error) ?? error;
      }
      return new SqliteCandleDatabase(db, path);
    }
    const directory = dirname(path);
    // Each directory made is fsync'd into its parent here; the database file's entry below.
    createDirectoriesSync(directory, 'the database directory', { durable: true });
    const created = !existsSync(path);
    const db = new Database(path, { timeout: config.busyTimeoutMs });
    try {
      // Only takes effect on a new, empty database (before WAL and the first table):
      // a ~4 KB 50-bin blob then fits in its b-tree cell instead of spilling to
      // overflow pages (measured: ~2.5x faster inserts, ~1.7x faster range reads).
      if (created) db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
      db.pragma(`journal_mode = ${config.walMode ? 'WAL' : 'DELETE'}`);
      // FULL: in WAL mode NORMAL does not fsync the WAL on commit, so a power
      // loss could drop transactions we already reported durable.
      db.pragma('synchronous = FULL');
      applyReadPragmas(db, config);
      db.exec(SQLITE_SCHEMA_DDL);
      db.transaction(() => {
        const insertMeta = db.prepare('INSERT OR IGNORE INTO flowtrace_meta (key, value) VALUES (?, ?)');
        insertMeta.run('format', SQLITE_FORMAT_NAME);
        insertMeta.run('version', String(SQLITE_FORMAT_VERSION));
      })();
      checkFormat(db, path, false);
      if (created) {
        // The database file must survive a crash too (its directories already do).
        fsyncDirectory(directory);
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteCandleDatabase(db, path);
  }

  /**
   * Writes candles in one transaction, in order (a later candle of the same key
   * sees the earlier one). Returns, per candle, whether it changed anything
   * (false: identical bytes already stored). Durable when it returns.
   * `beforeCommit` runs once every row is written, before COMMIT (probe point).
   */
  apply(candles: readonly EncodedCandle[], beforeCommit?: () => void): boolean[] {
    return this.applyTransaction(candles, beforeCommit);
  }

  private applyAll(candles: readonly EncodedCandle[]): boolean[] {
    const now = Date.now();
    const changed = new Array<boolean>(candles.length);
    // New keys per series, folded into one fb_series upsert per series at the end.
    const added = new Map<string, { candle: EncodedCandle; first: number; last: number; count: number }>();
    for (let index = 0; index < candles.length; index++) {
      const candle = candles[index] as EncodedCandle;
      const { exchange, symbol, timeframe, openTime, data } = candle;
      // New keys (the common case) cost one statement; only an existing key is read back and compared.
      if (this.insertCandle.run(exchange, symbol, timeframe, openTime, now, data).changes === 1) {
        const seriesId = `${exchange}:${symbol}:${timeframe}`;
        const series = added.get(seriesId);
        if (series) {
          series.first = Math.min(series.first, openTime);
          series.last = Math.max(series.last, openTime);
          series.count += 1;
        } else {
          added.set(seriesId, { candle, first: openTime, last: openTime, count: 1 });
        }
        changed[index] = true;
        continue;
      }
      const existing = this.selectData.get(exchange, symbol, timeframe, openTime) as Buffer;
      if (Buffer.compare(existing, data) === 0) {
        changed[index] = false;
      } else {
        this.updateCandle.run(now, data, exchange, symbol, timeframe, openTime);
        changed[index] = true;
      }
    }
    for (const { candle, first, last, count } of added.values()) {
      this.upsertSeries.run(candle.exchange, candle.symbol, candle.timeframe, first, last, count, count);
    }
    return changed;
  }

  range(
    exchange: string,
    symbol: string,
    timeframe: string,
    startTime: number,
    endTime: number,
    limit: number,
    order: 'asc' | 'desc',
  ): StoredRow[] {
    const statement = order === 'asc' ? this.rangeAsc : this.rangeDesc;
    const sqlLimit = Number.isFinite(limit) ? limit : -1;
    return statement.all(exchange, symbol, timeframe, clampTime(startTime), clampTime(endTime), sqlLimit);
  }

  series(): SeriesInfo[] {
    return this.seriesAll.all().map((row) => ({
      exchange: row.exchange,
      symbol: row.symbol,
      timeframe: row.timeframe as TimeframeName,
      firstOpenTime: row.first_open_time,
      lastOpenTime: row.last_open_time,
      count: row.candle_count,
    }));
  }

  /** The settings this connection actually runs with (pragmas are per connection). */
  diagnostics(): SqliteDatabaseDiagnostics {
    const read = (name: string) => this.db.pragma(name, { simple: true });
    return {
      path: this.path,
      journalMode: String(read('journal_mode')),
      synchronous: Number(read('synchronous')),
      cacheSizeKb: -Number(read('cache_size')),
      mmapSize: Number(read('mmap_size')),
      pageSize: Number(read('page_size')),
      readOnly: this.db.readonly,
    };
  }

  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  /**
   * Series whose summary row (fb_series, what `listSeries` reads) disagrees
   * with the candles stored (fb_candles): a database salvaged row by row
   * (`sqlite3 .dump`) after damage can hold summaries of candles it lost, or
   * candles without a summary. One full scan of the key index.
   */
  seriesSummaryProblems(): string[] {
    const rows = this.db
      .prepare<[], SummaryMismatchRow>(
        `WITH stored AS (
           SELECT exchange, symbol, timeframe, min(open_time) AS first, max(open_time) AS last, count(*) AS n
           FROM fb_candles GROUP BY exchange, symbol, timeframe)
         SELECT s.exchange, s.symbol, s.timeframe, s.first_open_time, s.last_open_time, s.candle_count,
                c.first, c.last, c.n
         FROM fb_series s LEFT JOIN stored c USING (exchange, symbol, timeframe)
         WHERE c.n IS NULL OR c.n != s.candle_count OR c.first != s.first_open_time OR c.last != s.last_open_time
         UNION ALL
         SELECT c.exchange, c.symbol, c.timeframe, NULL, NULL, NULL, c.first, c.last, c.n
         FROM stored c LEFT JOIN fb_series s USING (exchange, symbol, timeframe)
         WHERE s.exchange IS NULL`,
      )
      .all();
    return rows.map((row) => {
      const series = `${row.exchange}/${row.symbol}/${row.timeframe}`;
      const stored = row.n === null ? 'no candles' : describeRange(row.n, row.first, row.last);
      return row.candle_count === null
        ? `series ${series}: ${stored} stored without a summary row (fb_series)`
        : `series ${series}: its summary (fb_series) says ${describeRange(row.candle_count, row.first_open_time, row.last_open_time)}, the database holds ${stored}`;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A read-only open that failed for want of the WAL files, as a typed error saying what is needed.
 * SQLite reads a WAL database through `-wal` and `-shm` files beside it and creates them when they
 * are missing (no connection has it open), even read-only: without write access to the directory
 * that fails (SQLITE_READONLY_DIRECTORY, or SQLITE_CANTOPEN for a missing -shm). SQLite's way
 * around it, the `immutable=1` URI parameter, is out of reach: better-sqlite3 builds SQLite with
 * SQLITE_USE_URI=0 and opens without SQLITE_OPEN_URI, so a `file:` name is taken literally. And
 * reading a copy into memory would cost the database's size. Undefined for any other failure.
 */
function walFilesUnavailable(path: string, error: unknown): SqliteWalFilesUnavailableError | undefined {
  // checkFormat wraps the first read's failure: the SQLite error is its cause then.
  const sqlite = error instanceof SqliteFormatError ? error.cause : error;
  const code = (sqlite as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN'))
    return undefined;
  if (existsSync(`${path}-wal`) && existsSync(`${path}-shm`)) return undefined;
  const directory = dirname(path);
  try {
    accessSync(directory, constants.W_OK);
    return undefined; // it could have created them: something else failed
  } catch {
    const name = basename(path);
    return new SqliteWalFilesUnavailableError(
      `Cannot read ${path}: SQLite reads it through ${name}-wal and ${name}-shm beside it and creates them when they are missing (no process has it open: the daemon stopped),` +
        ` which needs write access to ${directory}; or read while the daemon runs, or a copy in a directory you can write`,
      { cause: sqlite },
    );
  }
}

function applyReadPragmas(db: Database.Database, config: ResolvedSqliteStorageConfig): void {
  db.pragma(`cache_size = -${config.cacheSize}`);
  db.pragma(`mmap_size = ${config.mmapSize}`);
}

function checkFormat(db: Database.Database, path: string, readOnly: boolean): void {
  let rows: { key: string; value: string }[];
  try {
    rows = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM flowtrace_meta').all();
  } catch (error) {
    throw new SqliteFormatError(
      `${path} is not a FlowTrace FlatBuffer candle database (no flowtrace_meta table)`,
      {
        cause: error,
      },
    );
  }
  const meta = new Map(rows.map((row) => [row.key, row.value]));
  if (meta.get('format') !== SQLITE_FORMAT_NAME) {
    throw new SqliteFormatError(
      `${path} has format "${meta.get('format')}", expected "${SQLITE_FORMAT_NAME}"`,
    );
  }
  const version = Number(meta.get('version'));
  if (version > SQLITE_FORMAT_VERSION || !Number.isInteger(version)) {
    throw new SqliteFormatError(
      `${path} is format version ${meta.get('version')}; this build ${readOnly ? 'reads' : 'writes'} version ${SQLITE_FORMAT_VERSION}`,
    );
  }
}

/** A row of `seriesSummaryProblems`' query: the summary's side is null for candles without one. */
interface SummaryMismatchRow {
  exchange: string;
  symbol: string;
  timeframe: string;
  first_open_time: number | null;
  last_open_time: number | null;
  candle_count: number | null;
  first: number | null;
  last: number | null;
  n: number | null;
}

function describeRange(count: number, first: number | null, last: number | null): string {
  const at = (time: number | null) => (time === null ? '?' : new Date(time).toISOString());
  return `${count} candle(s) from ${at(first)} to ${at(last)}`;
}
