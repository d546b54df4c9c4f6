import type { ResolvedPersistenceConfig } from '../../../config/persistenceConfigSchema';
import { SQLiteFlatBufferStorage } from '../../storage/sqlite/SQLiteFlatBufferStorage';
import type { CandleStorageFactory } from './ManagedCandleStorage';

/**
 * The store bootstrap() opens when none is injected: FlatBuffer candles in
 * SQLite with `storage.useDatabase`, `.ftcd` block files otherwise.
 */
export function defaultStorageSource(config: ResolvedPersistenceConfig): CandleStorageFactory {
  const { baseDir, organizeByExchange, maxCandlesPerBlock, walMode, cacheSize, mmapSize, useDatabase } =
    config.storage;
  return async () => {
    if (useDatabase) {
      return SQLiteFlatBufferStorage.open({
        baseDir,
        organizeByExchange,
        maxCandlesPerBlock,
        walMode,
        cacheSize,
        mmapSize,
      });
    }
    throw new Error('the .ftcd store is not available yet: set storage.useDatabase or inject a storage');
  };
}
