import { join } from 'node:path';
import { HybridPublisher, SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersistenceApplication } from '../../src/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/index';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import { configIn, getJson, makeTempDir, smallCandles, startService, type TempDir, waitFor } from './helpers';

describe('storage faults (fault-injecting wrapper around the real SQLite store)', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let storage: FaultInjectingStorage;
  let inner: SQLiteFlatBufferStorage;
  let client: UnixSocketClient;
  let producer: SQLiteQueue;
  let port: number;

  beforeEach(async () => {
    dir = await makeTempDir();
    inner = await SQLiteFlatBufferStorage.open({ baseDir: join(dir.path, 'candles') });
    storage = new FaultInjectingStorage(inner);
    ({ app } = await startService(dir.path, { healthCheckPort: 0 }, { storage }));
    port = app.healthPort as number;
    client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
    producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
  });

  afterEach(async () => {
    producer.close();
    await client.disconnect();
    await app.stop();
    await inner.close();
    await dir.remove();
  });

  for (const code of ['ENOSPC', 'EIO']) {
    it(`${code}: retryable errors, no ack, 503 within a second, then the backlog drains and nothing is lost`, async () => {
      const candles = smallCandles(60);
      const early = candles.slice(0, 10);
      for (const [k, c] of early.entries()) {
        expect((await client.request({ id: `ok${k}`, type: 'candle', payload: c })).success).toBe(true);
      }
      expect((await getJson(port, '/health')).status).toBe(200);

      storage.failWith(code);
      const failedAt = Date.now();
      const during = candles.slice(10, 30);
      const replies = await Promise.all(
        during.map((c, k) => client.request({ id: `f${k}`, type: 'candle', payload: c })),
      );
      for (const reply of replies) {
        expect(reply).toMatchObject({
          success: false,
          code: 'FLOWTRACE_STORAGE_UNAVAILABLE',
          retryable: true,
        });
        expect(reply.error).toContain(code);
      }
      // A publisher falls back to the queue for those, and more arrive there during the outage.
      producer.enqueueBatch(
        candles.slice(10).map((c, k) => ({ id: `q${k}`, type: 'candle', payload: c, timestamp: Date.now() })),
      );
      const health = await getJson(port, '/health');
      expect(Date.now() - failedAt).toBeLessThan(1000);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: 'unhealthy',
        components: { storage: { status: 'unhealthy', lastErrorCode: code } },
      });
      expect((await getJson(port, '/health/ready')).status).toBe(503);
      // Nothing beyond the acknowledged candles reached the store; the queue keeps the rest pending.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await inner.findBySymbol('LTCUSDT', 'binance', '1m')).length).toBe(10);
      expect(producer.stats().processed).toBe(0);
      expect(producer.stats().dead).toBe(0);

      storage.heal();
      await waitFor(() => producer.stats().processed === 50, 15_000, 'backlog drained');
      expect(await inner.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
      expect((await getJson(port, '/health')).status).toBe(200);
      expect((await client.request({ id: 'after', type: 'candle', payload: candles[0] })).success).toBe(true);
    });
  }

  it('a HybridPublisher falls back to the queue during the outage and nothing is lost', async () => {
    const config = configIn(dir.path);
    const publisher = new HybridPublisher({ socketPath: config.socketPath, queuePath: config.queuePath });
    try {
      expect(await publisher.waitForConnection(5000)).toBe(true);
      const candles = smallCandles(40, 9);
      const before = await Promise.all(
        candles.slice(0, 10).map((payload) => publisher.publish({ type: 'candle:complete', payload })),
      );
      expect(before.every((r) => r.via === 'socket')).toBe(true);
      storage.failWith('ENOSPC');
      const during = await Promise.all(
        candles.slice(10, 30).map((payload) => publisher.publish({ type: 'candle:complete', payload })),
      );
      expect(during.every((r) => r.via === 'queue')).toBe(true);
      storage.heal();
      const after = await Promise.all(
        candles.slice(30).map((payload) => publisher.publish({ type: 'candle:complete', payload })),
      );
      expect(after.length).toBe(10);
      // Over the socket once the queue is drained, or queued behind the outage's candles until then
      // (preserveOrder): either way every candle is stored.
      const viaQueue = 20 + after.filter((r) => r.via === 'queue').length;
      await waitFor(() => producer.stats().processed === viaQueue, 15_000, 'queued candles drained');
      expect(await inner.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await publisher.close();
    }
  });
});
