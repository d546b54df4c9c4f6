import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import {
  DECODED_BLOCK_OVERHEAD_BYTES,
  DecodedBlockCache,
} from '../../src/shared/storage/ftcd/DecodedBlockCache';
import type { BlockLocation } from '../../src/shared/storage/ftcd/PartitionIndex';
import { BinarySerializer } from '../../src/shared/storage/serialization/binary/BinarySerializer';

const location = (offset: number): BlockLocation => ({
  offset,
  totalLength: 1,
  sequence: offset,
  candleCount: 1,
  firstOpenTime: 0,
  lastOpenTime: 0,
  codec: 0,
});

describe('DecodedBlockCache (LRU bounded by bytes)', () => {
  const candles = generateFootprintCandles({ seed: 9, count: 1, bins: 50, emptyRatio: 0 });
  const { codec, payload } = BinarySerializer.encodeBlock(candles, true);
  const decode = () => BinarySerializer.decodeBlockColumns(codec, payload);
  const cost = decode().byteSize + DECODED_BLOCK_OVERHEAD_BYTES;

  it('charges each block its column bytes plus the fixed per-block overhead', () => {
    const cache = new DecodedBlockCache(cost * 10);
    const blocks = Array.from({ length: 30 }, (_, i) => location(i));
    for (const block of blocks) cache.set(block, decode());
    const kept = blocks.filter((block) => cache.get(block) !== undefined);
    // Without the overhead, a 1-candle block's byteSize alone would let ~3x as many in.
    expect(kept.map((block) => block.offset)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });

  it('evicts the least recently used, refuses a block larger than the budget, and clears', () => {
    const cache = new DecodedBlockCache(cost * 2);
    const [a, b, c] = [location(1), location(2), location(3)];
    cache.set(a, decode());
    cache.set(b, decode());
    expect(cache.get(a)).toBeDefined(); // a is now the most recent
    cache.set(c, decode());
    expect([cache.get(a), cache.get(b), cache.get(c)].map((d) => d !== undefined)).toEqual([
      true,
      false,
      true,
    ]);
    const small = new DecodedBlockCache(cost - 1);
    small.set(a, decode());
    expect(small.get(a)).toBeUndefined();
    cache.clear();
    expect(cache.get(a)).toBeUndefined();
  });
});
