export { PublisherClosedError, PublishRejectedError } from './domain/errors';
export type { HybridPublisherConfig, HybridPublisherStats, PublishResult } from './domain/types';
export { HybridPublisher } from './infrastructure/HybridPublisher';
