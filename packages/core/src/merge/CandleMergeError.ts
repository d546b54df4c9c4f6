import { FlowTraceCoreError } from '../errors/FlowTraceCoreError';

/** Candles that cannot be merged: different series or ticks, wrong timeframes, overlapping trades. */
export class CandleMergeError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_CANDLE_MERGE';
}
