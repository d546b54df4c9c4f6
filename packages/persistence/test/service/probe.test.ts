import { existsSync } from 'node:fs';
import { SQLiteQueue } from '@flowtrace/ipc';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistenceApplication, PersistenceProbeDetail, PersistenceProbePoint } from '../../src/index';
import { configIn, makeTempDir, smallCandles, startService, type TempDir, waitFor } from './helpers';

interface Seen {
  point: PersistenceProbePoint;
  detail: PersistenceProbeDetail;
  /** Queue rows marked processed when the point was reached. */
  processed: number;
  /** Whether the socket server or the queue consumer had started (their files exist). */
  serving: boolean;
}

describe('bootstrap(config, { probe })', () => {
  let dir: TempDir;
  let app: PersistenceApplication | undefined;
  let producer: SQLiteQueue | undefined;

  afterEach(async () => {
    producer?.close();
    await app?.stop();
    await dir.remove();
    producer = undefined;
    app = undefined;
  });

  it.each([
    ['.ftcd', false, ['block:before-write', 'block:synced']],
    ['SQLite', true, ['sqlite:before-commit', 'sqlite:committed']],
  ] as const)(
    '%s: start-up, then per queue batch: leased, the store points, saved, then processed',
    async (_, useDatabase, storePoints) => {
      dir = await makeTempDir();
      const config = configIn(dir.path);
      const seen: Seen[] = [];
      let queue: SQLiteQueue | undefined;
      ({ app } = await startService(
        dir.path,
        { storage: { ...config.storage, useDatabase } },
        {
          probe: (point, detail) => {
            seen.push({
              point,
              detail,
              processed: queue?.stats().processed ?? -1,
              serving: existsSync(config.socketPath) || existsSync(config.queuePath),
            });
          },
        },
      ));
      expect(seen.map((s) => s.point)).toEqual(['startup:storage-opened']);
      // The store is open before the queue consumer and the socket server start.
      expect(seen[0]?.serving).toBe(false);

      producer = new SQLiteQueue({ dbPath: config.queuePath });
      queue = producer;
      const candles = smallCandles(3);
      producer.enqueueBatch(
        candles.map((c, k) => ({ id: `q${k}`, type: 'candle:complete', payload: c, timestamp: Date.now() })),
      );
      await waitFor(() => producer?.stats().processed === 3, 10_000, 'queue drained');
      const batch = seen.slice(1);
      expect(batch.map((s) => s.point)).toEqual(['queue:leased', ...storePoints, 'queue:saved']);
      expect(batch[0]?.detail).toEqual({ messageIds: ['q0', 'q1', 'q2'] });
      // At queue:saved the candles are durable and the rows still unprocessed.
      expect(batch.every((s) => s.processed === 0)).toBe(true);
      expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    },
  );
});
