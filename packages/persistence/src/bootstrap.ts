import { closestName, editDistance } from '@flowtrace/core';
import type { Container } from 'inversify';
import { type ConfigProblem, InvalidPersistenceConfigError } from './config/InvalidPersistenceConfigError';
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
 * Validates the config and the options (one InvalidPersistenceConfigError
 * listing every problem; options under `options.*`), wires the service and
 * checks every binding resolves (ContainerValidationError otherwise). Opens
 * nothing: call `app.start()`.
 */
export async function bootstrap(
  config: PersistenceBootstrapConfig,
  options: PersistenceBootstrapOptions = {},
): Promise<PersistenceBootstrapResult> {
  const optionProblems = bootstrapOptionProblems(options);
  let resolved: ReturnType<typeof resolvePersistenceConfig>;
  try {
    resolved = resolvePersistenceConfig(config);
  } catch (error) {
    if (error instanceof InvalidPersistenceConfigError && optionProblems.length > 0)
      throw new InvalidPersistenceConfigError([...error.problems, ...optionProblems]);
    throw error;
  }
  if (optionProblems.length > 0) throw new InvalidPersistenceConfigError(optionProblems);
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

const OPTION_KEYS: readonly string[] = ['logger', 'storage', 'configureContainer', 'probe'];
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;
const STORAGE_METHODS = [
  'save',
  'saveMany',
  'findBySymbol',
  'findLatest',
  'listSeries',
  'iterate',
  'flush',
  'close',
] as const;

/**
 * The options are code, not data (no zod schema), but a JavaScript caller can
 * still pass anything: check their shape here, so a wrong logger or store fails
 * `bootstrap()` with its path instead of `start()` with a TypeError, or a
 * misspelt key is silently ignored.
 */
function bootstrapOptionProblems(options: unknown): ConfigProblem[] {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    return [{ path: 'options', message: 'must be an object when given' }];
  const problems: ConfigProblem[] = [];
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (OPTION_KEYS.includes(key)) continue;
    const suggestion = closestName(key.toLowerCase(), OPTION_KEYS, 2, (name, typed) =>
      editDistance(typed, name.toLowerCase()),
    );
    problems.push({
      path: `options.${key}`,
      message: `unknown option${suggestion === undefined ? '' : ` (did you mean options.${suggestion}?)`}`,
    });
  }
  const missingMethods = (value: unknown, names: readonly string[]): string[] =>
    names.filter((name) => typeof (value as Record<string, unknown>)[name] !== 'function');
  const { logger, storage, configureContainer, probe } = record;
  if (logger !== undefined) {
    const missing =
      (typeof logger === 'object' && logger !== null) || typeof logger === 'function'
        ? missingMethods(logger, LOGGER_METHODS)
        : LOGGER_METHODS;
    if (missing.length > 0)
      problems.push({
        path: 'options.logger',
        message: `must be a pino logger or have debug/info/warn/error methods; missing ${missing.join(', ')}`,
      });
  }
  if (storage !== undefined && typeof storage !== 'function') {
    const missing =
      typeof storage === 'object' && storage !== null
        ? missingMethods(storage, STORAGE_METHODS)
        : STORAGE_METHODS;
    if (missing.length > 0)
      problems.push({
        path: 'options.storage',
        message: `must be a CandleStoragePort or a function opening one; missing ${missing.join(', ')}`,
      });
  }
  if (configureContainer !== undefined && typeof configureContainer !== 'function')
    problems.push({ path: 'options.configureContainer', message: 'must be a function (container) => void' });
  if (probe !== undefined && typeof probe !== 'function')
    problems.push({ path: 'options.probe', message: 'must be a function (point, detail) => void' });
  return problems;
}
