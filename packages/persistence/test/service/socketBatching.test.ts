import { connect, type Socket } from 'node:net';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  CANDLE_PERSISTENCE_TYPES,
  type CandlePersistencePort,
  type PersistenceApplication,
  type SaveResult,
} from '../../src/index';
import { SocketCandleBatcher } from '../../src/shared/infrastructure/consumer/SocketCandleBatcher';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import {
  configIn,
  makeTempDir,
  rejectedMessageIds,
  smallCandles,
  startService,
  type TempDir,
} from './helpers';

/** Records how many candles each storage write carried. */
class WriteRecorder extends FaultInjectingStorage {
  readonly writes: number[] = [];
  override async save(candle: FootprintCandleDTO): Promise<SaveResult> {
    this.writes.push(1);
    return super.save(candle);
  }
  override async saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult> {
    this.writes.push(candles.length);
    return super.saveMany(candles);
  }
}

type Reply = { id: string; success: boolean; code?: string; retryable?: boolean; error?: string };

function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Sends every frame in ONE write (so the service reads them together) and collects `count` replies by id. */
async function sendTogether(socketPath: string, messages: readonly unknown[]): Promise<Map<string, Reply>> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(socketPath, () => resolve(s));
    s.once('error', reject);
  });
  const replies = new Map<string, Reply>();
  const done = new Promise<void>((resolve) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        const length = buffer.readUInt32BE(0);
        const reply = JSON.parse(buffer.toString('utf8', 4, 4 + length)) as Reply;
        buffer = buffer.subarray(4 + length);
        replies.set(reply.id, reply);
        if (replies.size === messages.length) resolve();
      }
    });
  });
  socket.write(Buffer.concat(messages.map(frame)));
  await done;
  await new Promise<void>((resolve) => socket.end(resolve));
  return replies;
}

const candleMessage = (id: string, payload: unknown) => ({
  id,
  type: 'candle',
  payload,
  timestamp: Date.now(),
});

describe('single candles of one socket read share one storage write', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let store: WriteRecorder;
  let persistence: CandlePersistencePort;

  beforeEach(async () => {
    dir = await makeTempDir();
    store = new WriteRecorder(new InMemoryCandleStorage());
    const started = await startService(dir.path, {}, { storage: store });
    app = started.app;
    persistence = started.container.get<CandlePersistencePort>(
      CANDLE_PERSISTENCE_TYPES.CandlePersistencePort,
    );
  });

  afterEach(async () => {
    await app.stop();
    await dir.remove();
  });

  it('acks each valid candle, rejects the invalid one alone, answers the unknown type, in few writes', async () => {
    const candles = smallCandles(18);
    const broken = { ...smallCandles(1, 2, 'BROKEN')[0], h: 1 }; // high below open/close
    const messages = [
      ...candles.slice(0, 9).map((c, k) => candleMessage(`ok${k}`, c)),
      candleMessage('bad', broken),
      { id: 'other', type: 'orderbook', payload: null, timestamp: Date.now() },
      ...candles.slice(9).map((c, k) => candleMessage(`ok${k + 9}`, c)),
    ];
    const replies = await sendTogether(configIn(dir.path).socketPath, messages);

    for (let k = 0; k < 18; k++) expect(replies.get(`ok${k}`)).toMatchObject({ success: true });
    expect(replies.get('bad')).toMatchObject({
      success: false,
      code: 'FLOWTRACE_CANDLE_REJECTED',
      retryable: false,
    });
    expect(replies.get('bad')?.error).toMatch(/high-below-open-close/);
    expect(replies.get('other')).toMatchObject({ success: false, code: 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE' });
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    expect(await app.storage.findBySymbol('BROKEN', 'binance', '1m')).toEqual([]);
    // One read, one write (a read split by the kernel may make it two or three, never one per candle).
    expect(store.writes.reduce((a, b) => a + b, 0)).toBe(18);
    expect(store.writes.length).toBeLessThanOrEqual(3);
    // The ack-latency histogram counts each acked candle (not the rejected or unknown ones).
    const metrics = await app.metricsRegistry.getSingleMetricAsString('flowtrace_persistence_ack_seconds');
    expect(metrics).toMatch(/^flowtrace_persistence_ack_seconds_count\{channel="socket"\} 18$/m);
  });

  it('fails every candle of the batch, retryable, when the write fails; nothing is acked or stored', async () => {
    store.failWith('EIO');
    const candles = smallCandles(5, 3);
    const replies = await sendTogether(
      configIn(dir.path).socketPath,
      candles.map((c, k) => candleMessage(`f${k}`, c)),
    );
    for (let k = 0; k < 5; k++) {
      expect(replies.get(`f${k}`)).toMatchObject({
        success: false,
        code: 'FLOWTRACE_STORAGE_UNAVAILABLE',
        retryable: true,
      });
    }
    expect(await app.storage.listSeries()).toEqual([]);
    store.heal();
    const retried = await sendTogether(
      configIn(dir.path).socketPath,
      candles.map((c, k) => candleMessage(`r${k}`, c)),
    );
    expect([...retried.values()].every((r) => r.success)).toBe(true);
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('a rejected neighbour of a failed write, sent again with the same ids, is in the rejected log once', async () => {
    store.failNextWrites('EIO');
    const [good] = smallCandles(1, 6);
    const invalid = { ...smallCandles(1, 7)[0], h: 1 };
    const messages = [candleMessage('good', good), candleMessage('bad', invalid)];
    const failed = await sendTogether(configIn(dir.path).socketPath, messages);
    // The invalid candle was recorded, but the shared write failed: both answers are retryable.
    for (const id of ['good', 'bad'])
      expect(failed.get(id)).toMatchObject({ code: 'FLOWTRACE_STORAGE_UNAVAILABLE', retryable: true });
    // The producer sends the same requests again.
    const retried = await sendTogether(configIn(dir.path).socketPath, messages);
    expect(retried.get('good')).toMatchObject({ success: true });
    expect(retried.get('bad')).toMatchObject({ code: 'FLOWTRACE_CANDLE_REJECTED', retryable: false });
    expect(await rejectedMessageIds(dir.path)).toEqual(['bad']);
    // The same candle in a new request is a new rejection.
    const later = await sendTogether(configIn(dir.path).socketPath, [candleMessage('bad-later', invalid)]);
    expect(later.get('bad-later')).toMatchObject({ code: 'FLOWTRACE_CANDLE_REJECTED' });
    expect(await rejectedMessageIds(dir.path)).toEqual(['bad', 'bad-later']);
  });

  it('splits a run longer than maxBatch into several writes, each answer in place', async () => {
    const batcher = new SocketCandleBatcher(persistence, 3);
    const candles = smallCandles(7, 4);
    const acks = await Promise.all(candles.map((c, k) => batcher.persist(c, `m${k}`)));
    expect(store.writes).toEqual([3, 3, 1]);
    expect(acks.map((a) => a.candleId)).toEqual(candles.map((c) => `binance:LTCUSDT:1m:${c.t}`));
  });
});
