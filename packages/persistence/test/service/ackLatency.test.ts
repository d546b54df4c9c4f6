import { SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { LoggerPort } from '../../src/index';
import { configIn, makeTempDir, smallCandles, startService, waitFor } from './helpers';

/**
 * One message of each kind, the same on both channels: two store a candle
 * (a valid single candle, a batch with one valid candle), four store none.
 */
function messagesOfEveryKind(): Array<{ id: string; type: string; payload: unknown }> {
  const [a, b, c] = smallCandles(3);
  const invalid = (candle: unknown) => ({ ...(candle as object), n: -3 });
  return [
    { id: 'single-ok', type: 'candle', payload: a },
    { id: 'single-rejected', type: 'candle', payload: invalid(b) },
    { id: 'unknown-type', type: 'candle:nope', payload: c },
    { id: 'batch-all-rejected', type: 'candle:batch', payload: { candles: [invalid(b), invalid(c)] } },
    { id: 'batch-mixed', type: 'candle:batch', payload: { candles: [b, invalid(c)] } },
    { id: 'batch-malformed', type: 'candle:batch', payload: { candles: 'none' } },
  ];
}

async function ackCount(port: number, channel: 'socket' | 'queue'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = new RegExp(`^flowtrace_persistence_ack_seconds_count\\{channel="${channel}"\\} (\\d+)$`, 'm');
  return Number(line.exec(text)?.[1] ?? 0);
}

describe('ack latency (flowtrace_persistence_ack_seconds) counts successful acks only', () => {
  it('socket: a success reply that stored a candle; not a refusal, nor a batch whose candles were all rejected', async () => {
    const dir = await makeTempDir();
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    try {
      await client.connect();
      const replies: Record<string, boolean> = {};
      for (const message of messagesOfEveryKind())
        replies[message.id] = (await client.request(message)).success;
      // The all-rejected batch is a success reply (per-item results), yet stored nothing.
      expect(replies).toEqual({
        'single-ok': true,
        'single-rejected': false,
        'unknown-type': false,
        'batch-all-rejected': true,
        'batch-mixed': true,
        'batch-malformed': false,
      });
      expect(await ackCount(app.healthPort as number, 'socket')).toBe(2);
    } finally {
      await client.disconnect();
      await app.stop();
      await dir.remove();
    }
  });

  it('queue: a message that stored a candle; not one refused whole (rejected, unknown type, malformed batch)', async () => {
    const dir = await makeTempDir();
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
    try {
      const messages = messagesOfEveryKind();
      producer.enqueueBatch(messages.map((message) => ({ ...message, timestamp: Date.now() })));
      // Every one is done with (marked processed): the refused ones are on record in the rejected log.
      await waitFor(() => producer.stats().processed === messages.length, 10_000, 'queue drained');
      expect(producer.stats().dead).toBe(0);
      expect(await ackCount(app.healthPort as number, 'queue')).toBe(2);
    } finally {
      producer.close();
      await app.stop();
      await dir.remove();
    }
  });
});

describe('queue ack latency is recorded once the message is marked processed', () => {
  it('a batch saved whose processed mark fails (queue locked) is not timed until the mark commits', async () => {
    const dir = await makeTempDir();
    const { queuePath } = configIn(dir.path);
    const pollFailures: unknown[] = [];
    const logger: LoggerPort = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (fields, message) => {
        if (message === 'queue poll failed') pollFailures.push((fields as { err?: unknown }).err);
      },
    };
    // Another connection's write lock, taken when the batch is durable and not yet marked:
    // the mark waits out the queue's busy timeout (5 s) and fails; the poller retries it.
    let lock: Database.Database | undefined;
    const { app } = await startService(
      dir.path,
      // Polls 1 s apart: time to scrape between the failed mark and its retry.
      { healthCheckPort: 0, pollInterval: 1_000 },
      {
        storage: () => InMemoryCandleStorage.open(),
        logger,
        probe: (point) => {
          if (point !== 'queue:saved' || lock) return;
          lock = new Database(queuePath);
          lock.exec('BEGIN IMMEDIATE');
        },
      },
    );
    const port = app.healthPort as number;
    const producer = new SQLiteQueue({ dbPath: queuePath });
    try {
      const [candle] = smallCandles(1);
      producer.enqueue({ id: 'q1', type: 'candle', payload: candle, timestamp: Date.now() });
      await waitFor(() => pollFailures.length > 0, 15_000, 'the processed mark to fail');
      expect(String(pollFailures[0])).toMatch(/locked|busy/i);
      // Saved, but not acknowledged: not processed, and not timed.
      expect(producer.stats().processed).toBe(0);
      expect(await ackCount(port, 'queue')).toBe(0);
      lock?.exec('ROLLBACK');
      await waitFor(() => producer.stats().processed === 1, 15_000, 'the mark to be retried');
      expect(await ackCount(port, 'queue')).toBe(1);
    } finally {
      if (lock?.inTransaction) lock.exec('ROLLBACK');
      lock?.close();
      producer.close();
      await app.stop();
      await dir.remove();
    }
  });
});
