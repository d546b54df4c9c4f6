import type { CandlePersistencePort } from '../../../features/candlePersistence/application/ports/in/CandlePersistencePort';
import type {
  PersistCandleOutcome,
  PersistCandleRequest,
} from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import { CandleRejectedError } from '../../../features/candlePersistence/domain/errors/CandleRejectedError';
import type { CandleAck } from './SocketRequestHandler';

/** Told the seconds from receipt to durable ack of each persisted candle. */
export type AckObserver = (seconds: number) => void;

/**
 * What answering one request needs. Not the payload: it is only read until
 * the batch is validated and copied by the store, and kept past that it would
 * survive garbage collections for the whole durable write (fsync included).
 */
interface PendingCandle {
  resolve: (ack: CandleAck) => void;
  reject: (error: unknown) => void;
  /** performance.now() at receipt. */
  receivedAt: number;
  onAcked: AckObserver | undefined;
}

/** Most single-candle requests gathered into one persistMany call. */
export const MAX_SOCKET_BATCH = 1_000;

/**
 * Gathers the single-candle requests dispatched during one synchronous run
 * (every frame of one socket read is dispatched in a loop) into ONE
 * persistMany call: one validation pass, one storage saveMany (one group-commit
 * entry), one set of metrics and one chain of promises for the batch instead
 * of one per candle. The flush is a microtask, so it runs right after that
 * loop: batching never waits for a timer and adds no latency.
 *
 * Each request still gets its own answer: its ack once the batch is durable,
 * or a CandleRejectedError with its own issues, or (its partition refused
 * writes while the rest was saved) a retryable PartitionUnwritableError. If the
 * batch's storage write (or its rejected-candles log write) fails, every
 * request of the batch fails with that retryable error and nothing is
 * acknowledged (a rejected one sent again with its id is neither recorded in
 * the rejected-candles log nor counted again: JsonlRejectedCandleLog).
 */
export class SocketCandleBatcher {
  private pending: PendingCandle[] = [];
  private requests: PersistCandleRequest[] = [];

  constructor(
    private readonly persistence: CandlePersistencePort,
    private readonly maxBatch = MAX_SOCKET_BATCH,
  ) {}

  /**
   * Resolves with the candle's ack once it is durable (after telling
   * `onAcked` its latency from `receivedAt`); rejects as described above.
   */
  persist(
    payload: unknown,
    messageId: string,
    receivedAt = performance.now(),
    onAcked?: AckObserver,
  ): Promise<CandleAck> {
    return new Promise<CandleAck>((resolve, reject) => {
      if (this.pending.length === 0) queueMicrotask(this.flush);
      this.requests.push({ payload, channel: 'socket', messageId });
      this.pending.push({
        resolve,
        reject,
        receivedAt,
        onAcked,
      });
      if (this.pending.length >= this.maxBatch) this.flush();
    });
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    const requests = this.requests;
    this.pending = [];
    this.requests = [];
    let outcomes: Promise<PersistCandleOutcome[]>;
    try {
      outcomes = this.persistence.persistMany(requests);
    } catch (error) {
      outcomes = Promise.reject(error);
    }
    outcomes.then(
      (results) => settle(batch, results),
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  };
}

function settle(batch: readonly PendingCandle[], outcomes: readonly PersistCandleOutcome[]): void {
  const now = performance.now();
  batch.forEach((pending, index) => {
    const outcome = outcomes[index];
    if (outcome === undefined) {
      pending.reject(new Error('persistMany returned fewer outcomes than requests'));
    } else if (outcome.status === 'persisted') {
      observe(pending, now);
      pending.resolve({ candleId: outcome.candleId, persistedAt: outcome.persistedAt });
    } else if (outcome.status === 'unsaved') {
      pending.reject(outcome.error);
    } else {
      pending.reject(new CandleRejectedError(outcome.issues));
    }
  });
}

/** A metrics failure must never cost an ack (nor, thrown in a promise callback, the process). */
function observe(pending: PendingCandle, now: number): void {
  try {
    pending.onAcked?.((now - pending.receivedAt) / 1000);
  } catch {
    // The ack itself is what matters; the latency sample is lost.
  }
}
