import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { configIn, makeTempDir, smallCandles, startService, type TempDir, waitFor } from './helpers';

describe('queue channel', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let producer: SQLiteQueue;

  beforeEach(async () => {
    dir = await makeTempDir();
    ({ app } = await startService(dir.path, {}, { storage: () => InMemoryCandleStorage.open() }));
    producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
  });

  afterEach(async () => {
    producer.close();
    await app.stop();
    await dir.remove();
  });

  it('persists queued candles and marks them processed only after', async () => {
    const candles = smallCandles(250);
    producer.enqueueBatch(
      candles.map((c, k) => ({ id: `q${k}`, type: 'candle:complete', payload: c, timestamp: Date.now() })),
    );
    await waitFor(() => producer.stats().processed === 250, 10_000, 'queue drained');
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('stores a candle arriving over both channels once', async () => {
    const [candle] = smallCandles(1);
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
    await client.request({ id: 'same', type: 'candle', payload: candle });
    await client.disconnect();
    producer.enqueue({ id: 'same', type: 'candle', payload: candle, timestamp: Date.now() });
    await waitFor(() => producer.stats().processed === 1, 10_000, 'queue drained');
    const series = await app.storage.listSeries();
    expect(series.map((s) => s.count)).toEqual([1]);
  });

  it('marks invalid candles and unknown types processed after recording them in the rejected log', async () => {
    const [candle] = smallCandles(1);
    producer.enqueue({ id: 'bad', type: 'candle', payload: { ...candle, v: -1 }, timestamp: Date.now() });
    producer.enqueue({ id: 'odd', type: 'trade', payload: { p: 1 }, timestamp: Date.now() });
    await waitFor(() => producer.stats().processed === 2, 10_000, 'both marked processed');
    expect(producer.stats()).toMatchObject({ pending: 0, dead: 0 });
    const entries = (await readFile(join(dir.path, 'candles', 'rejected-candles.jsonl'), 'utf8'))
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
    expect(await app.storage.listSeries()).toEqual([]);
  });

  it('expands candle:batch queue messages', async () => {
    const candles = smallCandles(4);
    producer.enqueue({ id: 'batch', type: 'candle:batch', payload: { candles }, timestamp: Date.now() });
    await waitFor(() => producer.stats().processed === 1, 10_000, 'batch processed');
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });
});
