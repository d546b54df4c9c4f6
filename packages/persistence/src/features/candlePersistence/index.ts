export * from './application/index';
export * from './domain/index';
