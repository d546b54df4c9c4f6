export * from './FlatBufferErrors';
export * from './FlatBufferSerializer';
export { Aggs as FlatBufferAggs } from './generated/flow-trace/flat-buffers/aggs';
export { Candle as FlatBufferCandle } from './generated/flow-trace/flat-buffers/candle';
export { CandleBatch as FlatBufferCandleBatch } from './generated/flow-trace/flat-buffers/candle-batch';
export * from './legacy/LegacyDefaultsTally';
export * from './legacy/readLegacyFtcdFile';
export * from './readCandleInPlace';
