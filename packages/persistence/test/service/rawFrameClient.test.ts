import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { configIn, makeTempDir, smallCandles, startService, type TempDir, waitFor } from './helpers';

/**
 * A client written from docs/ipc-protocol.md alone, with plain `net`: 4-byte
 * big-endian length + UTF-8 JSON, responses matched by id (any order).
 */
class RawFrameClient {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<string, (response: Record<string, unknown>) => void>();

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static open(path: string): Promise<RawFrameClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new RawFrameClient(socket)));
      socket.once('error', reject);
    });
  }

  write(message: { id: string; type: string; payload: unknown; timestamp: number }): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([header, body]));
  }

  request(message: {
    id: string;
    type: string;
    payload: unknown;
    timestamp: number;
  }): Promise<Record<string, unknown>> {
    const reply = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(message.id, resolve));
    this.write(message);
    return reply;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.end(resolve));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (this.buffer.length < 4 + length) return;
      const response = JSON.parse(this.buffer.subarray(4, 4 + length).toString('utf8')) as Record<
        string,
        unknown
      >;
      this.buffer = this.buffer.subarray(4 + length);
      const resolve = this.waiting.get(String(response.id));
      this.waiting.delete(String(response.id));
      resolve?.(response);
    }
  }
}

describe('a plain net client following docs/ipc-protocol.md', () => {
  let dir: TempDir;
  let app: PersistenceApplication;

  beforeEach(async () => {
    dir = await makeTempDir();
    ({ app } = await startService(dir.path, {}, { storage: () => InMemoryCandleStorage.open() }));
  });

  afterEach(async () => {
    await app.stop();
    await dir.remove();
  });

  it('exchanges pipelined candles and gets one durable ack per id', async () => {
    const client = await RawFrameClient.open(configIn(dir.path).socketPath);
    const candles = smallCandles(200);
    const replies = await Promise.all(
      candles.map((payload, k) =>
        client.request({ id: `raw-${k}`, type: 'candle:complete', payload, timestamp: Date.now() }),
      ),
    );
    replies.forEach((reply, k) => {
      expect(reply).toMatchObject({
        id: `raw-${k}`,
        success: true,
        data: { candleId: `binance:LTCUSDT:1m:${candles[k]?.t}` },
      });
    });
    expect(await client.request({ id: 'u', type: 'orderbook', payload: null, timestamp: 1 })).toMatchObject({
      id: 'u',
      success: false,
      error: 'Unknown message type: orderbook',
    });
    await client.close();
    expect(await app.storage.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
  });

  it('serves an original-style producer that writes frames and never reads replies', async () => {
    const client = await RawFrameClient.open(configIn(dir.path).socketPath);
    const candles = smallCandles(3000, 7);
    for (const [k, payload] of candles.entries()) {
      client.write({ id: `w${k}`, type: 'candle', payload, timestamp: Date.now() });
    }
    await waitFor(async () => (await app.storage.listSeries())[0]?.count === 3000, 20_000, 'all 3000 stored');
    await client.close();
  });
});
