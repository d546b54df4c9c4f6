export * from './application/index';
export * from './domain/index';
// --- .ftcd and in-memory storage adapters (ftcd/storage helper) ---
export * from './infrastructure/adapters/BinaryStorageAdapter';
export * from './infrastructure/adapters/InMemoryCandleStorage';
export * from './infrastructure/adapters/SQLiteFlatBufferStorage';
