import type { IPCMessage } from '../../../shared/types';

/** The persistence service's batch message: payload `{ candles: FootprintCandleDTO[] }`. */
export const CANDLE_BATCH_MESSAGE_TYPE = 'candle:batch';

/**
 * Parts are sized for this share of the frame limit: candles differ in size
 * (bins, digits), so a part cut by the average could still exceed it.
 */
const PART_FILL = 0.75;

/** A `candle:batch` with at least two candles: what `splitCandleBatch` can cut. */
export function isSplittableCandleBatch(message: IPCMessage): boolean {
  return candlesOf(message) !== undefined;
}

/**
 * Cuts a `candle:batch` whose frame (`frameBytes`) is above `maxFrameBytes`
 * into consecutive batches, in order, each expected to fit a frame. Part `k`
 * of `n` has the id `<id>:part<k>of<n>` (the same message cut the same way
 * gets the same ids, so publishing it again stays idempotent), the message's
 * timestamp and its payload with that slice of the candles (its other keys
 * repeated in every part). Undefined for anything else (another type or
 * payload, fewer than two candles), and when the envelope without candles
 * already takes half the part budget (its other keys are that large):
 * cutting would repeat them in part after part.
 */
export function splitCandleBatch(
  message: IPCMessage,
  frameBytes: number,
  maxFrameBytes: number,
): IPCMessage[] | undefined {
  const candles = candlesOf(message);
  if (candles === undefined) return undefined;
  const budget = maxFrameBytes * PART_FILL;
  const envelope = Buffer.byteLength(
    JSON.stringify({ ...message, payload: { ...(message.payload as object), candles: [] } }),
  );
  if (envelope > budget / 2) return undefined;
  const wanted = Math.ceil((frameBytes - envelope) / (budget - envelope));
  const size = Math.ceil(candles.length / Math.min(candles.length, Math.max(2, wanted)));
  const total = Math.ceil(candles.length / size);
  const payload = message.payload as Record<string, unknown>;
  const parts: IPCMessage[] = [];
  for (let k = 0; k < total; k++) {
    parts.push({
      id: `${message.id}:part${k + 1}of${total}`,
      type: message.type,
      payload: { ...payload, candles: candles.slice(k * size, (k + 1) * size) },
      timestamp: message.timestamp,
    });
  }
  return parts;
}

function candlesOf(message: IPCMessage): unknown[] | undefined {
  if (message.type !== CANDLE_BATCH_MESSAGE_TYPE) return undefined;
  const payload = message.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const candles = (payload as { candles?: unknown }).candles;
  return Array.isArray(candles) && candles.length >= 2 ? candles : undefined;
}
