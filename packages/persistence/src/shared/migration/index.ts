// The original platform's SQLite candle database, readable as a migration source.
export {
  LegacySqliteCandleReader,
  type LegacySqliteReaderOptions,
} from '../storage/sqlite/legacy/LegacySqliteCandleReader';
export * from './checkpoint/CheckpointFile';
export * from './checkpoint/MigrationCheckpoint';
export * from './MigrationConfig';
export * from './MigrationErrors';
export type * from './MigrationResult';
export * from './report/MigrationReporter';
export * from './StorageMigrator';
export * from './source/LegacyFtcdDirectorySource';
export * from './source/MigrationSource';
export * from './validation/compareCandles';
export * from './validation/MigrationValidator';
export type * from './validation/ValidationResult';
