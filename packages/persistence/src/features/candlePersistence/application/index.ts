export * from './errors/StorageUnavailableError';
export type * from './ports/in/CandlePersistencePort';
export type * from './ports/out/CandleStoragePort';
export type * from './ports/out/LoggerPort';
export type * from './ports/out/PersistenceEventsPort';
export type * from './ports/out/RejectedCandleLogPort';
export * from './services/CandlePersistenceService';
export * from './services/ValidationQualityMonitor';
export * from './use-cases/PersistCandle';
