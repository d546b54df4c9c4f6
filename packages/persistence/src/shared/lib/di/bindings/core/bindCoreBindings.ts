import type { Container } from 'inversify';
import { pino } from 'pino';
import type { ResolvedPersistenceConfig } from '../../../../../config/persistenceConfigSchema';
import type { LoggerPort } from '../../../../../features/candlePersistence/application/ports/out/LoggerPort';
import { LifecycleState } from '../../../../application/LifecycleState';
import { PERSISTENCE_TYPES } from '../../core/types';

/** Config (validated, frozen), logger (injected or a default pino) and the lifecycle holder. */
export function bindCoreBindings(
  container: Container,
  config: ResolvedPersistenceConfig,
  logger: LoggerPort | undefined,
): void {
  container.bind(PERSISTENCE_TYPES.Config).toConstantValue(config);
  container
    .bind<LoggerPort>(PERSISTENCE_TYPES.Logger)
    .toConstantValue(logger ?? pino({ name: 'flowtrace-persistence', level: 'info' }));
  container.bind(PERSISTENCE_TYPES.Lifecycle).toConstantValue(new LifecycleState());
}
