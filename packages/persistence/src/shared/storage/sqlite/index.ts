export * from './legacy/LegacySqliteCandleReader';
export * from './SQLiteFlatBufferStorage';
export type { SqliteDatabaseDiagnostics } from './SqliteCandleDatabase';
export * from './SqliteStorageConfig';
export * from './SqliteStorageErrors';
export * from './sqliteSchema';
