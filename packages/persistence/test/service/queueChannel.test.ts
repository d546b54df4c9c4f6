import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HybridPublisher, SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { configIn, makeTempDir, smallCandles, startService, useQueueService, waitFor } from './helpers';

describe('queue channel', () => {
  const service = useQueueService();

  it('persists queued candles and marks them processed only after', async () => {
    const candles = smallCandles(250);
    service.producer.enqueueBatch(
      candles.map((c, k) => ({ id: `q${k}`, type: 'candle:complete', payload: c, timestamp: Date.now() })),
    );
    await waitFor(() => service.producer.stats().processed === 250, 10_000, 'queue drained');
    expect(await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('stores a candle arriving over both channels once', async () => {
    const [candle] = smallCandles(1);
    const client = new UnixSocketClient({
      socketPath: configIn(service.dir.path).socketPath,
      autoReconnect: false,
    });
    await client.connect();
    await client.request({ id: 'same', type: 'candle', payload: candle });
    await client.disconnect();
    service.producer.enqueue({ id: 'same', type: 'candle', payload: candle, timestamp: Date.now() });
    await waitFor(() => service.producer.stats().processed === 1, 10_000, 'queue drained');
    const series = await service.app.storage.listSeries();
    expect(series.map((s) => s.count)).toEqual([1]);
  });

  it('marks invalid candles and unknown types processed after recording them in the rejected log', async () => {
    const [candle] = smallCandles(1);
    service.producer.enqueue({
      id: 'bad',
      type: 'candle',
      payload: { ...candle, v: -1 },
      timestamp: Date.now(),
    });
    service.producer.enqueue({ id: 'odd', type: 'trade', payload: { p: 1 }, timestamp: Date.now() });
    await waitFor(() => service.producer.stats().processed === 2, 10_000, 'both marked processed');
    expect(service.producer.stats()).toMatchObject({ pending: 0, dead: 0 });
    const entries = (await readFile(join(service.dir.path, 'candles', 'rejected-candles.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.map((e) => [e.channel, e.messageId]).sort()).toEqual([
      ['queue', 'bad'],
      ['queue', 'odd'],
    ]);
    const odd = entries.find((e) => e.messageId === 'odd');
    expect(odd.reasons[0]).toMatchObject({
      rule: 'unknown-message-type',
      message: 'Unknown message type: trade',
    });
    expect(await service.app.storage.listSeries()).toEqual([]);
  });

  it('expands candle:batch queue messages', async () => {
    const candles = smallCandles(4);
    service.producer.enqueue({
      id: 'batch',
      type: 'candle:batch',
      payload: { candles },
      timestamp: Date.now(),
    });
    await waitFor(() => service.producer.stats().processed === 1, 10_000, 'batch processed');
    expect(await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('stores a queued candle:batch of any length (10,001: above the count once refused)', async () => {
    const candles = smallCandles(10_001);
    service.producer.enqueue({
      id: 'long',
      type: 'candle:batch',
      payload: { candles },
      timestamp: Date.now(),
    });
    await waitFor(() => service.producer.stats().processed === 1, 30_000, 'long batch processed');
    expect(service.producer.stats()).toMatchObject({ pending: 0, dead: 0 });
    expect(await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('stores a batch HybridPublisher could not send in one socket frame (splitLargeBatches: false: it queued it)', async () => {
    const config = configIn(service.dir.path);
    const publisher = new HybridPublisher({
      socketPath: config.socketPath,
      queuePath: config.queuePath,
      splitLargeBatches: false,
    });
    try {
      expect(await publisher.waitForConnection(5_000)).toBe(true);
      // ~1.75 MB of JSON: above the service's 1 MiB frame limit.
      const candles = smallCandles(2_000);
      const result = await publisher.publish({ type: 'candle:batch', payload: { candles } });
      expect(result.via).toBe('queue');
      expect(publisher.stats()).toMatchObject({ tooLargeForSocket: 1, queued: 1, failed: 0 });
      await waitFor(() => service.producer.stats().processed === 1, 30_000, 'queued batch processed');
      expect(await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await publisher.close();
    }
  });

  it('stores a batch too large for one frame over the socket, cut into parts that fit (default publisher)', async () => {
    const config = configIn(service.dir.path);
    // A generous timeout: a slow save on a loaded machine must not send a part to the queue.
    const publisher = new HybridPublisher({
      socketPath: config.socketPath,
      queuePath: config.queuePath,
      requestTimeoutMs: 30_000,
    });
    try {
      expect(await publisher.waitForConnection(5_000)).toBe(true);
      const candles = smallCandles(2_000); // ~1.75 MB of JSON against the service's 1 MiB frames
      const result = await publisher.publish({ type: 'candle:batch', payload: { candles } });
      // Acknowledged means durable: readable at once, nothing went through the queue.
      expect(result).toMatchObject({ via: 'socket', parts: 3 });
      expect(await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
      expect(publisher.stats()).toMatchObject({ acked: 3, queued: 0, tooLargeForSocket: 0, batchesSplit: 1 });
      expect(service.producer.stats()).toMatchObject({ pending: 0, processed: 0 });
    } finally {
      await publisher.close();
    }
  });
});

describe('queue channel, woken by a producer (queue:poll)', () => {
  it('drains what a connected producer queued at once, not at the next pollInterval', async () => {
    const dir = await makeTempDir();
    // Only the poll at start would run within this test without a hint.
    const { app } = await startService(dir.path, { pollInterval: 600_000 });
    const config = configIn(dir.path);
    const publisher = new HybridPublisher({
      socketPath: config.socketPath,
      queuePath: config.queuePath,
      splitLargeBatches: false,
    });
    try {
      expect(await publisher.waitForConnection(5_000)).toBe(true);
      const candles = smallCandles(2_000); // ~1.75 MB of JSON: too large for a 1 MiB frame, so queued
      expect((await publisher.publish({ type: 'candle:batch', payload: { candles } })).via).toBe('queue');
      // Every candle, not the series' first: a batch spanning two day files becomes visible file by file.
      await waitFor(
        async () => (await app.storage.listSeries())[0]?.count === candles.length,
        10_000,
        'queued batch stored',
      );
      expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
      // The reply a producer gets (it does not wait for it): the consumer is polling.
      const client = new UnixSocketClient({ socketPath: config.socketPath, autoReconnect: false });
      await client.connect();
      try {
        expect(await client.request({ type: 'queue:poll', payload: {} })).toMatchObject({
          success: true,
          data: { polling: true },
        });
      } finally {
        await client.disconnect();
      }
    } finally {
      await publisher.close();
      await app.stop();
      await dir.remove();
    }
  });
});

describe('queue channel, a backlog of large messages', () => {
  it('leases at most 16 MiB of payloads per poll (not batchSize of them) and stores all', async () => {
    const dir = await makeTempDir();
    const leased: number[] = [];
    try {
      // 24 batches of 1,000 five-bin candles (~0.9 MB of JSON each): batchSize 200 would lease all 21 MB at once.
      const batches = Array.from({ length: 24 }, (_, k) => smallCandles(1_000, k + 1, `SYM${k}USDT`));
      const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
      producer.enqueueBatch(
        batches.map((candles, k) => ({
          id: `big${k}`,
          type: 'candle:batch',
          payload: { candles },
          timestamp: Date.now(),
        })),
      );
      const { app } = await startService(
        dir.path,
        {},
        {
          storage: () => InMemoryCandleStorage.open(),
          probe: (point, detail) => {
            if (point === 'queue:leased') leased.push((detail as { messageIds: string[] }).messageIds.length);
          },
        },
      );
      try {
        await waitFor(() => producer.stats().processed === 24, 60_000, 'backlog drained');
        expect(await app.storage.listSeries()).toHaveLength(24);
      } finally {
        producer.close();
        await app.stop();
      }
      expect(Math.max(...leased)).toBeLessThanOrEqual(Math.ceil((16 * 1024 * 1024) / 880_000));
      expect(leased.reduce((sum, n) => sum + n, 0)).toBe(24);
    } finally {
      await dir.remove();
    }
  });
});
