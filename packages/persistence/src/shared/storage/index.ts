// --- candle helpers and storage errors (ftcd/storage helper) ---
export * from './candle/candleKeyOf';
export * from './candle/candlesEqual';
export * from './candle/compareSeries';
export * from './candle/copyCandle';
export * from './errors/StorageErrors';
// --- FlatBuffers serialization, SQLite FlatBuffer storage, legacy readers (sqlite helper) ---
export * from './CandleTransformer';
export * from './serialization/flatbuffer/index';
export * from './sqlite/index';
