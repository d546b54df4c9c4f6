import type { PersistCandleOutcome, PersistCandleRequest } from '../../use-cases/PersistCandle/DTO';

/**
 * The service's entry point, used by both consumers (socket and queue).
 *
 * Both methods resolve only once every accepted candle is durable and every
 * rejected one is durably recorded in the rejected-candles log; they reject with
 * StorageUnavailableError (retryable) when either write fails, and then nothing
 * in the call may be acknowledged.
 */
export interface CandlePersistencePort {
  persist(request: PersistCandleRequest): Promise<PersistCandleOutcome>;
  /** One storage group commit for the whole batch; outcomes in request order. */
  persistMany(requests: readonly PersistCandleRequest[]): Promise<PersistCandleOutcome[]>;
}
