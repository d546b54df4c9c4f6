import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageOrganizer } from '../../src/shared/storage/file/StorageOrganizer';

describe('StorageOrganizer', () => {
  const organizer = new StorageOrganizer({ baseDir: '/data/candles' });

  it('partitions by day, month or year of the UTC open time', () => {
    const t = Date.UTC(2025, 5, 30, 23, 59);
    expect(organizer.partitionOf('1m', t)).toBe('2025-06-30');
    expect(organizer.partitionOf('1h', t)).toBe('2025-06');
    expect(organizer.partitionOf('1d', t)).toBe('2025');
    expect(organizer.boundsOf('1m', '2025-06-30')).toEqual({
      start: Date.UTC(2025, 5, 30),
      end: Date.UTC(2025, 6, 1),
    });
    expect(organizer.boundsOf('1h', '2025-12')).toEqual({
      start: Date.UTC(2025, 11, 1),
      end: Date.UTC(2026, 0, 1),
    });
    expect(organizer.boundsOf('4h', '0999')).toEqual({
      start: Date.UTC(999, 0, 1) - 0,
      end: expect.any(Number),
    });
    expect(organizer.boundsOf('1m', '2025-02-30')).toBeUndefined();
    expect(organizer.boundsOf('1m', '2025-06')).toBeUndefined();
    const custom = new StorageOrganizer({ baseDir: '/x', partitioning: { '1m': 'month' } });
    expect(custom.partitionOf('1m', t)).toBe('2025-06');
  });

  it('builds {baseDir}/{exchange}/{symbol}/{timeframe}/{partition}.ftcd', () => {
    expect(organizer.partitionPath('binance', 'LTCUSDT', '1m', '2025-06-01')).toBe(
      join('/data/candles', 'binance', 'LTCUSDT', '1m', '2025-06-01.ftcd'),
    );
  });

  it('rejects every traversal attempt with FLOWTRACE_PATH_TRAVERSAL', () => {
    const traversal = expect.objectContaining({ code: 'FLOWTRACE_PATH_TRAVERSAL' });
    for (const [exchange, symbol, timeframe] of [
      ['..', 'BTC', '1m'],
      ['binance', '../../etc', '1m'],
      ['a/b', 'BTC', '1m'],
      ['binance', 'BTC', '../1m'],
      ['binance', '.hidden', '1m'],
      ['', 'BTC', '1m'],
    ] as const) {
      expect(() => organizer.seriesDir(exchange, symbol, timeframe)).toThrow(traversal);
    }
    expect(() => organizer.partitionPath('binance', 'BTC', '1m', '../../x')).toThrow(traversal);
    expect(() => organizer.inside('/data/candles/../secrets')).toThrow(traversal);
    expect(() => organizer.inside('/data/candles')).toThrow(traversal);
  });
});
