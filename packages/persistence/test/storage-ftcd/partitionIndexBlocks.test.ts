import { describe, expect, it } from 'vitest';
import { type BlockLocation, PartitionIndex } from '../../src/shared/storage/ftcd/PartitionIndex';

function block(sequence: number, times: readonly number[]): BlockLocation {
  return {
    offset: 16 + sequence * 1_000_003,
    totalLength: 900 + (sequence % 97),
    sequence,
    candleCount: times.length,
    firstOpenTime: times[0]!,
    lastOpenTime: times.at(-1)!,
    codec: sequence % 2,
  };
}

describe('PartitionIndex block columns (compact blocks, dead ones squeezed out)', () => {
  it('answers every field of the latest block of every key, through re-saves that compact the columns', () => {
    const index = new PartitionIndex();
    const latest = new Map<number, BlockLocation>();
    let random = 7;
    const next = () => {
      random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
      return random;
    };
    const handedOut = new Map<number, BlockLocation>();
    // Live updates: mostly one-candle blocks re-saving recent keys, sometimes a new key.
    for (let sequence = 0; sequence < 5_000; sequence += 1) {
      const newest = Math.floor(sequence / 10);
      const key = (sequence % 10 === 0 ? newest : Math.max(0, newest - (next() % 20))) * 60_000;
      const location = block(sequence, [key]);
      index.addBlock(location, [key]);
      latest.set(key, location);
      if (sequence % 250 === 0) {
        // Objects handed out must stay the same objects while their block is live, compaction or not.
        for (const [position, held] of handedOut)
          if (latest.get(index.timeAt(position))?.sequence === held.sequence)
            expect(index.blockAt(position)).toBe(held);
        handedOut.clear();
        for (let position = 0; position < index.size; position += 7)
          handedOut.set(position, index.blockAt(position));
      }
    }
    const keys = [...latest.keys()].sort((a, b) => a - b);
    expect(index.size).toBe(keys.length);
    keys.forEach((key, position) => {
      expect(index.timeAt(position)).toBe(key);
      expect(index.blockAt(position)).toEqual(latest.get(key));
      expect(index.slotAt(position)).toBe(0);
    });
    // Dead blocks were dropped: after trim() the columns hold at most 2x the live blocks + 64, not 5,000.
    // (Here every live block was handed out above, and each holds one key: 16 + 140 bytes per key.)
    index.trim();
    const blockColumns = (index.approximateBytes - keys.length * (16 + 140)) / 41;
    expect(blockColumns).toBeGreaterThanOrEqual(keys.length);
    expect(blockColumns).toBeLessThanOrEqual(2 * keys.length + 65);
    expect(blockColumns).toBeLessThan(5_000 / 2);
    expect(index.blockAt(keys.length - 1)).toEqual(latest.get(keys.at(-1)!));
    index.addBlock(block(5_000, [keys.at(-1)! + 60_000]), [keys.at(-1)! + 60_000]);
    expect(index.blockAt(keys.length).sequence).toBe(5_000);
  });
});
