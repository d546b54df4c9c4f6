import { QUEUE_POLL_MESSAGE_TYPE, type QueuePollReply } from '@flowtrace/ipc';
import type { CandlePersistencePort } from '../../../features/candlePersistence/application/ports/in/CandlePersistencePort';
import type {
  PersistCandleOutcome,
  PersistCandleRequest,
} from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import { CandleRejectedError } from '../../../features/candlePersistence/domain/errors/CandleRejectedError';
import { BatchNotFullySavedError, InvalidBatchPayloadError, UnknownMessageTypeError } from './errors';
import { CANDLE_BATCH_TYPE, SINGLE_CANDLE_TYPES } from './messageTypes';
import { type AckObserver, SocketCandleBatcher } from './SocketCandleBatcher';

/** The request envelope as the socket server hands it over. */
export interface IncomingMessage {
  id: string;
  type: string;
  payload: unknown;
}

/** Polls the fallback queue soon (QueueConsumer); false when it is not polling (stopped, paused). */
export interface QueueWakeup {
  pollSoon(): boolean;
}

/** Reply `data` of a persisted candle (original platform's shape). */
export interface CandleAck {
  candleId: string;
  persistedAt: number;
}

/** One element of a `candle:batch` reply's `results`, in request order. */
export type BatchItemResult =
  | { index: number; success: true; candleId: string; persistedAt: number }
  | {
      index: number;
      success: false;
      candleId: string | undefined;
      error: string;
      code: string;
      /** false: refused by validation; true: valid but not saved (partition refusing writes), send again. */
      retryable: boolean;
    };

export interface BatchAck {
  persisted: number;
  /** Refused by validation (recorded in the rejected-candles log): never retried. */
  rejected: number;
  /** Valid, but their partition refused writes: not acknowledged, retryable (send them again). */
  unsaved: number;
  results: BatchItemResult[];
}

/**
 * Routes socket requests to the persistence port. The returned value becomes the
 * reply's `data`; a thrown FlowTracePersistenceError becomes `success:false`
 * with its `code` and `retryable` (the server copies both onto the wire).
 * Resolves only after the candle is durable, so a success reply is a durable ack.
 */
export class SocketRequestHandler {
  /** Single candles of one socket read share one persistMany call (see SocketCandleBatcher). */
  private readonly singles: SocketCandleBatcher;

  /**
   * `queueWakeup`: what a `queue:poll` message asks to poll now (the queue
   * consumer); without it such a message is answered `{ polling: false }`.
   */
  constructor(
    private readonly persistence: CandlePersistencePort,
    private readonly queueWakeup?: QueueWakeup,
  ) {
    this.singles = new SocketCandleBatcher(persistence);
  }

  /**
   * `onAcked`, when given, is told each success's time from `receivedAt`
   * (performance.now() ms) to its durable ack, in seconds, just before the reply
   * is released (so the caller needs no promise of its own per request). A
   * success is a reply that stored a candle: a single candle persisted, or a
   * `candle:batch` with at least one persisted; a batch whose candles were all
   * rejected is answered `success: true` but, as in the queue channel, not timed.
   */
  handle(
    message: IncomingMessage,
    onAcked?: AckObserver,
    receivedAt = performance.now(),
  ): Promise<CandleAck | BatchAck | QueuePollReply> {
    if (SINGLE_CANDLE_TYPES.has(message.type)) {
      return this.singles.persist(message.payload, message.id, receivedAt, onAcked);
    }
    if (message.type === CANDLE_BATCH_TYPE) {
      const reply = this.handleBatch(message);
      return onAcked === undefined
        ? reply
        : reply.then((ack) => {
            if (ack.persisted > 0) onAcked((performance.now() - receivedAt) / 1000);
            return ack;
          });
    }
    if (message.type === QUEUE_POLL_MESSAGE_TYPE) {
      return Promise.resolve({ polling: this.queueWakeup?.pollSoon() === true });
    }
    return Promise.reject(new UnknownMessageTypeError(message.type));
  }

  private async handleBatch(message: IncomingMessage): Promise<BatchAck> {
    const candles = batchCandles(message.payload);
    const requests: PersistCandleRequest[] = candles.map((payload, index) => ({
      payload,
      channel: 'socket',
      messageId: `${message.id}#${index}`,
      batchId: message.id,
    }));
    const outcomes = await this.persistence.persistMany(requests);
    const ack = summarize(outcomes);
    if (ack.unsaved > 0) throw new BatchNotFullySavedError(ack);
    return ack;
  }
}

function batchCandles(payload: unknown): unknown[] {
  const candles =
    typeof payload === 'object' && payload !== null ? (payload as { candles?: unknown }).candles : undefined;
  if (!Array.isArray(candles)) {
    throw new InvalidBatchPayloadError(`${CANDLE_BATCH_TYPE} payload must be { candles: FootprintCandle[] }`);
  }
  // No count limit: the frame limit (maxFrameBytes) bounds a batch, and its reply is smaller than
  // the request (about 100 bytes per candle against several hundred), so it fits the client's
  // frames too. A limit here would refuse, as invalid, what the queue channel stores.
  return candles;
}

function summarize(outcomes: readonly PersistCandleOutcome[]): BatchAck {
  let persisted = 0;
  let unsaved = 0;
  const results = outcomes.map((outcome, index): BatchItemResult => {
    if (outcome.status === 'persisted') {
      persisted++;
      return { index, success: true, candleId: outcome.candleId, persistedAt: outcome.persistedAt };
    }
    if (outcome.status === 'unsaved') {
      unsaved++;
      return {
        index,
        success: false,
        candleId: outcome.candleId,
        error: outcome.error.message,
        code: outcome.error.code,
        retryable: true,
      };
    }
    const error = new CandleRejectedError(outcome.issues);
    return {
      index,
      success: false,
      candleId: outcome.candleId,
      error: error.message,
      code: error.code,
      retryable: false,
    };
  });
  return { persisted, rejected: outcomes.length - persisted - unsaved, unsaved, results };
}
