export * from './InvalidPersistenceConfigError';
export * from './persistenceConfigSchema';
export * from './resolvePersistenceConfig';
