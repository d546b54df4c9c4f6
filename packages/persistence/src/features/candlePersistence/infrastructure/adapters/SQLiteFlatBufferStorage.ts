// The seed's import path for the SQLite adapter; the implementation lives with the storage infrastructure.
export {
  SQLiteFlatBufferStorage,
  type SqliteStorageConfig,
} from '../../../../shared/storage/sqlite/index';
