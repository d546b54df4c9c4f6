import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { HybridPublisher, SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { inspectFtcdFile } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import {
  configIn,
  getJson,
  makeTempDir,
  quarantinedStore,
  rejectedMessageIds,
  smallCandles,
  startService,
  type TempDir,
  waitFor,
} from './helpers';

describe('health of the default .ftcd store', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('a quarantined partition refuses only its own candles: the others of a frame, a batch or a queue poll are saved', async () => {
    await quarantinedStore(dir.path);
    // The 4th LTCUSDT candle falls into the quarantined day; the other series are healthy.
    const blocked = smallCandles(4)[3]!;
    const [eth, sol, ada] = ['ETHUSDT', 'SOLUSDT', 'ADAUSDT'].map((symbol) => smallCandles(1, 2, symbol)[0]!);
    const warnings: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_: object, message?: string) => warnings.push(message ?? ''),
      error: () => undefined,
    };
    const service = await startService(dir.path, { healthCheckPort: 0, pollInterval: 50 }, { logger });
    // What opening found is in the log at once, not only in /health.
    expect(warnings.filter((w) => w.startsWith('storage problem found on open'))).toHaveLength(1);
    const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    try {
      await service.app.storage.listSeries(); // the scan quarantines the file
      await client.connect();
      // Two single candles sent at once (one socket read, one persistMany on the server).
      const [blockedReply, ethReply] = await Promise.all([
        client.request({ id: 'blocked', type: 'candle', payload: blocked }),
        client.request({ id: 'eth', type: 'candle', payload: eth }),
      ]);
      expect(ethReply.success).toBe(true);
      expect(blockedReply).toMatchObject({
        success: false,
        code: 'FLOWTRACE_PARTITION_UNWRITABLE',
        retryable: true,
      });
      expect(blockedReply.error).toMatch(/quarantined/);
      // A batch frame: a retryable failure (so a publisher that does not read per-item outcomes
      // queues it), with the per-item results as its data: the healthy candle is saved.
      const batch = await client.request({
        id: 'batch',
        type: 'candle:batch',
        payload: { candles: [blocked, sol] },
      });
      expect(batch).toMatchObject({
        success: false,
        code: 'FLOWTRACE_PARTITION_UNWRITABLE',
        retryable: true,
      });
      expect(batch.error).toMatch(/1 candle\(s\) of the batch not saved/);
      expect(batch.data).toMatchObject({
        persisted: 1,
        rejected: 0,
        unsaved: 1,
        results: [
          { index: 0, success: false, code: 'FLOWTRACE_PARTITION_UNWRITABLE', retryable: true },
          { index: 1, success: true },
        ],
      });
      // The queue: the healthy message is processed, the blocked one stays pending (retried).
      producer.enqueueBatch([
        { id: 'q-blocked', type: 'candle', payload: blocked, timestamp: Date.now() },
        { id: 'q-ada', type: 'candle', payload: ada, timestamp: Date.now() },
      ]);
      await waitFor(() => producer.stats().processed === 1, 10_000, 'the healthy queue message processed');
      const attempts = () => {
        const db = new Database(configIn(dir.path).queuePath, { readonly: true });
        try {
          const row = db.prepare('SELECT attempts FROM message_queue WHERE message_id = ?').get('q-blocked');
          return (row as { attempts: number } | undefined)?.attempts ?? 0;
        } finally {
          db.close();
        }
      };
      await waitFor(() => attempts() >= 2, 10_000, 'the blocked message retried');
      expect(producer.stats()).toMatchObject({ processed: 1, dead: 0 });
      expect(producer.stats().pending + producer.stats().inFlight).toBe(1);
      for (const candle of [eth, sol, ada] as FootprintCandleDTO[])
        expect(await service.app.storage.findBySymbol(candle.s, candle.ex, '1m')).toEqual([candle]);
      expect((await service.app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).length).toBeLessThan(4);
      // Refusals are logged at most once a minute per file: socket, batch and queue refusals, one line.
      expect(warnings.filter((w) => w.startsWith('candles not saved'))).toHaveLength(1);
      const metrics = await (await fetch(`http://127.0.0.1:${service.app.healthPort}/metrics`)).text();
      expect(metrics).toMatch(/flowtrace_persistence_candles_unsaved_total\{channel="socket"\} 2/);

      // A HybridPublisher sending such a batch: not taken as done, but queued (nothing lost).
      const publisher = new HybridPublisher({
        socketPath: configIn(dir.path).socketPath,
        queuePath: configIn(dir.path).queuePath,
      });
      try {
        await publisher.waitForConnection(5_000);
        const [xrp] = smallCandles(1, 3, 'XRPUSDT');
        const published = await publisher.publish({
          type: 'candle:batch',
          payload: { candles: [blocked, xrp] },
        });
        expect(published.via).toBe('queue');
        expect(await service.app.storage.findBySymbol('XRPUSDT', 'binance', '1m')).toEqual([xrp]);
        await waitFor(
          () => producer.stats().pending + producer.stats().inFlight === 2,
          10_000,
          'the queued batch pending beside the blocked single',
        );
      } finally {
        await publisher.close();
      }
    } finally {
      await client.disconnect();
      producer.close();
      await service.app.stop();
    }
  });

  it('a queued batch retried while its partition is quarantined has its rejected candle in the rejected log once', async () => {
    await quarantinedStore(dir.path);
    const blocked = smallCandles(4)[3]!;
    const invalid = { ...smallCandles(1, 2, 'ETHUSDT')[0]!, v: -1 };
    const service = await startService(dir.path, { pollInterval: 20 });
    const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
    try {
      await service.app.storage.listSeries(); // the scan quarantines the file
      producer.enqueue({
        id: 'q',
        type: 'candle:batch',
        payload: { candles: [blocked, invalid] },
        timestamp: Date.now(),
      });
      const attempts = () => {
        const db = new Database(configIn(dir.path).queuePath, { readonly: true });
        try {
          const row = db.prepare('SELECT attempts FROM message_queue WHERE message_id = ?').get('q');
          return (row as { attempts: number } | undefined)?.attempts ?? 0;
        } finally {
          db.close();
        }
      };
      // Each attempt validates the batch again and finds the same invalid candle.
      await waitFor(() => attempts() >= 4, 10_000, 'the blocked batch retried');
      expect(producer.stats()).toMatchObject({ processed: 0, dead: 0 });
      expect(await rejectedMessageIds(dir.path)).toEqual(['q#1']);
    } finally {
      producer.close();
      await service.app.stop();
    }
  });

  it('logs a problem the store finds after start (background verification), and logs it cleared once repaired', async () => {
    // Three days of one series; opening reads the newest two, the background verification the oldest.
    const baseDir = configIn(dir.path).storage.baseDir;
    const days = generateFootprintCandles({
      seed: 5,
      count: 3 * 3,
      bins: 4,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startPrice: 90,
      emptyRatio: 0,
      timeframe: '8h',
      startTime: Date.UTC(2025, 5, 1),
    });
    const writer = await BinaryStorageAdapter.open({
      baseDir,
      maxCandlesPerBlock: 2,
      partitioning: { '8h': 'day' },
    });
    for (let first = 0; first < days.length; first += 2) await writer.saveMany(days.slice(first, first + 2));
    await writer.close();
    const oldest = join(baseDir, 'binance', 'LTCUSDT', '8h', '2025-06-01.ftcd');
    const block = (await inspectFtcdFile(oldest)).blocks[0]!;
    const bytes = await readFile(oldest);
    bytes[block.offset + 50]! ^= 0x01;
    await writeFile(oldest, bytes);

    const lines: Array<{ level: string; fields: object; message: string }> = [];
    const logAt =
      (level: string) =>
      (fields: object, message = '') =>
        lines.push({ level, fields, message });
    const logger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
    let store: BinaryStorageAdapter | undefined;
    const storage = async () => {
      store = await BinaryStorageAdapter.open({ baseDir, partitioning: { '8h': 'day' } });
      return store;
    };
    const service = await startService(dir.path, {}, { logger, storage });
    try {
      expect(lines.filter((line) => line.message.startsWith('storage problem found'))).toEqual([]);
      await waitFor(
        () => lines.some((line) => line.message.startsWith('storage problem found: ')),
        10_000,
        'the background verification finding logged',
      );
      const found = lines.filter((line) => line.message.startsWith('storage problem found'));
      expect(found).toEqual([
        {
          level: 'warn',
          fields: { code: 'FTCD_CORRUPT_BLOCK', path: oldest, offset: block.offset },
          message: `storage problem found: Block CRC mismatch at offset ${block.offset}`,
        },
      ]);
      expect((await store!.repair()).files).toHaveLength(1);
      await waitFor(
        () => lines.some((line) => line.message === 'storage problem cleared'),
        10_000,
        'the repaired problem logged as cleared',
      );
      expect(lines.filter((line) => line.message === 'storage problem cleared')).toEqual([
        {
          level: 'info',
          fields: { code: 'FTCD_CORRUPT_BLOCK', path: oldest },
          message: 'storage problem cleared',
        },
      ]);
    } finally {
      await service.app.stop();
    }
  });

  it('turns unhealthy when the store quarantines a corrupt file, and says which', async () => {
    await quarantinedStore(dir.path);
    const second = await startService(dir.path, { healthCheckPort: 0 });
    try {
      await second.app.storage.listSeries(); // reading the series makes the store scan the file
      const health = await getJson(second.app.healthPort as number, '/health');
      expect(health.status).toBe(503);
      const storage = (
        health.body as { components: { storage: { reason: string; problems: Array<{ code: string }> } } }
      ).components.storage;
      expect(storage.reason).toMatch(/quarantined/);
      expect(storage.problems.map((p) => p.code)).toContain('FTCD_CORRUPT_BLOCK');
    } finally {
      await second.app.stop();
    }
  });
});
