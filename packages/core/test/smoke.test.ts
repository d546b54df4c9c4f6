import { alignOpenTime } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';

describe('smoke', () => {
  it('aligns', () => {
    expect(alignOpenTime(61_000, '1m')).toBe(60_000);
  });
});
