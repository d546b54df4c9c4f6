import type { PublishResult } from '@flowtrace/ipc';

/** A candle of a batch the daemon acknowledged but refused to store (its validation policy). */
export interface RefusedCandle {
  /** Position in the batch as published. */
  index: number;
  candleId: string | undefined;
  reason: string;
}

/** What became of the candles of one `candle:batch` publish. */
export interface BatchTally {
  /** Stored by the daemon (durable when acknowledged). */
  stored: number;
  /** In the daemon's fallback queue: it validates and stores them when it drains it. */
  queued: number;
  /** Acknowledged but refused by the daemon's validation (in its rejected-candles log). */
  refused: RefusedCandle[];
}

/** The reply `data` of a `candle:batch` (persistence's BatchAck), as far as counting needs it. */
interface BatchReply {
  persisted: number;
  rejected: number;
  results: { index: number; success: boolean; candleId?: unknown; error?: unknown }[];
}

/**
 * Counts a batch of `size` candles from its publish result. A batch cut into
 * parts (`partResults`) is counted part by part: the parts are consecutive
 * slices of the batch, and once one fell back to the queue every later part
 * did too (HybridPublisher's rule), so the queued candles are the batch's
 * tail after the acknowledged parts. A reply that is not a batch reply (a
 * daemon that answers otherwise) cannot say what it refused: the batch then
 * counts as its `via` says.
 */
export function tallyBatch(result: PublishResult, size: number): BatchTally {
  const messages = result.partResults ?? [result];
  const tally: BatchTally = { stored: 0, queued: 0, refused: [] };
  let offset = 0;
  for (const message of messages) {
    if (message.via === 'queue') break;
    const reply = asBatchReply(message.reply);
    if (reply === undefined) return wholeBatch(result, size);
    tally.stored += reply.persisted;
    for (const item of reply.results) {
      if (item.success) continue;
      tally.refused.push({
        index: offset + item.index,
        candleId: typeof item.candleId === 'string' ? item.candleId : undefined,
        reason: typeof item.error === 'string' ? item.error : 'refused',
      });
    }
    offset += reply.results.length;
  }
  tally.queued = size - offset;
  return tally;
}

/** Without readable replies the batch counts as its `via` says: stored when every part was acknowledged, else queued. */
function wholeBatch(result: PublishResult, size: number): BatchTally {
  return result.via === 'socket'
    ? { stored: size, queued: 0, refused: [] }
    : { stored: 0, queued: size, refused: [] };
}

function asBatchReply(data: unknown): BatchReply | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { persisted, rejected, results } = data as Partial<Record<keyof BatchReply, unknown>>;
  if (!Number.isInteger(persisted) || !Number.isInteger(rejected) || !Array.isArray(results))
    return undefined;
  if ((persisted as number) + (rejected as number) !== results.length) return undefined;
  const wellFormed = results.every(
    (item: unknown, position) =>
      typeof item === 'object' &&
      item !== null &&
      (item as { index?: unknown }).index === position &&
      typeof (item as { success?: unknown }).success === 'boolean',
  );
  return wellFormed ? (data as BatchReply) : undefined;
}
