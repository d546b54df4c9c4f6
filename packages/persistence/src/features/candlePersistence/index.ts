// --- storage port and adapters (ftcd/storage helper) ---
export type * from './application/ports/out/CandleStoragePort';
export * from './infrastructure/adapters/InMemoryCandleStorage';
