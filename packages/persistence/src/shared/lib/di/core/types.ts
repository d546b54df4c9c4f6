/**
 * Symbol tokens of every binding. Registered symbols (`Symbol.for`) so the ESM
 * and CJS builds of the package agree on them; each app instance has its own
 * container, so instances never share bindings.
 */
export const PERSISTENCE_TYPES = Object.freeze({
  Config: Symbol.for('flowtrace.persistence.Config'),
  Logger: Symbol.for('flowtrace.persistence.Logger'),
  Probe: Symbol.for('flowtrace.persistence.Probe'),
  Metrics: Symbol.for('flowtrace.persistence.Metrics'),
  Lifecycle: Symbol.for('flowtrace.persistence.Lifecycle'),
  StorageSource: Symbol.for('flowtrace.persistence.StorageSource'),
  ManagedStorage: Symbol.for('flowtrace.persistence.ManagedStorage'),
  StorageHealthTracker: Symbol.for('flowtrace.persistence.StorageHealthTracker'),
  DiskSpaceMonitor: Symbol.for('flowtrace.persistence.DiskSpaceMonitor'),
  RejectedCandleLog: Symbol.for('flowtrace.persistence.RejectedCandleLog'),
  SocketRequestHandler: Symbol.for('flowtrace.persistence.SocketRequestHandler'),
  SocketConsumer: Symbol.for('flowtrace.persistence.SocketConsumer'),
  QueueConsumer: Symbol.for('flowtrace.persistence.QueueConsumer'),
  HealthMonitor: Symbol.for('flowtrace.persistence.HealthMonitor'),
  HealthCheckServer: Symbol.for('flowtrace.persistence.HealthCheckServer'),
  PersistenceApplication: Symbol.for('flowtrace.persistence.PersistenceApplication'),
});

export const CANDLE_PERSISTENCE_TYPES = Object.freeze({
  CandleValidator: Symbol.for('flowtrace.candlePersistence.CandleValidator'),
  ValidationQualityMonitor: Symbol.for('flowtrace.candlePersistence.ValidationQualityMonitor'),
  PersistCandleUseCase: Symbol.for('flowtrace.candlePersistence.PersistCandleUseCase'),
  CandlePersistencePort: Symbol.for('flowtrace.candlePersistence.CandlePersistencePort'),
  CandleStoragePort: Symbol.for('flowtrace.candlePersistence.CandleStoragePort'),
  RejectedCandleLogPort: Symbol.for('flowtrace.candlePersistence.RejectedCandleLogPort'),
  PersistenceEventsPort: Symbol.for('flowtrace.candlePersistence.PersistenceEventsPort'),
});

/** Every token the service needs resolved before it may start. */
export const ALL_PERSISTENCE_TOKENS: readonly symbol[] = Object.freeze([
  ...Object.values(PERSISTENCE_TYPES),
  ...Object.values(CANDLE_PERSISTENCE_TYPES),
]);
