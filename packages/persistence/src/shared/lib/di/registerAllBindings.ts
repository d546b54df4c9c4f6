import type { Container } from 'inversify';
import type { ResolvedPersistenceConfig } from '../../../config/persistenceConfigSchema';
import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceProbe } from '../../application/PersistenceProbe';
import type { CandleStorageSource } from '../../application/storage/ManagedCandleStorage';
import { bindCoreBindings } from './bindings/core/bindCoreBindings';
import { bindInfrastructure } from './bindings/core/bindInfrastructure';
import { bindCandlePersistence } from './bindings/features/bindCandlePersistence';

export interface BindingInputs {
  config: ResolvedPersistenceConfig;
  storage: CandleStorageSource;
  logger?: LoggerPort;
  probe?: PersistenceProbe;
}

/** Binds every token of PERSISTENCE_TYPES and CANDLE_PERSISTENCE_TYPES. */
export function registerAllBindings(container: Container, inputs: BindingInputs): void {
  bindCoreBindings(container, inputs.config, inputs.logger, inputs.probe);
  bindCandlePersistence(container);
  bindInfrastructure(container, inputs.storage);
}
