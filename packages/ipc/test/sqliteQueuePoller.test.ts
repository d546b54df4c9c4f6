import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionsError, SQLiteQueue, SQLiteQueuePoller } from '../src/features/sqlite-queue/index';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let queue: SQLiteQueue;
const msg = (id: string, timestamp: number) => ({ id, type: 't', payload: { id }, timestamp });

beforeEach(() => {
  tmp = makeTempDir('ftq-poll-');
  queue = new SQLiteQueue({ dbPath: join(tmp.dir, 'q.db'), retryDelayMs: 60_000, maxAttempts: 2 });
});
afterEach(() => {
  queue.close();
  tmp.cleanup();
});

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SQLiteQueuePoller', () => {
  it('refuses at construction, typed, a config without a queue or without onMessage/onBatch, listing every problem', () => {
    type Config = ConstructorParameters<typeof SQLiteQueuePoller>[0];
    const refusal = (config: unknown): InvalidOptionsError => {
      try {
        new SQLiteQueuePoller(config as Config);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionsError);
        expect(error).toMatchObject({ code: 'FLOWTRACE_INVALID_OPTIONS', retryable: false });
        return error as InvalidOptionsError;
      }
      throw new Error(`accepted ${JSON.stringify(config)}`);
    };
    expect(refusal({ onMessage: () => {} }).issues).toEqual(['queue: must be an SQLiteQueue; got undefined']);
    expect(refusal({ queue: {}, onMessage: () => {} }).issues).toEqual([
      'queue: must be an SQLiteQueue; got object',
    ]);
    expect(refusal({ queue }).issues).toEqual([
      '(root): onMessage or onBatch is required (neither was given)',
    ]);
    expect(refusal({ queue, onMessage: 'handle' }).issues).toEqual([
      'onMessage: must be a function; got string',
    ]);
    // Every problem at once, with those of the numeric options.
    const all = refusal({ batchSize: 0 });
    expect(all.issues).toEqual([
      expect.stringMatching(/^batchSize: /),
      'queue: must be an SQLiteQueue; got undefined',
      '(root): onMessage or onBatch is required (neither was given)',
    ]);
    expect(all.message).toMatch(/^Invalid SQLiteQueuePoller options: /);
    // Either handler is enough.
    expect(() => new SQLiteQueuePoller({ queue, onMessage: () => {} })).not.toThrow();
    expect(() => new SQLiteQueuePoller({ queue, onBatch: async () => undefined })).not.toThrow();
  });

  it('marks processed only resolved messages; a rejection is markFailed', async () => {
    queue.enqueueBatch([msg('ok1', 1), msg('bad', 2), msg('ok2', 3)]);
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 10,
      onMessage: async (m) => {
        if (m.id === 'bad') throw new Error('cannot persist');
      },
    });
    expect(await poller.pollOnce()).toBe(3);
    expect(poller.stats()).toMatchObject({ processed: 2, failed: 1 });
    expect(queue.stats()).toMatchObject({ processed: 2, pending: 1, delayed: 1, dead: 0 });
  });

  it('dead-letters at once a message whose handler error says retryable: false', async () => {
    queue.enqueueBatch([msg('never-valid', 1), msg('later', 2)]);
    const poller = new SQLiteQueuePoller({
      queue,
      onMessage: async (m) => {
        if (m.id === 'never-valid') throw Object.assign(new Error('invalid candle'), { retryable: false });
        throw new Error('storage down');
      },
    });
    await poller.pollOnce();
    expect(poller.stats()).toMatchObject({ failed: 2, deadLettered: 1 });
    expect(queue.listDeadLetters().map((d) => [d.id, d.lastError, d.attempts])).toEqual([
      ['never-valid', 'invalid candle', 1],
    ]);
    expect(queue.stats()).toMatchObject({ dead: 1, pending: 1, delayed: 1 });
  });

  it('pollSoon() polls at once instead of waiting pollInterval, and again after a poll it interrupted; no timer left after stop', async () => {
    const seen: string[] = [];
    let releasePoll: (() => void) | undefined;
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 60_000, // only pollSoon() can make it poll again within this test
      onMessage: async (m) => {
        seen.push(m.id);
        if (m.id === 'slow') await new Promise<void>((resolve) => (releasePoll = resolve));
      },
    });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    expect(poller.pollSoon()).toBe(false); // not running
    await poller.start();
    await waitUntil(() => poller.stats().polls === 1); // the first poll found nothing: waiting 60 s
    queue.enqueue(msg('a', 1));
    expect(poller.pollSoon()).toBe(true);
    await waitUntil(() => queue.stats().processed === 1);
    // A hint during a poll (whose lease is taken): the message queued meanwhile is polled right after it.
    queue.enqueue(msg('slow', 2));
    poller.pollSoon();
    await waitUntil(() => releasePoll !== undefined);
    queue.enqueue(msg('b', 3));
    poller.pollSoon();
    releasePoll?.();
    await waitUntil(() => queue.stats().processed === 3);
    expect(seen).toEqual(['a', 'slow', 'b']);
    await poller.stop();
    expect(poller.pollSoon()).toBe(false);
    // Every interval timer (the polls woken early included) was cleared, not left to run out its 60 s.
    const intervalTimers = setTimeoutSpy.mock.calls.flatMap((call, k) =>
      call[1] === 60_000 ? [setTimeoutSpy.mock.results[k]?.value] : [],
    );
    expect(intervalTimers.length).toBeGreaterThanOrEqual(2);
    const cleared = new Set(clearTimeoutSpy.mock.calls.map((call) => call[0]));
    expect(intervalTimers.filter((timer) => !cleared.has(timer))).toEqual([]);
    setTimeoutSpy.mockRestore();
    clearTimeoutSpy.mockRestore();
  });

  it('leases at most maxBatchBytes of payloads per poll, and polls again at once while more is waiting', async () => {
    const ids = Array.from({ length: 12 }, (_, k) => `m${k}`);
    queue.enqueueBatch(
      ids.map((id, k) => ({ id, type: 't', payload: 'x'.repeat(100_000), timestamp: k + 1 })),
    );
    const batches: string[][] = [];
    const poller = new SQLiteQueuePoller({
      queue,
      // A short batch would wait this long: draining all 12 in time proves the poller went on.
      pollInterval: 60_000,
      batchSize: 50,
      maxBatchBytes: 350_000,
      onBatch: async (messages) => {
        batches.push(messages.map((m) => m.id));
      },
    });
    await poller.start();
    try {
      const deadline = Date.now() + 10_000;
      while (queue.stats().processed < 12 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      await poller.stop();
    }
    expect(batches).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6, 9), ids.slice(9, 12)]);
    expect(queue.stats()).toMatchObject({ processed: 12, pending: 0 });
  });

  it('onBatch gets the whole batch and reports per-message outcomes; missing outcomes count as failed', async () => {
    queue.enqueueBatch([msg('a', 1), msg('b', 2), msg('c', 3)]);
    const batches: string[][] = [];
    const poller = new SQLiteQueuePoller({
      queue,
      batchSize: 10,
      onBatch: async (messages) => {
        batches.push(messages.map((m) => m.id));
        return [
          { id: 'a', ok: true },
          { id: 'b', ok: false, error: new Error('rejected') },
        ];
      },
    });
    await poller.pollOnce();
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(queue.stats()).toMatchObject({ processed: 1, pending: 2 });
    expect(poller.stats().failed).toBe(2);
  });

  it('a throwing onBatch fails every message of the batch, never marks it processed', async () => {
    queue.enqueueBatch([msg('a', 1), msg('b', 2)]);
    const poller = new SQLiteQueuePoller({
      queue,
      onBatch: async () => {
        throw new Error('disk full');
      },
    });
    await poller.pollOnce();
    expect(queue.stats()).toMatchObject({ processed: 0, pending: 2, delayed: 2 });
  });

  it('outcomes a failing queue write could not record are recorded at the next poll, not after the lease', async () => {
    const dbPath = join(tmp.dir, 'locked.db');
    const lockable = new SQLiteQueue({ dbPath, busyTimeoutMs: 20, leaseMs: 600_000, retryDelayMs: 60_000 });
    const locker = new Database(dbPath);
    try {
      lockable.enqueueBatch([msg('a', 1), msg('b', 2), msg('c', 3)]);
      const poller = new SQLiteQueuePoller({
        queue: lockable,
        onBatch: async (messages) => {
          // Another connection takes the write lock while the batch is handled: recording the
          // outcomes then fails for real (SQLITE_BUSY), as it would on a disk I/O error.
          locker.exec('BEGIN EXCLUSIVE');
          return messages.map((m) =>
            m.id === 'b'
              ? { id: m.id, ok: false as const, error: new Error('storage down') }
              : { id: m.id, ok: true as const },
          );
        },
      });
      await expect(poller.pollOnce()).rejects.toThrow(/locked|busy/i);
      expect(lockable.stats()).toMatchObject({ processed: 0, inFlight: 3 });
      locker.exec('ROLLBACK');
      // The lease has ~10 minutes left: only recording the kept outcomes can settle the rows now.
      expect(await poller.pollOnce()).toBe(0);
      expect(lockable.stats()).toMatchObject({ processed: 2, inFlight: 0, pending: 1, delayed: 1 });
      expect(poller.stats()).toMatchObject({ processed: 2, failed: 1 });
    } finally {
      locker.close();
      lockable.close();
    }
  });

  it('stop() waits for the batch in flight to finish and be marked', async () => {
    queue.enqueueBatch([msg('slow', 1)]);
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const handlerStarted = new Promise<void>((r) => {
      started = r;
    });
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 5,
      onMessage: () =>
        new Promise<void>((r) => {
          release = r;
          started();
        }),
    });
    await poller.start();
    await handlerStarted;
    let stopped = false;
    const stopping = poller.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(queue.stats().processed).toBe(1);
  });

  it('keeps draining while full batches come back, then idles', async () => {
    queue.enqueueBatch(Array.from({ length: 95 }, (_, i) => msg(`m${i}`, i + 1)));
    const order: string[] = [];
    const poller = new SQLiteQueuePoller({
      queue,
      batchSize: 10,
      pollInterval: 10_000,
      onMessage: (m) => {
        order.push(m.id);
      },
    });
    await poller.start();
    await expect.poll(() => order.length).toBe(95);
    await poller.stop();
    expect(order).toEqual(Array.from({ length: 95 }, (_, i) => `m${i}`));
  });
});

describe('SQLiteQueuePoller cleanup of processed messages', () => {
  /** Moves processed_at of the given ids `hours` into the past (seconds, as the queue stores it). */
  function ageProcessed(ids: readonly string[], hours: number): void {
    const db = new Database(join(tmp.dir, 'q.db'));
    const update = db.prepare(
      'UPDATE message_queue SET processed_at = processed_at - ? WHERE message_id = ?',
    );
    db.transaction(() => {
      for (const id of ids) update.run(hours * 3600, id);
    })();
    db.close();
  }

  it('deletes processed messages past retentionHours, in chunks, at start and then every cleanupIntervalMs; pending, failed, dead and recent rows stay', async () => {
    const old = Array.from({ length: 12_000 }, (_, i) => msg(`old-${i}`, i + 1));
    queue.enqueueBatch([...old, msg('recent', 20_000), msg('pending', 20_001), msg('poison', 20_002)]);
    expect(queue.markProcessed([...old.map((m) => m.id), 'recent'])).toBe(12_001);
    ageProcessed(
      old.map((m) => m.id),
      25,
    );
    queue.markDead('poison', new Error('never valid'));
    const seen: string[] = [];
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 10,
      cleanupIntervalMs: 300,
      onMessage: (m) => {
        seen.push(m.id);
        throw new Error('storage down'); // 'pending' stays pending (retried in a minute)
      },
    });
    await poller.start();
    try {
      // 12,000 expired rows: three turns of at most 5,000.
      const deadline = Date.now() + 10_000;
      while (poller.stats().cleanedUp < 12_000 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(poller.stats().cleanedUp).toBe(12_000);
      expect(queue.stats()).toMatchObject({ processed: 1, dead: 1, pending: 1 });
      expect(seen).toEqual(['pending']);
      // Re-publishing a recent id is still a no-op (its row is kept for the retention window).
      expect(queue.enqueueBatch([msg('recent', 20_000)])).toBe(0);
      // The next expired row goes at the next interval, not before.
      ageProcessed(['recent'], 25);
      await new Promise((r) => setTimeout(r, 50));
      const before = poller.stats().cleanedUp;
      const next = Date.now() + 5_000;
      while (poller.stats().cleanedUp === before && Date.now() < next)
        await new Promise((r) => setTimeout(r, 10));
      expect(poller.stats().cleanedUp).toBe(12_001);
      expect(queue.stats()).toMatchObject({ processed: 0, dead: 1, pending: 1 });
    } finally {
      await poller.stop();
    }
  });

  it('cleanupIntervalMs 0 never deletes; a negative one is refused', async () => {
    queue.enqueueBatch([msg('a', 1)]);
    queue.markProcessed(['a']);
    ageProcessed(['a'], 25);
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 5,
      cleanupIntervalMs: 0,
      onMessage: () => {},
    });
    await poller.start();
    await new Promise((r) => setTimeout(r, 100));
    await poller.stop();
    expect(poller.stats().cleanedUp).toBe(0);
    expect(queue.stats()).toMatchObject({ processed: 1 });
    expect(() => new SQLiteQueuePoller({ queue, cleanupIntervalMs: -1, onMessage: () => {} })).toThrow(
      /cleanupIntervalMs/,
    );
  });
});
