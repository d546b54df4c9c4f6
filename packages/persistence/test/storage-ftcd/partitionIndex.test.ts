import { describe, expect, it } from 'vitest';
import { type BlockLocation, PartitionIndex } from '../../src/shared/storage/ftcd/PartitionIndex';

function block(sequence: number, times: readonly number[]): BlockLocation {
  return {
    offset: 100 + sequence * 10,
    totalLength: 10,
    sequence,
    candleCount: times.length,
    firstOpenTime: Math.min(...times),
    lastOpenTime: Math.max(...times),
    codec: 1,
  };
}

describe('PartitionIndex (typed-array key index of one .ftcd file)', () => {
  it('keeps the latest location per open time, sorted, whatever the append order', () => {
    const index = new PartitionIndex();
    const first = block(0, [10, 20, 30, 40]);
    const second = block(1, [5, 20, 35]);
    const third = block(2, [50]);
    index.addBlock(first, [10, 20, 30, 40]);
    index.addBlock(second, [5, 20, 35]);
    index.addBlock(third, [50]);
    const seen = Array.from({ length: index.size }, (_, position) => [
      index.timeAt(position),
      index.blockAt(position).sequence,
      index.slotAt(position),
    ]);
    expect(seen).toEqual([
      [5, 1, 0],
      [10, 0, 0],
      [20, 1, 1],
      [30, 0, 2],
      [35, 1, 2],
      [40, 0, 3],
      [50, 2, 0],
    ]);
    expect([index.firstTime, index.lastTime]).toEqual([5, 50]);
    expect(index.positionOf(20)).toBe(2);
    expect(index.positionOf(21)).toBe(-1);
    expect(index.positionsBetween(10, 35)).toEqual([1, 5]);
    expect(index.positionsBetween(11, 34)).toEqual([2, 4]);
    expect(index.positionsBetween(51, 60)).toEqual([7, 7]);
    expect(index.positionsBetween(0, 4)).toEqual([0, 0]);
    expect(index.positionsBetween(35, 10)).toEqual([4, 4]);
  });

  it('stays correct across growth, trim and many superseding blocks', () => {
    const index = new PartitionIndex();
    const latest = new Map<number, number>();
    for (let sequence = 0; sequence < 300; sequence += 1) {
      const times = Array.from({ length: 7 }, (_, k) => ((sequence * 37 + k * 101) % 500) * 60_000).sort(
        (a, b) => a - b,
      );
      const unique = [...new Set(times)];
      index.addBlock(block(sequence, unique), unique);
      for (const time of unique) latest.set(time, sequence);
      if (sequence === 150) index.trim();
    }
    const expected = [...latest.keys()].sort((a, b) => a - b);
    expect(index.size).toBe(expected.length);
    expected.forEach((time, position) => {
      expect(index.timeAt(position)).toBe(time);
      expect(index.blockAt(position).sequence).toBe(latest.get(time));
    });
  });
});
