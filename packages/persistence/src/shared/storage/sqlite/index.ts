export * from './legacy/LegacySqliteCandleReader';
export * from './SQLiteFlatBufferStorage';
export * from './SqliteStorageConfig';
export * from './SqliteStorageErrors';
export * from './sqliteSchema';
