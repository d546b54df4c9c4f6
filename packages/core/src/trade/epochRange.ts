/**
 * Trade times at or beyond this magnitude (the year 5138 in epoch ms) are
 * taken for another unit: exchange feeds in microseconds (Binance spot since
 * 2025) or nanoseconds are 1,000 or 1,000,000 times larger, and would date
 * candles millennia ahead. The bound also keeps every candle's open and close
 * time (up to a day away) a safe integer.
 */
export const MAX_EPOCH_MS = 1e14;
