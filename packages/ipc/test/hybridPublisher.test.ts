import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnixSocketServer } from '../src/features/unix-socket/index';
import {
  HybridPublisher,
  PublishRejectedError,
  QUEUE_POLL_MESSAGE_TYPE,
  QueueMessageValidationError,
  QueueUnavailableError,
  SQLiteQueue,
} from '../src/index';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let socketPath: string;
let queuePath: string;
const cleanups: Array<() => Promise<void> | void> = [];
/** `queue:poll` hints the test server answered (they do not reach the tests' handlers). */
let pollHints = 0;

beforeEach(() => {
  tmp = makeTempDir('ftpub-');
  socketPath = join(tmp.dir, 'd.sock');
  queuePath = join(tmp.dir, 'fallback.db');
  pollHints = 0;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  tmp.cleanup();
});

function newPublisher(
  config: Partial<ConstructorParameters<typeof HybridPublisher>[0]> = {},
): HybridPublisher {
  const publisher = new HybridPublisher({
    socketPath,
    queuePath,
    requestTimeoutMs: 300,
    reconnectBaseDelayMs: 10,
    reconnectMaxDelayMs: 50,
    ...config,
  });
  cleanups.push(() => publisher.close());
  return publisher;
}

/** `answersQueuePoll: false`: `queue:poll` messages reach the handler too (a daemon that does not know them). */
async function startServer(
  handler: (id: string, type: string) => unknown,
  { answersQueuePoll = true } = {},
): Promise<UnixSocketServer> {
  const server = new UnixSocketServer({ socketPath, stopTimeoutMs: 50 });
  server.setRequestHandler((m) => {
    if (answersQueuePoll && m.type === QUEUE_POLL_MESSAGE_TYPE) {
      pollHints++;
      return { polling: true };
    }
    return handler(m.id, m.type);
  });
  await server.start();
  cleanups.push(() => server.stop());
  return server;
}

async function waitFor(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function queuedIds(): string[] {
  const queue = new SQLiteQueue({ dbPath: queuePath });
  try {
    return queue
      .dequeue(10_000)
      .map((m) => m.id)
      .sort();
  } finally {
    queue.close();
  }
}

describe('HybridPublisher', () => {
  it("resolves via the socket when the daemon acknowledges, with the reply's data", async () => {
    const seen: string[] = [];
    await startServer((id) => {
      seen.push(id);
      return id === 'a' ? { candleId: 'k', persistedAt: 1 } : undefined;
    });
    const publisher = newPublisher();
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    expect(await publisher.publish({ id: 'a', type: 'candle', payload: 1 })).toEqual({
      id: 'a',
      via: 'socket',
      reply: { candleId: 'k', persistedAt: 1 },
    });
    // A reply without data: no `reply` key.
    expect(await publisher.publish({ id: 'b', type: 'candle', payload: 1 })).toEqual({
      id: 'b',
      via: 'socket',
    });
    expect(seen).toEqual(['a', 'b']);
    expect(publisher.stats()).toMatchObject({ acked: 2, queued: 0, failed: 0 });
    await publisher.close();
    expect(queuedIds()).toEqual([]);
  });

  it('queues a message too large for a socket frame, writing nothing to the socket, and counts it', async () => {
    const seen: string[] = [];
    await startServer((id) => {
      seen.push(id);
      return { ok: true };
    });
    const publisher = newPublisher({ maxFrameBytes: 1024, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const large = { id: 'large', type: 'candle', payload: 'x'.repeat(2_000) };
    expect(await publisher.publish(large)).toEqual({ id: 'large', via: 'queue' });
    expect(await publisher.publish({ id: 'small', type: 'candle', payload: 1 })).toEqual({
      id: 'small',
      via: 'socket',
      reply: { ok: true },
    });
    // The connection survived the refusal: the small message after it went over the same socket.
    expect(seen).toEqual(['small']);
    expect(publisher.stats()).toMatchObject({ acked: 1, queued: 1, failed: 0, tooLargeForSocket: 1 });
    await publisher.close();
    expect(queuedIds()).toEqual(['large']);
  });

  it('cuts a candle:batch too large for a frame into consecutive batches that fit, acknowledged over the socket', async () => {
    const received: Array<{ id: string; candles: number[] }> = [];
    const server = new UnixSocketServer({ socketPath, stopTimeoutMs: 50, maxFrameBytes: 2_048 });
    server.setRequestHandler((m) => {
      if (m.type === QUEUE_POLL_MESSAGE_TYPE) return { polling: true };
      const { candles, note } = m.payload as { candles: Array<{ k: number }>; note: string };
      expect(note).toBe('kept');
      received.push({ id: m.id, candles: candles.map((c) => c.k) });
      return { persisted: candles.length };
    });
    await server.start();
    cleanups.push(() => server.stop());
    const publisher = newPublisher({ maxFrameBytes: 2_048 });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    // 40 candles of ~110 B of JSON each (one of ~900 B): ~5 KB, above the 2 KiB frame.
    const candles = Array.from({ length: 40 }, (_, k) => ({ k, pad: 'x'.repeat(k === 7 ? 900 : 100) }));
    const message = { id: 'big', type: 'candle:batch', payload: { candles, note: 'kept' } };
    const result = await publisher.publish(message);
    expect(result.via).toBe('socket');
    expect(result.parts).toBeGreaterThanOrEqual(3);
    // Every candle exactly once, in order, in parts that each fitted a frame; the top-level ids
    // name the parts of the first cut (a part still too large is cut again, its ids nested).
    expect(received.flatMap((r) => r.candles)).toEqual(candles.map((c) => c.k));
    // The part holding k = 7 (~900 B) was too large itself and was cut again: `parts` counts
    // every message the batch became.
    expect(received[0]?.id).toMatch(/^big:part1of\d+:part1of\d+$/);
    expect(received.at(-1)?.id).toMatch(/^big:part(\d+)of\1$/);
    expect(received).toHaveLength(result.parts ?? 0);
    // Each message's result, in order, with the daemon's reply to it.
    expect(result.partResults).toEqual(
      received.map((r) => ({ id: r.id, via: 'socket', reply: { persisted: r.candles.length } })),
    );
    expect(new Set(received.map((r) => r.id)).size).toBe(received.length);
    expect(publisher.stats()).toMatchObject({
      batchesSplit: 1,
      acked: received.length,
      queued: 0,
      tooLargeForSocket: 0,
      failed: 0,
    });
    expect(queuedIds()).toEqual([]);
  });

  it('once a part falls back to the queue, the later parts follow it there (order kept, even without preserveOrder)', async () => {
    const onSocket: string[] = [];
    let first = true;
    await startServer(async (id) => {
      onSocket.push(id);
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 400)); // past requestTimeoutMs: part 1 falls back
      }
      return { ok: true };
    });
    const publisher = newPublisher({ maxFrameBytes: 2_048, requestTimeoutMs: 150, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const candles = Array.from({ length: 30 }, (_, k) => ({ k, pad: 'x'.repeat(100) }));
    const result = await publisher.publish({ id: 'b', type: 'candle:batch', payload: { candles } });
    expect(result).toEqual({
      id: 'b',
      via: 'queue',
      parts: 3,
      partResults: [1, 2, 3].map((k) => ({ id: `b:part${k}of3`, via: 'queue' })),
    });
    // Only part 1 was tried on the socket; the queue delivers all three in order (same timestamp:
    // insertion order), so a later version of a candle in part 3 is still stored last.
    expect(onSocket).toEqual(['b:part1of3']);
    const queue = new SQLiteQueue({ dbPath: queuePath });
    try {
      expect(queue.dequeue(10).map((m) => m.id)).toEqual(['b:part1of3', 'b:part2of3', 'b:part3of3']);
    } finally {
      queue.close();
    }
    expect(publisher.stats()).toMatchObject({ acked: 0, queued: 3, batchesSplit: 1 });
  });

  it('does not cut a batch whose other payload keys alone take half a part: queued whole', async () => {
    await startServer(() => ({ ok: true }));
    const publisher = newPublisher({ maxFrameBytes: 2_048, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const candles = Array.from({ length: 20 }, (_, k) => ({ k, pad: 'x'.repeat(100) }));
    const message = { id: 'meta', type: 'candle:batch', payload: { candles, meta: 'm'.repeat(1_000) } };
    expect(await publisher.publish(message)).toEqual({ id: 'meta', via: 'queue' });
    expect(publisher.stats()).toMatchObject({ tooLargeForSocket: 1, batchesSplit: 0, queued: 1 });
    expect(queuedIds()).toEqual(['meta']);
  });

  it('queues a batch it cannot cut (one candle above the frame), or any batch with splitLargeBatches: false', async () => {
    await startServer(() => ({ ok: true }));
    const publisher = newPublisher({ maxFrameBytes: 1_024, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const one = { id: 'one', type: 'candle:batch', payload: { candles: [{ pad: 'x'.repeat(2_000) }] } };
    expect(await publisher.publish(one)).toEqual({ id: 'one', via: 'queue' });
    const unsplit = newPublisher({ maxFrameBytes: 1_024, preserveOrder: false, splitLargeBatches: false });
    expect(await unsplit.waitForConnection(2_000)).toBe(true);
    const many = {
      id: 'many',
      type: 'candle:batch',
      payload: { candles: Array.from({ length: 20 }, () => ({ pad: 'x'.repeat(100) })) },
    };
    expect(await unsplit.publish(many)).toEqual({ id: 'many', via: 'queue' });
    expect(unsplit.stats()).toMatchObject({ tooLargeForSocket: 1, batchesSplit: 0 });
    expect(queuedIds()).toEqual(['many', 'one']);
  });

  it('tells the connected daemon to poll its queue (queue:poll) after queueing, once per group commit', async () => {
    await startServer(() => ({ ok: true }));
    const publisher = newPublisher({ maxFrameBytes: 1024, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const large = (id: string) => ({ id, type: 'candle', payload: 'x'.repeat(2_000) });
    expect((await publisher.publish(large('l1'))).via).toBe('queue');
    await waitFor(() => pollHints === 1);
    // Three published in one turn share one group commit, and so one hint.
    const results = await Promise.all(['l2', 'l3', 'l4'].map((id) => publisher.publish(large(id))));
    expect(results.map((r) => r.via)).toEqual(['queue', 'queue', 'queue']);
    await waitFor(() => pollHints === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pollHints).toBe(2);
  });

  it('hints at most once per 20 ms while commit after commit falls back (a daemon answering retryable errors)', async () => {
    await startServer(() => {
      throw Object.assign(new Error('storage unavailable'), { retryable: true });
    });
    const publisher = newPublisher({ preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const started = performance.now();
    for (let k = 0; k < 60; k++) {
      expect((await publisher.publish({ id: `m${k}`, type: 'candle', payload: k })).via).toBe('queue');
    }
    const elapsed = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // 60 commits, each its own: without the bound, about one hint each.
    expect(pollHints).toBeGreaterThanOrEqual(1);
    expect(pollHints).toBeLessThanOrEqual(Math.ceil((elapsed + 50) / 20) + 1);
  });

  it('stops hinting a daemon that does not know queue:poll (the original platform answers "Unknown message type")', async () => {
    const types: string[] = [];
    await startServer(
      (_id, type) => {
        types.push(type);
        if (type === QUEUE_POLL_MESSAGE_TYPE) throw new Error(`Unknown message type: ${type}`);
        return { ok: true };
      },
      { answersQueuePoll: false },
    );
    const publisher = newPublisher({ maxFrameBytes: 1024, preserveOrder: false });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const large = (id: string) => ({ id, type: 'candle', payload: 'x'.repeat(2_000) });
    expect((await publisher.publish(large('l1'))).via).toBe('queue');
    await waitFor(() => types.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await publisher.publish(large('l2'))).via).toBe('queue');
    expect((await publisher.publish({ id: 'small', type: 'candle', payload: 1 })).via).toBe('socket');
    expect(types).toEqual([QUEUE_POLL_MESSAGE_TYPE, 'candle']);
    expect(queuedIds()).toEqual(['l1', 'l2']);
  });

  it('preserveOrder: large messages behind queued ones go to the queue without waiting for a drain that cannot help them', async () => {
    const seen: string[] = [];
    await startServer((id) => {
      seen.push(id);
      return { ok: true };
    });
    // Nobody drains this queue: a publish that waited for the drain would wait requestTimeoutMs (30 s,
    // beyond this test's timeout) for progress before queueing.
    const publisher = newPublisher({ maxFrameBytes: 1024, requestTimeoutMs: 30_000 });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const large = (id: string) => ({ id, type: 'candle', payload: 'x'.repeat(2_000) });
    for (const id of ['l1', 'l2', 'l3'])
      expect(await publisher.publish(large(id))).toEqual({ id, via: 'queue' });
    expect(seen).toEqual([]);
    expect(publisher.stats()).toMatchObject({ queued: 3, tooLargeForSocket: 3, drainingQueue: true });
    await publisher.close();
    expect(queuedIds()).toEqual(['l1', 'l2', 'l3']);
  }, 10_000);

  it('preserveOrder: once the daemon is back, a publish waits for the queue to drain, then uses the socket', async () => {
    const seen: string[] = [];
    const publisher = newPublisher({ requestTimeoutMs: 5_000 });
    expect(await publisher.publish({ id: 'q1', type: 'candle', payload: 1 })).toEqual({
      id: 'q1',
      via: 'queue',
    });
    expect(publisher.stats().drainingQueue).toBe(true);
    await startServer((id) => {
      seen.push(id);
      return 'ok';
    });
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    // The daemon's poller has q1 leased but not processed: s1 and s2 must not pass it.
    const consumer = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => consumer.close());
    expect(consumer.dequeue(10).map((m) => m.id)).toEqual(['q1']);
    const s1 = publisher.publish({ id: 's1', type: 'candle', payload: 2 });
    const s2 = publisher.publish({ id: 's2', type: 'candle', payload: 3 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual([]);
    expect(publisher.stats()).toMatchObject({ drainingQueue: true, inFlight: 2, queued: 1 });
    consumer.markProcessed('q1');
    expect((await s1).via).toBe('socket');
    expect((await s2).via).toBe('socket');
    expect(seen).toEqual(['s1', 's2']);
    expect(publisher.stats()).toMatchObject({ drainingQueue: false, acked: 2, queued: 1 });
  });

  it('preserveOrder: a large message older than the one queued ahead waits for the drain (the queue orders by timestamp)', async () => {
    const publisher = newPublisher({ requestTimeoutMs: 5_000, maxFrameBytes: 1024 });
    const now = Date.now();
    expect((await publisher.publish({ id: 'q1', type: 'candle', payload: 1, timestamp: now })).via).toBe(
      'queue',
    );
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    const consumer = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => consumer.close());
    expect(consumer.dequeue(10).map((m) => m.id)).toEqual(['q1']);
    // Queued now, it would be delivered before q1 if q1's delivery failed: it waits for q1 instead.
    const late = publisher.publish({
      id: 'old',
      type: 'candle',
      payload: 'x'.repeat(2_000),
      timestamp: now - 60_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Only q1 (leased) is in the queue.
    expect(consumer.stats()).toMatchObject({ pending: 0, inFlight: 1 });
    consumer.markProcessed('q1');
    expect(await late).toEqual({ id: 'old', via: 'queue' });
    expect(consumer.dequeue(10).map((m) => m.id)).toEqual(['old']);
  });

  it('preserveOrder: a queue the daemon does not drain queues the publish after requestTimeoutMs, in order', async () => {
    const publisher = newPublisher({ requestTimeoutMs: 200 });
    expect((await publisher.publish({ id: 'q1', type: 'candle', payload: 1 })).via).toBe('queue');
    const seen: string[] = [];
    await startServer((id) => {
      seen.push(id);
      return 'ok';
    });
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    const results = await Promise.all(
      ['q2', 'q3'].map((id) => publisher.publish({ id, type: 'candle', payload: id })),
    );
    expect(results.map((r) => r.via)).toEqual(['queue', 'queue']);
    expect((await publisher.publish({ id: 'q4', type: 'candle', payload: 4 })).via).toBe('queue');
    expect(seen).toEqual([]);
    // Progress (the first message ahead changes) ends the pause: the next publish waits again,
    // and goes over the socket once the rest is drained.
    const consumer = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => consumer.close());
    expect(consumer.dequeue(1).map((m) => m.id)).toEqual(['q1']);
    consumer.markProcessed('q1');
    const s1 = publisher.publish({ id: 's1', type: 'candle', payload: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rest = consumer.dequeue(10);
    expect(rest.map((m) => m.id)).toEqual(['q2', 'q3', 'q4']);
    consumer.markProcessed(rest.map((m) => m.id));
    expect((await s1).via).toBe('socket');
    expect(seen).toEqual(['s1']);
  });

  it('preserveOrder: a publisher opened over a queue an earlier run left messages in starts behind them', async () => {
    const earlier = newPublisher();
    expect((await earlier.publish({ id: 'old', type: 'candle', payload: 1 })).via).toBe('queue');
    await earlier.close();
    await startServer(() => 'ok');
    const publisher = newPublisher({ requestTimeoutMs: 200 });
    expect(publisher.stats().drainingQueue).toBe(true);
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    expect((await publisher.publish({ id: 'new', type: 'candle', payload: 2 })).via).toBe('queue');
  });

  it('preserveOrder: only its own queued messages hold a publisher back, not another producer that keeps queueing', async () => {
    const publisher = newPublisher({ requestTimeoutMs: 5_000 });
    expect((await publisher.publish({ id: 'mine', type: 'candle', payload: 1 })).via).toBe('queue');
    const other = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => other.close());
    const consumer = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => consumer.close());
    let n = 0;
    // Another producer queues without pause, and the daemon drains a batch every 50 ms: the
    // queue is never empty when the publisher looks.
    const otherTimer = setInterval(
      () => other.enqueue({ id: `other-${n++}`, type: 'candle', payload: n, timestamp: Date.now() }),
      5,
    );
    const consumerTimer = setInterval(() => {
      consumer.markProcessed(consumer.dequeue(1_000).map((m) => m.id));
      other.enqueue({ id: `other-${n++}`, type: 'candle', payload: n, timestamp: Date.now() });
    }, 50);
    cleanups.push(() => {
      clearInterval(otherTimer);
      clearInterval(consumerTimer);
    });
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    expect((await publisher.publish({ id: 's1', type: 'candle', payload: 2 })).via).toBe('socket');
    expect(consumer.stats().pending + consumer.stats().inFlight).toBeGreaterThan(0);
  });

  it('preserveOrder: close() while publishes wait for the queue to drain queues them and returns', async () => {
    const publisher = newPublisher({ requestTimeoutMs: 60_000 });
    expect((await publisher.publish({ id: 'q1', type: 'candle', payload: 1 })).via).toBe('queue');
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    // Nobody drains q1, and the wait would last a minute without progress.
    const waiting = publisher.publish({ id: 'q2', type: 'candle', payload: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await publisher.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await waiting).via).toBe('queue');
    expect(queuedIds()).toEqual(['q1', 'q2']);
  });

  it('with preserveOrder: false, uses the socket as soon as it is back', async () => {
    const publisher = newPublisher({ preserveOrder: false });
    expect((await publisher.publish({ id: 'q1', type: 'candle', payload: 1 })).via).toBe('queue');
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    expect((await publisher.publish({ id: 's1', type: 'candle', payload: 1 })).via).toBe('socket');
    expect(publisher.stats().drainingQueue).toBe(false);
    await publisher.close();
    expect(queuedIds()).toEqual(['q1']);
  });

  it('a message the daemon failed and retries later (e.g. a quarantined partition) does not keep the publisher off the socket', async () => {
    const publisher = newPublisher({ requestTimeoutMs: 5_000 });
    expect((await publisher.publish({ id: 'stuck', type: 'candle', payload: 1 })).via).toBe('queue');
    const consumer = new SQLiteQueue({ dbPath: queuePath, retryDelayMs: 60_000 });
    cleanups.push(() => consumer.close());
    expect(consumer.dequeue(10).map((m) => m.id)).toEqual(['stuck']);
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    // While the daemon holds it (leased, no outcome yet), it is ahead: the publish waits...
    const waiting = publisher.publish({ id: 's1', type: 'candle', payload: 2 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(publisher.stats().drainingQueue).toBe(true);
    // ...and once it failed (retried in a minute), the publish goes over the socket.
    expect(consumer.markFailed('stuck', new Error('partition quarantined')).dead).toBe(false);
    expect((await waiting).via).toBe('socket');
    expect(publisher.stats().drainingQueue).toBe(false);
  });

  it('a queue that holds only dead letters does not keep the publisher off the socket', async () => {
    const publisher = newPublisher();
    expect((await publisher.publish({ id: 'dead', type: 'candle', payload: 1 })).via).toBe('queue');
    const consumer = new SQLiteQueue({ dbPath: queuePath });
    cleanups.push(() => consumer.close());
    expect(consumer.markDead('dead', new Error('never valid'))).toBe(true);
    await startServer(() => 'ok');
    expect(await publisher.waitForConnection(3_000)).toBe(true);
    expect((await publisher.publish({ id: 's1', type: 'candle', payload: 1 })).via).toBe('socket');
  });

  it('a burst published during an outage is queued in group commits, every message durable', async () => {
    const publisher = newPublisher();
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        publisher.publish({ id: `burst-${i}`, type: 't', payload: { i } }),
      ),
    );
    expect(results.every((r) => r.via === 'queue')).toBe(true);
    expect(publisher.stats()).toMatchObject({ queued: 500, failed: 0 });
    await publisher.close();
    expect(queuedIds()).toHaveLength(500);
  });

  it('a message that cannot be encoded fails alone, the rest of its group commit is queued', async () => {
    const publisher = newPublisher();
    const good = Array.from({ length: 5 }, (_, i) =>
      publisher.publish({ id: `g${i}`, type: 't', payload: i }),
    );
    const bad = publisher.publish({ id: 'bad', type: 't', payload: { n: BigInt(1) } });
    await expect(bad).rejects.toBeInstanceOf(QueueMessageValidationError);
    await expect(bad).rejects.toMatchObject({ code: 'FLOWTRACE_QUEUE_MESSAGE_INVALID' });
    expect((await Promise.all(good)).map((r) => r.via)).toEqual(Array(5).fill('queue'));
    expect(publisher.stats()).toMatchObject({ queued: 5, failed: 1 });
    await publisher.close();
    expect(queuedIds()).toEqual(['g0', 'g1', 'g2', 'g3', 'g4']);
  });

  it('never reports a payload JSON cannot encode as queued (function, symbol): it rejects, typed', async () => {
    const publisher = newPublisher();
    // No daemon: these went to the queue, where the NULL payload was dropped by
    // INSERT OR IGNORE while publish() resolved { via: 'queue' }.
    for (const payload of [() => 1, Symbol('s')]) {
      await expect(publisher.publish({ id: 'f', type: 't', payload })).rejects.toMatchObject({
        code: 'FLOWTRACE_QUEUE_MESSAGE_INVALID',
      });
    }
    expect(publisher.stats()).toMatchObject({ queued: 0, failed: 2 });
    await publisher.close();
    expect(queuedIds()).toEqual([]);
  });

  it('a queue that cannot be written rejects publish() with QueueUnavailableError; later publishes succeed', async () => {
    const publisher = newPublisher({ queueBusyTimeoutMs: 0 });
    const other = new BetterSqlite3(queuePath);
    other.exec('BEGIN IMMEDIATE'); // the queue file is locked (or full, read-only, failing)
    const failed = await Promise.allSettled(
      [1, 2].map((i) => publisher.publish({ id: `l${i}`, type: 't', payload: i })),
    );
    other.exec('ROLLBACK');
    other.close();
    for (const result of failed) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as unknown;
      expect(reason).toBeInstanceOf(QueueUnavailableError);
      expect(reason).toMatchObject({
        code: 'FLOWTRACE_QUEUE_UNAVAILABLE',
        retryable: true,
        sqliteCode: 'SQLITE_BUSY',
      });
    }
    expect((await publisher.publish({ id: 'after', type: 't', payload: 0 })).via).toBe('queue');
    await publisher.close();
    expect(queuedIds()).toEqual(['after']);
  });

  it('a connected daemon that stopped reading does not make the producer buffer without bound', async () => {
    // A real server stuck on its first request (e.g. in a hung fsync) reads at
    // most one frame; the rest stay in the kernel buffer, then in the client's.
    const server = new UnixSocketServer({ socketPath, stopTimeoutMs: 50, maxInFlightPerConnection: 1 });
    server.setRequestHandler(() => new Promise(() => undefined));
    await server.start();
    cleanups.push(() => server.stop());
    const maxSocketBufferedBytes = 256 * 1024;
    const publisher = newPublisher({ requestTimeoutMs: 20_000, maxSocketBufferedBytes });
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const payload = 'x'.repeat(16 * 1024);
    const count = 400; // 6.4 MB: far beyond the bound and the kernel's socket buffers
    const results: Array<Promise<{ via: string }>> = [];
    for (let i = 0; i < count; i++) {
      results.push(publisher.publish({ id: `h${i}`, type: 't', payload }));
      if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
    }
    // Past the bound, publishes are queued at once instead of being written
    // (before: every one was written and waited for its 20 s timeout).
    await expect.poll(() => publisher.stats().queued, { timeout: 15_000 }).toBeGreaterThan(count / 2);
    const heldBySocket = publisher.stats().inFlight;
    expect(heldBySocket * payload.length).toBeLessThan(maxSocketBufferedBytes + 4 * 1024 * 1024);
    // The daemon goes away: what it held falls back to the queue too. Nothing lost.
    await server.stop();
    expect((await Promise.all(results)).every((r) => r.via === 'queue')).toBe(true);
    await publisher.close();
    expect(queuedIds()).toHaveLength(count);
  });

  it('queues on a retryable error response and on a timeout', async () => {
    await startServer((id) => {
      if (id === 'retry') throw Object.assign(new Error('db busy'), { code: 'X_BUSY', retryable: true });
      return new Promise(() => undefined); // never answers
    });
    const publisher = newPublisher({ requestTimeoutMs: 100 });
    await publisher.waitForConnection(2_000);
    expect((await publisher.publish({ id: 'retry', type: 't', payload: 1 })).via).toBe('queue');
    expect((await publisher.publish({ id: 'slow', type: 't', payload: 1 })).via).toBe('queue');
    expect(publisher.stats()).toMatchObject({ queued: 2, acked: 0 });
    await publisher.close();
    expect(queuedIds()).toEqual(['retry', 'slow']);
  });

  it('rejects a non-retryable error response without queueing it', async () => {
    await startServer(() => {
      throw Object.assign(new Error('bad candle'), { code: 'X_INVALID', retryable: false });
    });
    const publisher = newPublisher();
    await publisher.waitForConnection(2_000);
    const error = await publisher.publish({ id: 'bad', type: 't', payload: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishRejectedError);
    expect(error).toMatchObject({ remoteCode: 'X_INVALID', code: 'FLOWTRACE_PUBLISH_REJECTED' });
    expect(publisher.stats()).toMatchObject({ failed: 1, queued: 0 });
    await publisher.close();
    expect(queuedIds()).toEqual([]);
  });

  it('rejects an invalid message at once and never queues it', async () => {
    const publisher = newPublisher();
    await expect(publisher.publish({ id: 'x', type: '', payload: 1 })).rejects.toBeInstanceOf(
      QueueMessageValidationError,
    );
    await publisher.close();
    expect(queuedIds()).toEqual([]);
  });

  it('refuses an explicit empty id (QueueMessageValidationError) without sending or queueing it; an absent id is generated', async () => {
    const seen: string[] = [];
    await startServer((id) => {
      seen.push(id);
      return undefined;
    });
    const publisher = newPublisher();
    expect(await publisher.waitForConnection(2_000)).toBe(true);
    const error = await publisher.publish({ id: '', type: 't', payload: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueMessageValidationError);
    expect(error).toMatchObject({ code: 'FLOWTRACE_QUEUE_MESSAGE_INVALID', retryable: false });
    expect((error as QueueMessageValidationError).problems).toEqual([expect.stringMatching(/^id: /)]);
    expect(publisher.stats()).toMatchObject({ failed: 1, acked: 0, queued: 0 });
    const generated = await publisher.publish({ type: 't', payload: 1 });
    expect(generated).toMatchObject({ via: 'socket', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(seen).toEqual([generated.id]);
    await publisher.close();
    expect(queuedIds()).toEqual([]);
  });

  it('refuses when constructed a timeout setTimeout cannot honour (above 2^31 − 1 ms), leaving no queue database open', () => {
    for (const option of ['requestTimeoutMs', 'connectTimeout', 'reconnectMaxDelayMs']) {
      expect(() => new HybridPublisher({ socketPath, queuePath, [option]: 2 ** 31 })).toThrow(
        expect.objectContaining({
          code: 'FLOWTRACE_INVALID_OPTIONS',
          message: expect.stringMatching(new RegExp(`^Invalid HybridPublisher options: ${option}: `)),
        }),
      );
    }
    expect(existsSync(queuePath)).toBe(false);
  });

  it('refuses a socket path over the limit when constructed, leaving no queue database open', () => {
    const tooLong = join(tmp.dir, 'x'.repeat(120));
    expect(() => new HybridPublisher({ socketPath: tooLong, queuePath })).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_INVALID_OPTIONS' }),
    );
    // Nothing was opened: no handle on the queue file stays behind a constructor that threw.
    expect(existsSync(queuePath)).toBe(false);
  });

  it('moves in-flight messages to the queue when the connection drops', async () => {
    const server = await startServer(() => new Promise(() => undefined));
    const publisher = newPublisher({ requestTimeoutMs: 10_000 });
    await publisher.waitForConnection(2_000);
    const pending = Array.from({ length: 10 }, (_, i) =>
      publisher.publish({ id: `p${i}`, type: 't', payload: i }),
    );
    await expect.poll(() => server.stats().requestsInFlight).toBe(10);
    await server.stop();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.via === 'queue')).toBe(true);
    await publisher.close();
    expect(queuedIds()).toHaveLength(10);
  });
});
