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
  // The resolved storage options are openCandleStore's (each store ignores the other's) but for
  // minFreeBytes, which the service's health checks use, not the store.
  const { minFreeBytes: _minFreeBytes, ...storeOptions } = config.storage;
  const options = { ...storeOptions, probe };
  return () => openCandleStore(options);
}
