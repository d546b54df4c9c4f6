import { join } from 'node:path';
import { UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CandleStoragePort, SaveResult } from '../../src/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/index';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import { configIn, makeTempDir, smallCandles, startService, type TempDir } from './helpers';

/** Counts how many candles are waiting on the store at once (single saves, or batched by one socket read). */
class ConcurrencyProbe extends FaultInjectingStorage {
  inFlight = 0;
  maxInFlight = 0;
  override async save(candle: Parameters<CandleStoragePort['save']>[0]): Promise<SaveResult> {
    return this.counted(1, () => super.save(candle));
  }
  override async saveMany(candles: Parameters<CandleStoragePort['saveMany']>[0]): Promise<SaveResult> {
    return this.counted(candles.length, () => super.saveMany(candles));
  }
  private async counted(candles: number, write: () => Promise<SaveResult>): Promise<SaveResult> {
    this.inFlight += candles;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await write();
    } finally {
      this.inFlight -= candles;
    }
  }
}

describe('concurrent requests', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('reach the store together (sharing its group commit) instead of one by one', async () => {
    const inner = await SQLiteFlatBufferStorage.open({ baseDir: join(dir.path, 'candles') });
    const probe = new ConcurrencyProbe(inner);
    const { app } = await startService(dir.path, {}, { storage: probe });
    const clients = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const client = new UnixSocketClient({
          socketPath: configIn(dir.path).socketPath,
          autoReconnect: false,
        });
        await client.connect();
        return client;
      }),
    );
    try {
      const candles = smallCandles(400);
      const replies = await Promise.all(
        candles.map((payload, k) =>
          (clients[k % 4] as UnixSocketClient).request({ id: `c${k}`, type: 'candle', payload }),
        ),
      );
      expect(replies.every((r) => r.success)).toBe(true);
      expect(probe.maxInFlight).toBeGreaterThan(10);
      expect(await inner.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await Promise.all(clients.map((c) => c.disconnect()));
      await app.stop();
      await inner.close();
    }
  });
});
