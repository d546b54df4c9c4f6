/** Message types that carry one FootprintCandle DTO as payload (original platform). */
export const SINGLE_CANDLE_TYPES: ReadonlySet<string> = new Set(['candle', 'candle:complete']);
/** FlowTrace addition: payload `{ candles: FootprintCandleDTO[] }`, one result per candle in the reply. */
export const CANDLE_BATCH_TYPE = 'candle:batch';
/**
 * Most candles accepted in one `candle:batch` frame over the socket (its reply
 * lists every one). A `candle:batch` queue message may hold any number.
 */
export const MAX_CANDLES_PER_BATCH = 10_000;
