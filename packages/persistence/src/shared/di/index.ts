export * from '../lib/di/index';
