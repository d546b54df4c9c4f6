export * from './core/ContainerFactory';
export * from './core/types';
export * from './core/validation';
export * from './registerAllBindings';
