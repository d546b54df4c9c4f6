export * from './candle/CandleKey';
export * from './candle/FootprintCandleDTO';
export * from './naming/safeName';
export * from './timeframe/timeframes';
