import { HybridPublisher, SQLiteQueue } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import {
  configIn,
  makeTempDir,
  rejectedMessageIds,
  smallCandles,
  startService,
  type TempDir,
  waitFor,
} from './helpers';

describe('the rejected-candles log records each rejection of a message once, however often it is retried', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let storage: FaultInjectingStorage;
  let producer: SQLiteQueue;

  beforeEach(async () => {
    dir = await makeTempDir();
    storage = new FaultInjectingStorage(new InMemoryCandleStorage());
    ({ app } = await startService(dir.path, {}, { storage }));
    producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
  });

  afterEach(async () => {
    producer.close();
    await app.stop();
    await dir.remove();
  });

  it('a queue batch retried after its storage write failed: one line per rejection, not one per attempt', async () => {
    const [good, other, again] = smallCandles(3);
    const invalid = { ...good, v: -1 };
    // The first save fails (ENOSPC, then space is freed): the leased batch is retried whole.
    storage.failNextWrites('ENOSPC');
    producer.enqueueBatch([
      { id: 'good', type: 'candle', payload: good, timestamp: Date.now() },
      { id: 'bad', type: 'candle', payload: invalid, timestamp: Date.now() },
      { id: 'odd', type: 'trade', payload: { p: 1 }, timestamp: Date.now() },
      { id: 'mixed', type: 'candle:batch', payload: { candles: [other, invalid] }, timestamp: Date.now() },
    ]);
    await waitFor(() => producer.stats().processed === 4, 10_000, 'the batch processed after the retry');
    expect(storage.failedCalls).toBe(1);
    expect((await rejectedMessageIds(dir.path)).sort()).toEqual(['bad', 'mixed#1', 'odd']);

    // The same invalid candle sent again later, in a new message, is a new rejection: recorded.
    producer.enqueueBatch([
      { id: 'bad-later', type: 'candle', payload: invalid, timestamp: Date.now() },
      { id: 'again', type: 'candle', payload: again, timestamp: Date.now() },
    ]);
    await waitFor(() => producer.stats().processed === 6, 10_000, 'the later messages processed');
    expect((await rejectedMessageIds(dir.path)).sort()).toEqual(['bad', 'bad-later', 'mixed#1', 'odd']);
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([good, other, again]);
  });

  it('a socket batch that failed and was queued by its HybridPublisher: its rejected candle is recorded once', async () => {
    const config = configIn(dir.path);
    const publisher = new HybridPublisher({ socketPath: config.socketPath, queuePath: config.queuePath });
    try {
      expect(await publisher.waitForConnection(5000)).toBe(true);
      const [good] = smallCandles(1, 5);
      const invalid = { ...good, v: -1 };
      storage.failNextWrites('EIO');
      // Over the socket: the write fails (the invalid candle is already on record), the answer is
      // retryable, and the publisher queues the same message (same id) for the daemon to drain.
      const result = await publisher.publish({
        id: 'frame',
        type: 'candle:batch',
        payload: { candles: [good, invalid] },
      });
      expect(result.via).toBe('queue');
      await waitFor(() => producer.stats().processed === 1, 10_000, 'the queued batch processed');
      expect(await rejectedMessageIds(dir.path)).toEqual(['frame#1']);

      const later = await publisher.publish({ type: 'candle:batch', payload: { candles: [good, invalid] } });
      expect(later.via).toBe('socket');
      const ids = await rejectedMessageIds(dir.path);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toMatch(/^.+#1$/);
      expect(ids[1]).not.toBe('frame#1');
    } finally {
      await publisher.close();
    }
  });
});
