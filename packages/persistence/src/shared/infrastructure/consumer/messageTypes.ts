/** Message types that carry one FootprintCandle DTO as payload (original platform). */
export const SINGLE_CANDLE_TYPES: ReadonlySet<string> = new Set(['candle', 'candle:complete']);
/** FlowTrace addition: payload `{ candles: FootprintCandleDTO[] }`, one result per candle in the reply. */
export const CANDLE_BATCH_TYPE = 'candle:batch';
/**
 * @deprecated No longer enforced: a `candle:batch` may hold any number of
 * candles (over the socket, `maxFrameBytes` bounds it). Kept for programs
 * that imported it.
 */
export const MAX_CANDLES_PER_BATCH = 10_000;
