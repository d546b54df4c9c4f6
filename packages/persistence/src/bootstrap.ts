import type { Container } from 'inversify';
import type { PersistenceBootstrapConfig } from './config/persistenceConfigSchema';
import { resolvePersistenceConfig } from './config/resolvePersistenceConfig';
import type { LoggerPort } from './features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceApplication } from './shared/application/PersistenceApplication';
import type { PersistenceProbe } from './shared/application/PersistenceProbe';
import { defaultStorageSource } from './shared/application/storage/defaultStorageSource';
import type { CandleStorageSource } from './shared/application/storage/ManagedCandleStorage';
import { ContainerFactory } from './shared/lib/di/core/ContainerFactory';
import { PERSISTENCE_TYPES } from './shared/lib/di/core/types';

/** Optional injections beside the config (not part of the seed's config shape). */
export interface PersistenceBootstrapOptions {
  /** A pino logger (or anything with debug/info/warn/error(obj, msg)). Default: pino at `info` on stdout. */
  logger?: LoggerPort;
  /**
   * Your own CandleStoragePort: a factory `() => Promise<CandleStoragePort>`
   * (opened on every start(), closed on stop()) or an open instance (flushed on
   * stop(), never closed: you own it). Default: the store chosen by `storage.useDatabase`.
   */
  storage?: CandleStorageSource;
  /** Rebind any token (PERSISTENCE_TYPES / CANDLE_PERSISTENCE_TYPES) after the defaults. */
  configureContainer?: (container: Container) => void;
  /**
   * Tests and tracing only: told synchronously of every named point of the write
   * path (store, queue drain, start-up; PersistenceProbe.ts). Also handed to the
   * default store; an injected `storage` gets no probe from here.
   */
  probe?: PersistenceProbe;
}

export interface PersistenceBootstrapResult {
  app: PersistenceApplication;
  container: Container;
}

/**
 * Validates the config (one InvalidPersistenceConfigError listing every
 * problem), wires the service and checks every binding resolves
 * (ContainerValidationError otherwise). Opens nothing: call `app.start()`.
 */
export async function bootstrap(
  config: PersistenceBootstrapConfig,
  options: PersistenceBootstrapOptions = {},
): Promise<PersistenceBootstrapResult> {
  const resolved = resolvePersistenceConfig(config);
  const container = new ContainerFactory({
    config: resolved,
    storage: options.storage ?? defaultStorageSource(resolved, options.probe),
    logger: options.logger,
    probe: options.probe,
    configure: options.configureContainer,
  }).create();
  const app = container.get<PersistenceApplication>(PERSISTENCE_TYPES.PersistenceApplication);
  return { app, container };
}
