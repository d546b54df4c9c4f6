export { PublisherClosedError, PublishRejectedError } from './domain/errors';
export { CANDLE_BATCH_MESSAGE_TYPE } from './domain/splitCandleBatch';
export type { HybridPublisherConfig, HybridPublisherStats, PublishResult } from './domain/types';
export { HybridPublisher } from './infrastructure/HybridPublisher';
