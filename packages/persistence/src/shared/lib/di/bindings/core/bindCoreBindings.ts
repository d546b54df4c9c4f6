import type { Container } from 'inversify';
import { pino } from 'pino';
import type { ResolvedPersistenceConfig } from '../../../../../config/persistenceConfigSchema';
import type { LoggerPort } from '../../../../../features/candlePersistence/application/ports/out/LoggerPort';
import { LifecycleState } from '../../../../application/LifecycleState';
import { NO_PROBE, type PersistenceProbe } from '../../../../application/PersistenceProbe';
import { NeverThrowingLogger } from '../../../../infrastructure/logging/NeverThrowingLogger';
import { PERSISTENCE_TYPES } from '../../core/types';

/** Config (validated, frozen), logger (injected, guarded so it never throws, or a default pino), the lifecycle holder and the probe. */
export function bindCoreBindings(
  container: Container,
  config: ResolvedPersistenceConfig,
  logger: LoggerPort | undefined,
  probe?: PersistenceProbe,
): void {
  container.bind(PERSISTENCE_TYPES.Config).toConstantValue(config);
  container
    .bind<LoggerPort>(PERSISTENCE_TYPES.Logger)
    .toConstantValue(
      logger ? new NeverThrowingLogger(logger) : pino({ name: 'flowtrace-persistence', level: 'info' }),
    );
  container.bind(PERSISTENCE_TYPES.Lifecycle).toConstantValue(new LifecycleState());
  container.bind<PersistenceProbe>(PERSISTENCE_TYPES.Probe).toConstantValue(probe ?? NO_PROBE);
}
