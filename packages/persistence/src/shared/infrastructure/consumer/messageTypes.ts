import { CANDLE_BATCH_MESSAGE_TYPE } from '@flowtrace/ipc';

/** Message types that carry one FootprintCandle DTO as payload (original platform). */
export const SINGLE_CANDLE_TYPES: ReadonlySet<string> = new Set(['candle', 'candle:complete']);
/**
 * FlowTrace addition: payload `{ candles: FootprintCandleDTO[] }`, one result per candle in the reply.
 * The wire name is @flowtrace/ipc's, whose HybridPublisher cuts such batches to fit a frame.
 */
export const CANDLE_BATCH_TYPE = CANDLE_BATCH_MESSAGE_TYPE;
/**
 * @deprecated No longer enforced: a `candle:batch` may hold any number of
 * candles (over the socket, `maxFrameBytes` bounds it). Kept for programs
 * that imported it.
 */
export const MAX_CANDLES_PER_BATCH = 10_000;
