export * from './bootstrap';
export * from './config/index';
export * from './features/candlePersistence/index';
export * from './shared/application/LifecycleState';
export * from './shared/application/PersistenceApplication';
export type * from './shared/application/PersistenceProbe';
export * from './shared/application/storage/ManagedCandleStorage';
export * from './shared/infrastructure/consumer/errors';
export * from './shared/infrastructure/consumer/messageTypes';
export type * from './shared/infrastructure/consumer/SocketRequestHandler';
export type * from './shared/infrastructure/health/HealthReport';
export * from './shared/lib/di/index';
// The storage API a program uses (codecs and file-format internals: /shared/storage).
export * from './shared/migration/index';
export * from './shared/storage/backup/BackupErrors';
export * from './shared/storage/backup/backupStore';
export { CandleRange } from './shared/storage/candle/CandleRange';
export { findCandleRange } from './shared/storage/candle/findCandleRange';
export * from './shared/storage/errors/StorageErrors';
export type { BinaryStorageConfig } from './shared/storage/ftcd/BinaryStorageConfig';
export {
  type FtcdFileReport,
  type InspectedBlock,
  inspectFtcdFile,
  type StoreVerification,
  verifyStore,
} from './shared/storage/ftcd/inspectFtcdFile';
export type { DroppedRegion, RepairedFile, RepairOptions, RepairReport } from './shared/storage/ftcd/repair';
export type { StorageProblem } from './shared/storage/ftcd/StorageProblem';
export {
  type CandleStore,
  type OpenCandleStoreOptions,
  openCandleStore,
} from './shared/storage/open/openCandleStore';
