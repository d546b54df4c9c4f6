import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
  SaveResult,
  SeriesInfo,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';
import type { CandleRange } from '../../storage/candle/CandleRange';
import { findCandleRange } from '../../storage/candle/findCandleRange';
import { readStoreDiagnostics, type StoreDiagnostics } from './storeDiagnostics';

/** Opens a store; called on every start() so start-after-stop gets a fresh one. */
export type CandleStorageFactory = () => Promise<CandleStoragePort>;

/**
 * What callers may inject: a factory (the service opens and closes the store
 * with its own lifecycle) or an open store (the caller owns it: the service
 * flushes it on stop() but never closes it).
 */
export type CandleStorageSource = CandleStorageFactory | CandleStoragePort;

export class StorageNotOpenError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_NOT_OPEN';
  readonly retryable = true;
  constructor() {
    super('Candle storage is not open (the service is not running)');
  }
}

/**
 * The CandleStoragePort the use case holds for the app's whole life; it
 * delegates to the store opened at start() and released at stop().
 */
export class ManagedCandleStorage implements CandleStoragePort {
  private current: CandleStoragePort | undefined;

  constructor(private readonly source: CandleStorageSource) {}

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  /** The open store's own report on its files (corruption, quarantine, repairs), if it gives one. */
  diagnostics(): StoreDiagnostics | undefined {
    return readStoreDiagnostics(this.current);
  }

  async open(): Promise<void> {
    if (this.current) return;
    this.current = typeof this.source === 'function' ? await this.source() : this.source;
  }

  /**
   * Releases nothing: the service owns this store and `app.stop()` closes it.
   * Code handed `app.storage` as a plain CandleStoragePort may close it when done
   * (a migration, a `using` block); the service goes on writing regardless.
   */
  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {}

  /** The service's stop(): flushes, then closes the store when the service opened it. */
  async release(): Promise<void> {
    const store = this.current;
    this.current = undefined;
    if (!store) return;
    if (typeof this.source === 'function') await store.close();
    else await store.flush();
  }

  // Every call returns a promise (or an async iterable) and, while the service is not running,
  // rejects with StorageNotOpenError: it never throws synchronously.
  async save(candle: FootprintCandleDTO): Promise<SaveResult> {
    return this.store().save(candle);
  }

  async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    return this.store().saveMany(candles);
  }

  async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    return this.store().findBySymbol(symbol, exchange, timeframe, options);
  }

  async findRange(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<CandleRange> {
    return findCandleRange(this.store(), symbol, exchange, timeframe, options);
  }

  async findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    return this.store().findLatest(symbol, exchange, timeframe, n);
  }

  async listSeries(): Promise<SeriesInfo[]> {
    return this.store().listSeries();
  }

  async *iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    yield* this.store().iterate(options);
  }

  async flush(): Promise<void> {
    return this.store().flush();
  }

  private store(): CandleStoragePort {
    if (!this.current) throw new StorageNotOpenError();
    return this.current;
  }
}
