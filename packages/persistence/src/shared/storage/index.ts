// --- candle helpers and storage errors (ftcd/storage helper) ---
export * from './candle/candleKeyOf';
export * from './candle/candlesEqual';
export * from './candle/compareSeries';
export * from './candle/copyCandle';
export * from './errors/StorageErrors';
