import type { Container } from 'inversify';
import type { ResolvedPersistenceConfig } from '../../../../../config/persistenceConfigSchema';
import type { CandleStoragePort } from '../../../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import type { LoggerPort } from '../../../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceEventsPort } from '../../../../../features/candlePersistence/application/ports/out/PersistenceEventsPort';
import type { RejectedCandleLogPort } from '../../../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import { CandlePersistenceService } from '../../../../../features/candlePersistence/application/services/CandlePersistenceService';
import { ValidationQualityMonitor } from '../../../../../features/candlePersistence/application/services/ValidationQualityMonitor';
import { PersistCandleUseCase } from '../../../../../features/candlePersistence/application/use-cases/PersistCandle/PersistCandleUseCase';
import { CandleValidator } from '../../../../../features/candlePersistence/domain/validation/CandleValidator';
import { CANDLE_PERSISTENCE_TYPES, PERSISTENCE_TYPES } from '../../core/types';

/**
 * The candle persistence feature: validator, quality monitor, use case, service.
 * No decorators: every binding lists the tokens its factory receives, so the
 * wiring is explicit and works with any TS transpiler (see docs/persistence.md).
 */
export function bindCandlePersistence(container: Container): void {
  const T = CANDLE_PERSISTENCE_TYPES;
  container
    .bind(T.CandleValidator)
    .toResolvedValue(
      (config: ResolvedPersistenceConfig) => new CandleValidator(config.validation),
      [PERSISTENCE_TYPES.Config],
    )
    .inSingletonScope();
  container
    .bind(T.ValidationQualityMonitor)
    .toResolvedValue(
      (config: ResolvedPersistenceConfig, logger: LoggerPort) =>
        new ValidationQualityMonitor(config.validation, logger),
      [PERSISTENCE_TYPES.Config, PERSISTENCE_TYPES.Logger],
    )
    .inSingletonScope();
  container
    .bind(T.PersistCandleUseCase)
    .toResolvedValue(
      (
        validator: CandleValidator,
        storage: CandleStoragePort,
        rejectedLog: RejectedCandleLogPort,
        quality: ValidationQualityMonitor,
        events: PersistenceEventsPort,
      ) => new PersistCandleUseCase(validator, storage, rejectedLog, quality, events),
      [
        T.CandleValidator,
        T.CandleStoragePort,
        T.RejectedCandleLogPort,
        T.ValidationQualityMonitor,
        T.PersistenceEventsPort,
      ],
    )
    .inSingletonScope();
  container
    .bind(T.CandlePersistencePort)
    .toResolvedValue(
      (useCase: PersistCandleUseCase) => new CandlePersistenceService(useCase),
      [T.PersistCandleUseCase],
    )
    .inSingletonScope();
}
