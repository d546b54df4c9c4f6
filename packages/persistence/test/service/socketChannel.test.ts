import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { configIn, makeTempDir, smallCandles, startService, type TempDir, useCaseOver } from './helpers';

describe('socket channel', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let client: UnixSocketClient;

  beforeEach(async () => {
    dir = await makeTempDir();
    ({ app } = await startService(dir.path, {}, { storage: () => InMemoryCandleStorage.open() }));
    client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
  });

  afterEach(async () => {
    await client.disconnect();
    await app.stop();
    await dir.remove();
  });

  it('acknowledges a candle with {candleId, persistedAt} only once it is stored, identical', async () => {
    const [candle] = smallCandles(1);
    const before = Date.now();
    const reply = await client.request({ id: 'm1', type: 'candle:complete', payload: candle });
    expect(reply).toMatchObject({ id: 'm1', success: true });
    const data = reply.data as { candleId: string; persistedAt: number };
    expect(data.candleId).toBe(`binance:LTCUSDT:1m:${candle?.t}`);
    expect(data.persistedAt).toBeGreaterThanOrEqual(before);
    const stored = await app.storage.findBySymbol('LTCUSDT', 'binance', '1m');
    expect(stored).toEqual([candle]);
  });

  it('answers an unknown type with the original text and a non-retryable code', async () => {
    const reply = await client.request({ id: 'x', type: 'trade', payload: {} });
    expect(reply).toMatchObject({
      id: 'x',
      success: false,
      error: 'Unknown message type: trade',
      code: 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE',
      retryable: false,
    });
  });

  it('rejects an invalid candle with its reasons and records it in the rejected-candles log', async () => {
    const [candle] = smallCandles(1);
    const bad = { ...candle, h: (candle?.l ?? 0) - 1 };
    const reply = await client.request({ id: 'bad-1', type: 'candle', payload: bad });
    expect(reply.success).toBe(false);
    expect(reply.code).toBe('FLOWTRACE_CANDLE_REJECTED');
    expect(reply.retryable).toBe(false);
    expect(reply.error).toMatch(/^Candle rejected: /);
    expect(await app.storage.listSeries()).toEqual([]);
    const lines = (await readFile(join(dir.path, 'candles', 'rejected-candles.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry).toMatchObject({ channel: 'socket', messageId: 'bad-1', payload: bad });
    expect(entry.reasons.length).toBeGreaterThan(0);
    expect(new Date(entry.time).getTime()).toBeGreaterThan(0);
  });

  it('names each field of a rejection once, in a single reply and in a batch result', async () => {
    const [candle] = smallCandles(1);
    const { t: _t, ...withoutOpenTime } = candle ?? {};
    const expected = 'Candle rejected: t is required [missing-field]';
    const reply = await client.request({ id: 'bad-t', type: 'candle', payload: withoutOpenTime });
    expect(reply).toMatchObject({ success: false, code: 'FLOWTRACE_CANDLE_REJECTED', error: expected });
    const batch = await client.request({
      id: 'bad-t-batch',
      type: 'candle:batch',
      payload: { candles: [withoutOpenTime] },
    });
    expect((batch.data as { results: Array<{ error?: string }> }).results[0]?.error).toBe(expected);
  });

  it('handles candle:batch with one result per candle, in order', async () => {
    const candles = smallCandles(3);
    const broken = { ...candles[1], aggs: 'nope' };
    const reply = await client.request({
      id: 'b1',
      type: 'candle:batch',
      payload: { candles: [candles[0], broken, candles[2]] },
    });
    expect(reply.success).toBe(true);
    const data = reply.data as {
      persisted: number;
      rejected: number;
      results: Array<{ index: number; success: boolean; code?: string }>;
    };
    expect(data.persisted).toBe(2);
    expect(data.rejected).toBe(1);
    expect(data.results.map((r) => [r.index, r.success])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(data.results[1]?.code).toBe('FLOWTRACE_CANDLE_REJECTED');
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([candles[0], candles[2]]);
  });

  it('rejects a malformed batch payload as non-retryable', async () => {
    const reply = await client.request({ id: 'b2', type: 'candle:batch', payload: [1, 2] });
    expect(reply).toMatchObject({ success: false, code: 'FLOWTRACE_INVALID_BATCH', retryable: false });
  });

  it('stores a candle sent twice once', async () => {
    const [candle] = smallCandles(1);
    await client.request({ id: 'd1', type: 'candle', payload: candle });
    await client.request({ id: 'd2', type: 'candle', payload: candle });
    const series = await app.storage.listSeries();
    expect(series).toHaveLength(1);
    expect(series[0]?.count).toBe(1);
  });

  it('answers a retryable error, not a rejection, when the rejection cannot be recorded', async () => {
    // The log's write fails at run time (a disk gone bad): the refusal is not on record.
    const useCase = useCaseOver(await InMemoryCandleStorage.open(), false, {
      append: () => Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })),
      close: async () => {},
    });
    await expect(
      useCase.execute([{ payload: { not: 'a candle' }, channel: 'socket', messageId: 'lost?' }]),
    ).rejects.toMatchObject({
      code: 'FLOWTRACE_STORAGE_UNAVAILABLE',
      retryable: true,
      message: expect.stringMatching(/recording rejected candles failed/),
    });
  });

  it('a rejectedLogPath that cannot be opened fails the start (FLOWTRACE_REJECTED_LOG_UNAVAILABLE), leaving nothing listening', async () => {
    await app.stop();
    // The log path is a directory: found at start, not at the first rejection.
    const failed = await startService(
      dir.path,
      { rejectedLogPath: dir.path },
      { storage: () => InMemoryCandleStorage.open() },
    ).catch((error: unknown) => error);
    expect(failed).toMatchObject({
      code: 'FLOWTRACE_REJECTED_LOG_UNAVAILABLE',
      retryable: false,
      message: expect.stringContaining(`Cannot open the rejected-candles log ${dir.path}`),
    });
    await client.disconnect();
    const probe = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await expect(probe.connect()).rejects.toThrow();
    ({ app } = await startService(dir.path, {}, { storage: () => InMemoryCandleStorage.open() }));
  });

  it('reads frames up to maxFrameBytes: 1 MiB by default, more when configured', async () => {
    // ~1.75 MB of JSON: above the default limit.
    const candles = smallCandles(2_000);
    const request = { id: 'big', type: 'candle:batch', payload: { candles } };
    const large = { socketPath: configIn(dir.path).socketPath, autoReconnect: false, maxFrameBytes: 4 << 20 };
    const refused = new UnixSocketClient(large);
    await refused.connect();
    // The server answers the oversized frame (id "") and closes the connection.
    await expect(refused.request(request)).rejects.toThrow();
    await refused.disconnect();
    expect(await app.storage.listSeries()).toEqual([]);

    await app.stop();
    ({ app } = await startService(
      dir.path,
      { maxFrameBytes: 4 << 20 },
      { storage: () => InMemoryCandleStorage.open() },
    ));
    const accepted = new UnixSocketClient(large);
    await accepted.connect();
    try {
      const reply = await accepted.request(request);
      expect(reply).toMatchObject({ id: 'big', success: true, data: { persisted: 2_000, rejected: 0 } });
    } finally {
      await accepted.disconnect();
    }
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('takes a candle:batch of any count over the socket: the frame limit bounds it, not a count', async () => {
    await app.stop();
    ({ app } = await startService(
      dir.path,
      { maxFrameBytes: 16 << 20 },
      { storage: () => InMemoryCandleStorage.open() },
    ));
    const candles = smallCandles(10_001);
    const large = new UnixSocketClient({
      socketPath: configIn(dir.path).socketPath,
      autoReconnect: false,
      maxFrameBytes: 16 << 20,
      requestTimeoutMs: 20_000,
    });
    await large.connect();
    try {
      const reply = await large.request({ id: 'many', type: 'candle:batch', payload: { candles } });
      expect(reply).toMatchObject({ id: 'many', success: true, data: { persisted: 10_001, rejected: 0 } });
    } finally {
      await large.disconnect();
    }
    expect((await app.storage.listSeries())[0]?.count).toBe(10_001);
  });
});
