import { existsSync, statSync } from 'node:fs';
import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
  SaveResult,
  SeriesInfo,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { candleKeyOf, checkStorableCandle } from '../candle/candleKeyOf';
import { compareSeries } from '../candle/compareSeries';
import {
  checkIterationNames,
  checkLatestCount,
  checkSeriesQuery,
  resolveIteration,
  resolveQuery,
} from '../candle/queryOptions';
import {
  StorageClosedError,
  StorageReadOnlyError,
  StorageWriteError,
  StoreNotFoundError,
} from '../errors/StorageErrors';
import { createDirectoriesSync } from '../file/createDirectories';
import { FlatBufferCorruptError } from '../serialization/flatbuffer/FlatBufferErrors';
import { FlatBufferSerializer } from '../serialization/flatbuffer/FlatBufferSerializer';
import { GroupCommitQueue } from './GroupCommitQueue';
import type { EncodedCandle, SqliteDatabaseDiagnostics, StoredRow } from './SqliteCandleDatabase';
import { SqliteDatabaseSet } from './SqliteDatabaseSet';
import {
  type ResolvedSqliteStorageConfig,
  resolveSqliteStorageConfig,
  type SqliteStorageConfig,
} from './SqliteStorageConfig';

/**
 * Candles as FlatBuffer `Candle` blobs in SQLite, one row per candle
 * (docs/formats/sqlite-flatbuffers.md). WAL + synchronous=FULL; saves issued in
 * the same event-loop turn share one transaction (group commit) and resolve
 * only after it committed.
 */
export class SQLiteFlatBufferStorage implements CandleStoragePort, AsyncDisposable {
  private readonly serializer = new FlatBufferSerializer();
  private readonly databases: SqliteDatabaseSet;
  private readonly queue: GroupCommitQueue<readonly EncodedCandle[], SaveResult>;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(readonly config: ResolvedSqliteStorageConfig) {
    this.databases = new SqliteDatabaseSet(config);
    this.queue = new GroupCommitQueue((groups) => this.commit(groups));
  }

  /** Validates the options once, opens (or creates) the database(s). */
  static async open(config: SqliteStorageConfig): Promise<SQLiteFlatBufferStorage> {
    const storage = new SQLiteFlatBufferStorage(resolveSqliteStorageConfig(config));
    // Fail fast on an unreadable/foreign database rather than at the first save.
    const { organizeByExchange, readOnly, baseDir } = storage.config;
    if (readOnly) {
      // Nothing to read is not a format problem: the same error as the `.ftcd` store's.
      if (!isDirectory(baseDir))
        throw new StoreNotFoundError(`Cannot open read-only: ${baseDir} is not a directory`);
      const single = storage.databases.pathFor('');
      if (!organizeByExchange && !existsSync(single))
        throw new StoreNotFoundError(`Cannot open read-only: ${single} does not exist`);
    } else {
      // A writer makes its store exist at once, so a reader can open it before the first
      // candle; per exchange, the databases follow with their saves.
      createDirectoriesSync(baseDir, 'the store directory', { durable: true });
    }
    try {
      if (!organizeByExchange && !readOnly) storage.databases.forWrite('');
      else storage.databases.all();
    } catch (error) {
      storage.databases.closeAll();
      throw error;
    }
    return storage;
  }

  save(candle: FootprintCandleDTO): Promise<SaveResult> {
    return this.saveMany([candle]);
  }

  async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    this.assertOpen();
    if (this.config.readOnly) throw new StorageReadOnlyError();
    if (!Array.isArray(candles)) throw new TypeError('saveMany expects an array of candles');
    // Encode now: bad input fails alone, and later mutation of the caller's objects cannot leak in.
    const encoded = candles.map((candle): EncodedCandle => {
      const key = candleKeyOf(candle);
      checkStorableCandle(candle);
      return {
        exchange: key.exchange,
        symbol: key.symbol,
        timeframe: key.timeframe,
        openTime: key.openTime,
        data: this.serializer.serialize(candle),
      };
    });
    if (encoded.length === 0) return { written: 0, unchanged: 0 };
    return this.queue.submit(encoded);
  }

  async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    const query = resolveQuery(options);
    checkSeriesQuery(symbol, exchange, timeframe);
    await this.readBarrier();
    if (query.limit === 0) return [];
    const database = this.databases.forRead(exchange);
    if (!database) return [];
    const rows = database.range(
      exchange,
      symbol,
      timeframe,
      query.startTime,
      query.endTime,
      query.limit,
      query.order,
    );
    return this.decodeRows(rows, exchange, symbol, timeframe);
  }

  /**
   * Like findBySymbol, but the stored FlatBuffer `Candle` blobs themselves, for
   * zero-copy reads: `readCandleInPlace(blob).c()` touches only the bytes of
   * that field. Same filters, order and limit.
   */
  async findBlobsBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<Uint8Array[]> {
    const query = resolveQuery(options);
    checkSeriesQuery(symbol, exchange, timeframe);
    await this.readBarrier();
    if (query.limit === 0) return [];
    const database = this.databases.forRead(exchange);
    if (!database) return [];
    return database
      .range(exchange, symbol, timeframe, query.startTime, query.endTime, query.limit, query.order)
      .map((row) => row.data);
  }

  async findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    checkLatestCount(n);
    checkSeriesQuery(symbol, exchange, timeframe);
    await this.readBarrier();
    if (n === 0) return [];
    const database = this.databases.forRead(exchange);
    if (!database) return [];
    const rows = database.range(
      exchange,
      symbol,
      timeframe,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      n,
      'desc',
    );
    return this.decodeRows(rows, exchange, symbol, timeframe).reverse();
  }

  async listSeries(): Promise<SeriesInfo[]> {
    await this.readBarrier();
    return this.databases
      .all()
      .flatMap((database) => database.series())
      .sort(compareSeries);
  }

  async *iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    const { startTime, endTime, ...filter } = resolveIteration(options);
    checkIterationNames(filter);
    const series = (await this.listSeries()).filter(
      (info) =>
        (filter.exchange === undefined || info.exchange === filter.exchange) &&
        (filter.symbol === undefined || info.symbol === filter.symbol) &&
        (filter.timeframe === undefined || info.timeframe === filter.timeframe),
    );
    const pageSize = this.config.maxCandlesPerBlock;
    for (const info of series) {
      let from = startTime;
      for (;;) {
        this.assertOpen();
        const database = this.databases.forRead(info.exchange);
        if (!database) break;
        // Keyset pagination: at most one page of blobs in memory at a time.
        const rows = database.range(
          info.exchange,
          info.symbol,
          info.timeframe,
          from,
          endTime,
          pageSize,
          'asc',
        );
        for (const candle of this.decodeRows(rows, info.exchange, info.symbol, info.timeframe)) yield candle;
        const last = rows[rows.length - 1];
        if (rows.length < pageSize || last === undefined) break;
        from = last.open_time + 1;
      }
    }
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await this.queue.drain();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue.drain();
      this.closed = true;
      this.databases.closeAll();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Path and effective settings of every open database. */
  diagnostics(): SqliteDatabaseDiagnostics[] {
    this.assertOpen();
    return this.databases.all().map((database) => database.diagnostics());
  }

  /** `PRAGMA integrity_check` of every database: `ok` or the problems found. */
  integrityCheck(): string[] {
    this.assertOpen();
    return this.databases.all().map((database) => database.integrityCheck());
  }

  /**
   * Series whose summary (what `listSeries` returns) disagrees with the
   * candles stored, per database (`<path>: ...`); none in a database only
   * this class wrote, which updates both in one transaction.
   */
  seriesSummaryProblems(): string[] {
    this.assertOpen();
    return this.databases
      .all()
      .flatMap((database) =>
        database.seriesSummaryProblems().map((problem) => `${database.path}: ${problem}`),
      );
  }

  /** Reads see every save submitted before them. */
  private async readBarrier(): Promise<void> {
    this.assertOpen();
    if (this.queue.size > 0) await this.queue.drain();
  }

  private commit(groups: readonly (readonly EncodedCandle[])[]): SaveResult[] {
    const results = groups.map(() => ({ written: 0, unchanged: 0 }));
    // Route every candle to its database, remembering which save it belongs to.
    const perDatabase = new Map<string, { candles: EncodedCandle[]; owners: number[] }>();
    groups.forEach((candles, owner) => {
      for (const candle of candles) {
        const path = this.databases.pathFor(candle.exchange);
        let batch = perDatabase.get(path);
        if (!batch) {
          batch = { candles: [], owners: [] };
          perDatabase.set(path, batch);
        }
        batch.candles.push(candle);
        batch.owners.push(owner);
      }
    });
    const probe = this.config.probe;
    for (const [path, batch] of perDatabase) {
      const first = batch.candles[0] as EncodedCandle;
      const detail = { path, candles: batch.candles.length };
      let changed: boolean[];
      try {
        changed = this.databases
          .forWrite(first.exchange)
          .apply(batch.candles, probe && (() => probe('sqlite:before-commit', detail)));
      } catch (error) {
        throw new StorageWriteError(`SQLite commit failed: ${(error as Error).message}`, { cause: error });
      }
      probe?.('sqlite:committed', detail);
      changed.forEach((didChange, index) => {
        const result = results[batch.owners[index] as number] as SaveResult;
        if (didChange) result.written += 1;
        else result.unchanged += 1;
      });
    }
    return results;
  }

  /**
   * The candles of a series' rows. Each must be the candle its row is keyed by:
   * a blob written for another row (or cut short, as a writer bug once did for
   * candles over 64 KiB: see FlatCandleWriter) would otherwise be read as the
   * wrong candle without a word. Four comparisons per candle.
   */
  private decodeRows(
    rows: readonly StoredRow[],
    exchange: string,
    symbol: string,
    timeframe: string,
  ): FootprintCandleDTO[] {
    const candles = new Array<FootprintCandleDTO>(rows.length);
    // The row's name only when a read fails: not a string per candle read.
    const where = (row: StoredRow) => `${exchange}:${symbol}:${timeframe}:${row.open_time}`;
    for (let index = 0; index < rows.length; index++) {
      const row = rows[index] as StoredRow;
      let candle: FootprintCandleDTO;
      try {
        candle = this.serializer.deserialize(row.data);
      } catch (error) {
        if (error instanceof FlatBufferCorruptError)
          throw new FlatBufferCorruptError(`The candle stored as ${where(row)}: ${error.message}`, {
            cause: error,
          });
        throw error;
      }
      if (
        candle.t !== row.open_time ||
        candle.ex !== exchange ||
        candle.s !== symbol ||
        candle.i !== timeframe
      ) {
        throw new FlatBufferCorruptError(
          `The candle stored as ${where(row)} decodes as ${candle.ex}:${candle.s}:${candle.i}:${candle.t}: its row is damaged; save the candle again from its source`,
        );
      }
      candles[index] = candle;
    }
    return candles;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError('SQLite candle storage');
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
