import { HybridPublisher, SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import {
  configIn,
  makeTempDir,
  metricSample,
  quarantinedStore,
  rejectedMessageIds,
  smallCandles,
  startService,
  type TempDir,
  validationHealth,
  waitFor,
} from './helpers';

const REJECTED = 'flowtrace_persistence_candles_rejected_total';

/** `candles_rejected_total` per channel. */
async function rejectedCounts(port: number): Promise<{ socket: number; queue: number }> {
  return {
    socket: await metricSample(port, REJECTED, 'socket'),
    queue: await metricSample(port, REJECTED, 'queue'),
  };
}

describe('the rejected-candles log records each rejection of a message once, however often it is retried', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let port: number;
  let storage: FaultInjectingStorage;
  let producer: SQLiteQueue;

  beforeEach(async () => {
    dir = await makeTempDir();
    storage = new FaultInjectingStorage(new InMemoryCandleStorage());
    ({ app } = await startService(dir.path, { healthCheckPort: 0 }, { storage }));
    port = app.healthPort as number;
    producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
  });

  afterEach(async () => {
    producer.close();
    storage.heal(); // a test that failed half-way must not fail stop() too (its final flush)
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

  it('a socket batch that failed and was queued by its HybridPublisher: its rejected candle is recorded and counted once', async () => {
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
      // Written by the socket attempt, whose save failed; counted once, when the queue stored the batch.
      expect(await rejectedCounts(port)).toEqual({ socket: 0, queue: 1 });
      expect(await validationHealth(port)).toMatchObject({
        windowCandles: 2,
        windowRejected: 1,
        acceptedTotal: 1,
        rejectedTotal: 1,
      });

      const later = await publisher.publish({ type: 'candle:batch', payload: { candles: [good, invalid] } });
      expect(later.via).toBe('socket');
      const ids = await rejectedMessageIds(dir.path);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toMatch(/^.+#1$/);
      expect(ids[1]).not.toBe('frame#1');
      // A new message (a new id) is a new rejection: counted.
      expect(await rejectedCounts(port)).toEqual({ socket: 1, queue: 1 });
      expect(await validationHealth(port)).toMatchObject({ windowRejected: 2, rejectedTotal: 2 });
    } finally {
      await publisher.close();
    }
  });

  it('a socket frame sent again under its id after its ack (a lost ack): its rejections are counted once', async () => {
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    try {
      await client.connect();
      const [good, lone] = smallCandles(2, 7);
      const frame = { id: 'frame', type: 'candle:batch', payload: { candles: [good, { ...good, v: -1 }] } };
      const single = { id: 'single', type: 'candle', payload: { ...lone, n: -3 } };
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expect(await client.request(frame)).toMatchObject({
          success: true,
          data: { persisted: 1, rejected: 1, unsaved: 0 },
        });
        expect(await client.request(single)).toMatchObject({
          success: false,
          code: 'FLOWTRACE_CANDLE_REJECTED',
        });
      }
      expect(await rejectedMessageIds(dir.path)).toEqual(['frame#1', 'single']);
      expect(await rejectedCounts(port)).toEqual({ socket: 2, queue: 0 });
      // The valid candle was acknowledged twice (the second save a no-op): it counts per ack.
      expect(await validationHealth(port)).toMatchObject({
        windowRejected: 2,
        rejectedTotal: 2,
        acceptedTotal: 2,
        windowCandles: 4,
      });
    } finally {
      await client.disconnect();
    }
  });

  it('a queue batch whose save keeps failing: a message refused whole is marked processed, the candle messages wait; counts are exact after recovery', async () => {
    const [good, other] = smallCandles(2, 9);
    const invalid = { ...good, v: -1 };
    storage.failWith('EIO'); // until heal(): saves and the circuit breaker's probe fail
    producer.enqueueBatch([
      { id: 'good', type: 'candle', payload: good, timestamp: Date.now() },
      { id: 'bad', type: 'candle', payload: invalid, timestamp: Date.now() },
      { id: 'odd', type: 'trade', payload: { p: 1 }, timestamp: Date.now() },
      { id: 'mixed', type: 'candle:batch', payload: { candles: [other, invalid] }, timestamp: Date.now() },
    ]);
    // The batch was handled and marked (nothing leased any more) and the consumer paused.
    await waitFor(
      () =>
        app.health().components.queuePoller?.pausedForStorage === true &&
        producer.stats().inFlight === 0 &&
        producer.stats().pending + producer.stats().processed === 4,
      10_000,
      'the failed batch marked and the consumer paused',
    );
    // The unknown type's refusal is on record: done. The candle messages stay pending.
    expect(producer.stats()).toMatchObject({ processed: 1, pending: 3, dead: 0 });
    expect((await rejectedMessageIds(dir.path)).sort()).toEqual(['bad', 'mixed#1', 'odd']);
    // Only the refusal of the processed message counts yet; the others count when their save succeeds.
    expect(await rejectedCounts(port)).toEqual({ socket: 0, queue: 1 });
    expect(await validationHealth(port)).toMatchObject({ windowCandles: 0, rejectedTotal: 0 });

    storage.heal();
    await waitFor(() => producer.stats().processed === 4, 15_000, 'the backlog drained after recovery');
    expect((await rejectedMessageIds(dir.path)).sort()).toEqual(['bad', 'mixed#1', 'odd']);
    expect(await rejectedCounts(port)).toEqual({ socket: 0, queue: 3 });
    expect(await validationHealth(port)).toMatchObject({
      windowCandles: 4,
      windowRejected: 2,
      acceptedTotal: 2,
      rejectedTotal: 2,
    });
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([good, other]);
  });
});

describe('a message retried whole because one of its candles is unsaved (quarantined partition)', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('counts its valid candles once it is acknowledged and its rejection once, however often the queue retries it', async () => {
    await quarantinedStore(dir.path);
    // The 4th LTCUSDT candle falls into the quarantined day; XRPUSDT is healthy.
    const blocked = smallCandles(4)[3];
    const [xrp] = smallCandles(1, 3, 'XRPUSDT');
    const invalid = { ...smallCandles(1, 2, 'ETHUSDT')[0], v: -1 };
    let store: BinaryStorageAdapter | undefined;
    const config = configIn(dir.path);
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      {
        storage: async () => {
          store = await BinaryStorageAdapter.open({ baseDir: config.storage.baseDir });
          return store;
        },
      },
    );
    const port = app.healthPort as number;
    const publisher = new HybridPublisher({ socketPath: config.socketPath, queuePath: config.queuePath });
    const producer = new SQLiteQueue({ dbPath: config.queuePath });
    const attempts = () => {
      const db = new Database(config.queuePath, { readonly: true });
      try {
        const row = db.prepare('SELECT attempts FROM message_queue WHERE message_id = ?').get('frame');
        return (row as { attempts: number } | undefined)?.attempts ?? 0;
      } finally {
        db.close();
      }
    };
    try {
      await app.storage.listSeries(); // the scan quarantines the file
      expect(await publisher.waitForConnection(5000)).toBe(true);
      // The socket saves xrp, records the invalid candle and answers the blocked one `unsaved`
      // (retryable): the publisher queues the frame whole, under its id, and the queue retries it.
      const published = await publisher.publish({
        id: 'frame',
        type: 'candle:batch',
        payload: { candles: [blocked, xrp, invalid] },
      });
      expect(published.via).toBe('queue');
      await waitFor(() => attempts() >= 3, 10_000, 'the queued frame retried');
      expect(producer.stats()).toMatchObject({ processed: 0, dead: 0 });
      // Every attempt saved xrp again and rejected the invalid candle again: counted once, at the
      // socket attempt (the rejection), and not yet (xrp: its message is not acknowledged).
      expect(await rejectedMessageIds(dir.path)).toEqual(['frame#2']);
      expect(await rejectedCounts(port)).toEqual({ socket: 1, queue: 0 });
      expect(await validationHealth(port)).toMatchObject({
        windowCandles: 1,
        windowRejected: 1,
        acceptedTotal: 0,
        rejectedTotal: 1,
      });

      expect((await (store as BinaryStorageAdapter).repair()).files).toHaveLength(1);
      await waitFor(() => producer.stats().processed === 1, 15_000, 'the frame stored once repaired');
      expect(await app.storage.findBySymbol('XRPUSDT', 'binance', '1m')).toEqual([xrp]);
      expect(await rejectedMessageIds(dir.path)).toEqual(['frame#2']);
      expect(await rejectedCounts(port)).toEqual({ socket: 1, queue: 0 });
      expect(await validationHealth(port)).toMatchObject({
        windowCandles: 3,
        windowRejected: 1,
        acceptedTotal: 2,
        rejectedTotal: 1,
      });
    } finally {
      await publisher.close();
      producer.close();
      await app.stop();
    }
  });
});
