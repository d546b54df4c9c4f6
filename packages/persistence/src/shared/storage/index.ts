// --- candle helpers and storage errors (ftcd/storage helper) ---
export * from './CandleTransformer';
export * from './candle/candleKeyOf';
export * from './candle/candlesEqual';
export * from './candle/compareSeries';
export * from './candle/copyCandle';
export * from './errors/StorageErrors';
export * from './file/StorageOrganizer';
export * from './ftcd/BinaryStorageConfig';
export * from './ftcd/crc32c';
export * from './ftcd/inspectFtcdFile';
export type * from './ftcd/StorageProblem';
export * from './open/openCandleStore';
export type * from './StorageProbe';
export * from './serialization/binary/BinarySerializer';
export * from './serialization/binary/CandleColumns';
export * from './serialization/flatbuffer/index';
export * from './sqlite/index';
