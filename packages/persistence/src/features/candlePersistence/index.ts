export * from './application/index';
export * from './domain/index';
export * from './infrastructure/adapters/SQLiteFlatBufferStorage';
