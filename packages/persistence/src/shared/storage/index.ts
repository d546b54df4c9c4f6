// --- candle helpers and storage errors (ftcd/storage helper) ---

export * from './backup/BackupErrors';
export * from './backup/backupStore';
export * from './CandleTransformer';
export * from './candle/CandleRange';
export * from './candle/candleKeyOf';
export * from './candle/candlesEqual';
export * from './candle/compareSeries';
export * from './candle/copyCandle';
export * from './candle/findCandleRange';
export * from './errors/StorageErrors';
// createDirectories: mkdir -p without Node's recursive mkdir, which spins forever on procfs
// (`/proc/x`); shared with the daemon's CLI and socket directory so there is one copy of it.
export {
  type CreateDirectoriesOptions,
  createDirectories,
  createDirectoriesSync,
  type DirectoryRefusal,
} from './file/createDirectories';
export * from './file/StorageOrganizer';
export * from './ftcd/BinaryStorageConfig';
export type * from './ftcd/compaction';
export * from './ftcd/crc32c';
export * from './ftcd/inspectFtcdFile';
export type { DroppedRegion, RepairedFile, RepairOptions, RepairReport } from './ftcd/repair';
export type * from './ftcd/StorageProblem';
export * from './open/openCandleStore';
export * from './open/storeLayouts';
export type * from './StorageProbe';
export * from './serialization/binary/BinarySerializer';
export * from './serialization/binary/CandleColumns';
export * from './serialization/flatbuffer/index';
export * from './sqlite/index';
