import type { ResolvedPersistenceConfig } from '../../../config/persistenceConfigSchema';
import { openCandleStore } from '../../storage/open/openCandleStore';
import type { StorageProbe } from '../../storage/StorageProbe';
import type { CandleStorageFactory } from './ManagedCandleStorage';

/**
 * The store bootstrap() opens when none is injected (on every start()):
 * `.ftcd` block files by default, FlatBuffer candles in SQLite with
 * `storage.useDatabase`. Options that do not apply to the chosen backend are ignored.
 */
export function defaultStorageSource(
  config: ResolvedPersistenceConfig,
  probe?: StorageProbe,
): CandleStorageFactory {
  const {
    baseDir,
    useDatabase,
    organizeByExchange,
    maxCandlesPerBlock,
    walMode,
    cacheSize,
    mmapSize,
    compactSealedPartitions,
  } = config.storage;
  return () =>
    openCandleStore({
      baseDir,
      useDatabase,
      organizeByExchange,
      maxCandlesPerBlock,
      walMode,
      cacheSize,
      mmapSize,
      compactSealedPartitions,
      probe,
    });
}
