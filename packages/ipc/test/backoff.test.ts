import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../src/features/unix-socket/domain/backoff';

describe('reconnect backoff', () => {
  it('doubles from the base, is capped, and jitters within [half, full] of the step', () => {
    expect(reconnectDelayMs(0, 50, 5_000, () => 1)).toBe(50);
    expect(reconnectDelayMs(3, 50, 5_000, () => 1)).toBe(400);
    expect(reconnectDelayMs(3, 50, 5_000, () => 0)).toBe(200);
    expect(reconnectDelayMs(20, 50, 5_000, () => 1)).toBe(5_000);
    expect(reconnectDelayMs(1_000, 50, 5_000, () => 0.5)).toBe(3_750);
  });
});
