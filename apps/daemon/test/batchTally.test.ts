import type { PublishResult } from '@flowtrace/ipc';
import { describe, expect, it } from 'vitest';
import { tallyBatch } from '../src/cli/batchTally';

/** The reply persistence gives a `candle:batch`: `refused` are the indexes its validation refused. */
function reply(size: number, refused: number[] = []) {
  return {
    persisted: size - refused.length,
    rejected: refused.length,
    unsaved: 0,
    results: Array.from({ length: size }, (_, index) =>
      refused.includes(index)
        ? { index, success: false, candleId: `c${index}`, error: `bad ${index}`, code: 'X', retryable: false }
        : { index, success: true, candleId: `c${index}`, persistedAt: 1 },
    ),
  };
}

describe('tallyBatch', () => {
  it('counts a whole batch from its reply', () => {
    expect(tallyBatch({ id: 'b', via: 'socket', reply: reply(4, [1]) }, 4)).toEqual({
      stored: 3,
      queued: 0,
      refused: [{ index: 1, candleId: 'c1', reason: 'bad 1' }],
    });
  });

  it('places refusals of later parts at their index in the batch; the parts after one that fell back are queued', () => {
    const result: PublishResult = {
      id: 'b',
      via: 'queue',
      parts: 4,
      partResults: [
        { id: 'b:part1of4', via: 'socket', reply: reply(3, [2]) },
        { id: 'b:part2of4', via: 'socket', reply: reply(2, [0]) },
        { id: 'b:part3of4', via: 'queue' },
        { id: 'b:part4of4', via: 'queue' },
      ],
    };
    expect(tallyBatch(result, 9)).toEqual({
      stored: 3,
      queued: 4,
      refused: [
        { index: 2, candleId: 'c2', reason: 'bad 2' },
        { index: 3, candleId: 'c0', reason: 'bad 0' },
      ],
    });
  });

  it('a queued batch is all queued', () => {
    expect(tallyBatch({ id: 'b', via: 'queue' }, 5)).toEqual({ stored: 0, queued: 5, refused: [] });
  });

  it('without a batch reply (another daemon) the batch counts as its `via` says', () => {
    expect(tallyBatch({ id: 'b', via: 'socket', reply: { persisted: 5 } }, 5)).toEqual({
      stored: 5,
      queued: 0,
      refused: [],
    });
    expect(tallyBatch({ id: 'b', via: 'socket' }, 5)).toEqual({ stored: 5, queued: 0, refused: [] });
    const mixed: PublishResult = {
      id: 'b',
      via: 'queue',
      parts: 2,
      partResults: [
        { id: 'b:part1of2', via: 'socket', reply: 'ok' },
        { id: 'b:part2of2', via: 'queue' },
      ],
    };
    expect(tallyBatch(mixed, 5)).toEqual({ stored: 0, queued: 5, refused: [] });
    // A reply whose counts do not match its results is not trusted either.
    const inconsistent = { ...reply(3, [0]), persisted: 3 };
    expect(tallyBatch({ id: 'b', via: 'socket', reply: inconsistent }, 3)).toEqual({
      stored: 3,
      queued: 0,
      refused: [],
    });
  });
});
