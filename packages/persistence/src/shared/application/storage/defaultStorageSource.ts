import type { ResolvedPersistenceConfig } from '../../../config/persistenceConfigSchema';
import type { CandleStorageFactory } from './ManagedCandleStorage';

/**
 * The store bootstrap() opens when none is injected: `.ftcd` block files, or
 * FlatBuffer blocks in SQLite with `storage.useDatabase`.
 */
export function defaultStorageSource(config: ResolvedPersistenceConfig): CandleStorageFactory {
  return async () => {
    throw new Error(`no default candle store is available yet for ${config.storage.baseDir}`);
  };
}
