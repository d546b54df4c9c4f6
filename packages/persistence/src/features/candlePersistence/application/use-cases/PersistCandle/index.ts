export type * from './DTO';
export * from './PersistCandleUseCase';
