export * from './errors/CandleRejectedError';
export * from './errors/FlowTracePersistenceError';
export * from './validation/CandleValidator';
export * from './validation/errorRateStatus';
export * from './validation/RollingErrorRate';
export type * from './validation/ValidationPolicy';
