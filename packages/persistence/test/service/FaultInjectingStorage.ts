import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type {
  CandleIterationOptions,
  CandleQueryOptions,
  CandleStoragePort,
  SaveResult,
  SeriesInfo,
} from '../../src/index';

/** An fs-style error as Node raises it (`code` ENOSPC, EIO …). */
export function systemError(code: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: injected fault, write`);
  error.code = code;
  error.syscall = code === 'EIO' ? 'fsync' : 'write';
  return error;
}

/**
 * Wraps a real store and fails writes and flushes (the fsync path) on demand,
 * the way a full disk or a failing device would: nothing reaches the store
 * while the fault is on.
 */
export class FaultInjectingStorage implements CandleStoragePort {
  private fault: string | undefined;
  /** Writes (save/saveMany) still to fail with `nextWritesFault`, then writes pass again. */
  private failingWrites = 0;
  private nextWritesFault = 'EIO';
  failedCalls = 0;

  constructor(private readonly inner: CandleStoragePort) {}

  failWith(code: string): void {
    this.fault = code;
  }

  /** Fails the next `count` writes (save/saveMany) only, as a disk that fills up and is freed again. */
  failNextWrites(code: string, count = 1): void {
    this.nextWritesFault = code;
    this.failingWrites = count;
  }

  heal(): void {
    this.fault = undefined;
    this.failingWrites = 0;
  }

  private check(): void {
    if (this.fault) {
      this.failedCalls++;
      throw systemError(this.fault);
    }
  }

  private checkWrite(): void {
    this.check();
    if (this.failingWrites > 0) {
      this.failingWrites--;
      this.failedCalls++;
      throw systemError(this.nextWritesFault);
    }
  }

  async save(candle: FootprintCandleDTO): Promise<SaveResult> {
    this.checkWrite();
    return this.inner.save(candle);
  }

  async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    this.checkWrite();
    return this.inner.saveMany(candles);
  }

  findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    return this.inner.findBySymbol(symbol, exchange, timeframe, options);
  }

  findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]> {
    return this.inner.findLatest(symbol, exchange, timeframe, n);
  }

  listSeries(): Promise<SeriesInfo[]> {
    return this.inner.listSeries();
  }

  iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO> {
    return this.inner.iterate(options);
  }

  async flush(): Promise<void> {
    this.check();
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
