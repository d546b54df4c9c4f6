import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidOptionsError,
  QueueClosedError,
  QueueMessageValidationError,
  QueueReadOnlyError,
  QueueUnavailableError,
  SQLiteQueue,
  validateQueueMessage,
} from '../src/features/sqlite-queue/index';
import { spawnFixture, waitForExit, waitForLine } from './helpers/child';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let dbPath: string;
const queues: SQLiteQueue[] = [];

function openQueue(config: Partial<ConstructorParameters<typeof SQLiteQueue>[0]> = {}): SQLiteQueue {
  const queue = new SQLiteQueue({ dbPath, ...config });
  queues.push(queue);
  return queue;
}

const msg = (id: string, timestamp = 1_700_000_000_000, payload: unknown = { id }) => ({
  id,
  type: 'candle:complete',
  payload,
  timestamp,
});

/** Moves processed_at of `id` `seconds` into the past (the queue stores seconds), as time passing would. */
function ageProcessed(id: string, seconds: number): void {
  const db = new BetterSqlite3(dbPath);
  try {
    db.prepare('UPDATE message_queue SET processed_at = processed_at - ? WHERE message_id = ?').run(
      seconds,
      id,
    );
  } finally {
    db.close();
  }
}

beforeEach(() => {
  tmp = makeTempDir('ftq-');
  dbPath = join(tmp.dir, 'queue.db');
});
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
  tmp.cleanup();
});

describe('SQLiteQueue', () => {
  it('delivers oldest timestamp first and marks processed', () => {
    const queue = openQueue();
    expect(queue.enqueue(msg('b', 2))).toBe(true);
    expect(queue.enqueueBatch([msg('c', 3), msg('a', 1)])).toBe(2);
    const got = queue.dequeue(10);
    expect(got.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(got[0]).toMatchObject({
      type: 'candle:complete',
      payload: { id: 'a' },
      timestamp: 1,
      deliveries: 1,
    });
    expect(queue.dequeue(10)).toEqual([]); // leased
    expect(queue.markProcessed(['a', 'b'])).toBe(2);
    expect(queue.markProcessed('c')).toBe(1);
    expect(queue.stats()).toMatchObject({ pending: 0, inFlight: 0, processed: 3, dead: 0 });
  });

  it('lease() bounds a batch by payload bytes too, in order, always taking the first message', () => {
    const queue = openQueue();
    // JSON payloads of ~100 kB each (the string plus its quotes).
    const large = (id: string, t: number) => msg(id, t, 'x'.repeat(100_000));
    queue.enqueueBatch([large('a', 1), large('b', 2), large('c', 3), msg('d', 4), large('e', 5)]);
    const first = queue.lease({ limit: 10, maxBytes: 250_000 });
    expect({ ids: first.messages.map((m) => m.id), more: first.more }).toEqual({
      ids: ['a', 'b'],
      more: true,
    });
    // One message larger than the budget still goes, alone: a budget never blocks the queue.
    const second = queue.lease({ limit: 10, maxBytes: 50_000 });
    expect({ ids: second.messages.map((m) => m.id), more: second.more }).toEqual({ ids: ['c'], more: true });
    const third = queue.lease({ limit: 2, maxBytes: 1_000_000 });
    expect({ ids: third.messages.map((m) => m.id), more: third.more }).toEqual({
      ids: ['d', 'e'],
      more: true,
    });
    expect(queue.lease({ limit: 2 })).toEqual({ messages: [], more: false });
    expect(queue.stats()).toMatchObject({ pending: 0, inFlight: 5 });
    expect(() => queue.lease({ limit: 0 })).toThrow(/limit: must be a positive integer/);
    expect(() => queue.lease({ limit: 1, maxBytes: 0 })).toThrow(/maxBytes: must be positive/);
  });

  it('readOnly: looks at an existing queue without changing its file, refuses every write, and opens nothing else', () => {
    const writer = openQueue();
    writer.enqueueBatch([msg('a', 1), msg('b', 2)]);
    writer.dequeue(1);
    writer.markDead('a', 'poison');
    writer.close();
    const before = readFileSync(dbPath);
    const reader = openQueue({ readOnly: true });
    expect(reader.stats()).toMatchObject({ pending: 1, dead: 1 });
    expect(reader.listDeadLetters().map((d) => d.id)).toEqual(['a']);
    expect(reader.firstMessageAhead()).toBe('b');
    for (const write of [
      () => reader.enqueue(msg('c')),
      () => reader.dequeue(1),
      () => reader.markProcessed('b'),
      () => reader.requeueDeadLetter('a'),
      () => reader.requeueAllDeadLetters(),
      () => reader.deleteDeadLetters(['a']),
      () => reader.cleanup(0),
    ])
      expect(write).toThrow(QueueReadOnlyError);
    reader.close();
    expect(readFileSync(dbPath).equals(before)).toBe(true);
    // A missing file is not created; another database is not a queue.
    const missing = join(tmp.dir, 'absent.db');
    expect(() => openQueue({ dbPath: missing, readOnly: true })).toThrow(QueueUnavailableError);
    expect(existsSync(missing)).toBe(false);
    const other = join(tmp.dir, 'other.db');
    new BetterSqlite3(other).exec('CREATE TABLE t (x)');
    expect(() => openQueue({ dbPath: other, readOnly: true })).toThrow(/not a queue database/);
  });

  it('ignores a duplicate id without touching the stored row', () => {
    const queue = openQueue();
    expect(queue.enqueue(msg('x', 5, { v: 1 }))).toBe(true);
    expect(queue.enqueue(msg('x', 6, { v: 2 }))).toBe(false);
    expect(queue.enqueueBatch([msg('x', 7, { v: 3 }), msg('y', 8)])).toBe(1);
    const [first] = queue.dequeue(10);
    expect(first).toMatchObject({ id: 'x', timestamp: 5, payload: { v: 1 } });
  });

  it('rejects invalid messages with a typed error listing every problem, storing nothing of the batch', () => {
    const queue = openQueue();
    expect(() => validateQueueMessage({ id: '', type: 1, timestamp: -1 })).toThrow(
      QueueMessageValidationError,
    );
    try {
      validateQueueMessage({ id: '', type: 1, timestamp: -1 });
    } catch (error) {
      expect((error as QueueMessageValidationError).problems.length).toBeGreaterThanOrEqual(4);
      expect((error as QueueMessageValidationError).code).toBe('FLOWTRACE_QUEUE_MESSAGE_INVALID');
    }
    expect(() => queue.enqueueBatch([msg('ok'), { ...msg('bad'), timestamp: 0 }])).toThrow(
      QueueMessageValidationError,
    );
    expect(queue.stats().pending).toBe(0);
  });

  it('refuses a payload JSON cannot encode with a typed error instead of dropping the row as a duplicate', () => {
    const queue = openQueue();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    // A function or a symbol encodes to nothing: the NULL payload used to be
    // swallowed by INSERT OR IGNORE, enqueue() answering false (as for a known id).
    for (const payload of [() => 1, Symbol('s'), { n: BigInt(1) }, circular]) {
      const error = (() => {
        try {
          queue.enqueue(msg('bad', 1, payload));
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(QueueMessageValidationError);
      expect(error).toMatchObject({ code: 'FLOWTRACE_QUEUE_MESSAGE_INVALID', retryable: false });
    }
    expect(() => queue.enqueueBatch([msg('ok'), msg('bad', 1, () => 1)])).toThrow(
      QueueMessageValidationError,
    );
    expect(queue.stats().pending).toBe(0);
    expect(queue.enqueue(msg('ok'))).toBe(true);
  });

  it('creates the directory of a new queue file', () => {
    dbPath = join(tmp.dir, 'not', 'yet', 'queue.db');
    const queue = openQueue();
    expect(queue.enqueue(msg('a'))).toBe(true);
  });

  it('fails with QueueUnavailableError (stable code, retryable) when the file cannot be opened or written', () => {
    const notADirectory = join(tmp.dir, 'plain-file');
    writeFileSync(notADirectory, 'x');
    dbPath = join(notADirectory, 'queue.db');
    expect(() => openQueue()).toThrow(QueueUnavailableError);

    dbPath = join(tmp.dir, 'queue.db');
    const queue = openQueue({ busyTimeoutMs: 0 });
    const other = new BetterSqlite3(dbPath);
    other.exec('BEGIN IMMEDIATE'); // another process holds the write lock
    try {
      const error = (() => {
        try {
          queue.enqueueBatch([msg('a'), msg('b')]);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect(error).toMatchObject({
        code: 'FLOWTRACE_QUEUE_UNAVAILABLE',
        retryable: true,
        sqliteCode: 'SQLITE_BUSY',
      });
      expect(() => queue.enqueue(msg('a'))).toThrow(QueueUnavailableError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(queue.enqueue(msg('a'))).toBe(true);
  });

  // procfs answers ENOENT to mkdir of a new entry in a directory that exists: Node's recursive
  // mkdir took that for a missing parent and spun forever, inside the constructor.
  it.runIf(existsSync('/proc/self'))(
    'refuses a queue directory the file system will not create (/proc/x) at once, with QueueUnavailableError',
    async () => {
      const child = spawnFixture('openQueueAt.ts', [`/proc/flowtrace-no-such-dir-${process.pid}/q.db`]);
      // A spin is synchronous: only killing the child ends it, and the test then fails on its output.
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const exit = await waitForExit(child);
      clearTimeout(kill);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(JSON.parse(stdout)).toMatchObject({
        refused: true,
        unavailable: true,
        code: 'FLOWTRACE_QUEUE_UNAVAILABLE',
        cause: 'ENOENT',
        message: expect.stringContaining('does not let a directory be created there'),
      });
    },
    30_000,
  );

  it('retries a failed message after a delay, then dead-letters it; cleanup keeps dead letters', async () => {
    const queue = openQueue({ maxAttempts: 3, retryDelayMs: 30, maxRetryDelayMs: 1000 });
    queue.enqueue(msg('p'));
    queue.enqueue(msg('done'));
    queue.markProcessed(queue.dequeue(10).find((m) => m.id === 'done')?.id ?? '');
    expect(queue.markFailed('p', new Error('boom 1'))).toEqual({ found: true, attempts: 1, dead: false });
    expect(queue.dequeue(10)).toEqual([]); // in retry delay
    expect(queue.stats()).toMatchObject({ pending: 1, delayed: 1 });
    await new Promise((r) => setTimeout(r, 40));
    const [again] = queue.dequeue(10);
    expect(again).toMatchObject({ id: 'p', attempts: 1, deliveries: 2, lastError: 'boom 1' });
    expect(queue.markFailed('p', 'boom 2').dead).toBe(false);
    await new Promise((r) => setTimeout(r, 70));
    expect(queue.dequeue(10).map((m) => m.id)).toEqual(['p']);
    expect(queue.markFailed('p', 'boom 3')).toEqual({ found: true, attempts: 3, dead: true });
    expect(queue.stats()).toMatchObject({ pending: 0, dead: 1, processed: 1 });
    ageProcessed('done', 10);
    expect(queue.cleanup(0)).toBe(1); // only the processed row
    expect(queue.stats()).toMatchObject({ dead: 1, processed: 0 });
  });

  it('lists a dead letter with its payload size as stored, also when the payload is not JSON', () => {
    const queue = openQueue();
    queue.enqueue(msg('json', 1, { price: 'é' }));
    queue.dequeue(1);
    queue.markDead('json', 'poison');
    // A broken producer's row: its payload text is not JSON (10 bytes, 'é' is 2 of them).
    const db = new BetterSqlite3(dbPath);
    db.prepare(
      "INSERT INTO message_queue (message_id, type, payload, timestamp, processed, created_at) VALUES ('text', 'candle', 'prix: 1é!', 2, 0, 0)",
    ).run();
    db.close();
    expect(queue.dequeue(10)).toEqual([]);
    expect(queue.listDeadLetters().map((d) => [d.id, d.payload, d.payloadBytes])).toEqual([
      ['json', { price: 'é' }, Buffer.byteLength('{"price":"é"}')],
      // Its text is listed as is; JSON-encoding it again would count the quotes too (12).
      ['text', 'prix: 1é!', 10],
    ]);
  });

  it('lists, requeues and explicitly deletes dead letters', () => {
    const queue = openQueue({ maxAttempts: 1 });
    queue.enqueueBatch([msg('d1', 1), msg('d2', 2)]);
    queue.dequeue(10);
    queue.markFailed('d1', 'bad data');
    queue.markFailed('d2', 'bad data');
    expect(queue.cleanup(0)).toBe(0);
    const dead = queue.listDeadLetters();
    expect(dead.map((d) => [d.id, d.attempts, d.lastError])).toEqual([
      ['d1', 1, 'bad data'],
      ['d2', 1, 'bad data'],
    ]);
    expect(queue.requeueDeadLetter('d1')).toBe(true);
    expect(queue.dequeue(10).map((m) => m.id)).toEqual(['d1']);
    expect(queue.deleteDeadLetters(['d2'])).toBe(1);
    expect(queue.stats().dead).toBe(0);
    // All at once: every dead letter back, with fresh counts, and nothing else touched.
    queue.enqueueBatch([msg('d3', 3), msg('d4', 4)]);
    queue.dequeue(10);
    queue.markDead('d3', 'x');
    queue.markDead('d4', 'y');
    expect(queue.requeueAllDeadLetters()).toBe(2);
    expect(queue.requeueAllDeadLetters()).toBe(0);
    expect(queue.dequeue(10).map((m) => [m.id, m.attempts, m.deliveries])).toEqual([
      ['d3', 0, 1],
      ['d4', 0, 1],
    ]);
  });

  it('dead-letters a message whose leases keep expiring (poison message killing its consumer)', async () => {
    const queue = openQueue({ leaseMs: 1, maxDeliveries: 3 });
    queue.enqueue(msg('poison'));
    for (let i = 0; i < 3; i++) {
      expect(queue.dequeue(10).map((m) => m.id)).toEqual(['poison']);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(queue.dequeue(10)).toEqual([]);
    const [dead] = queue.listDeadLetters();
    expect(dead?.id).toBe('poison');
    expect(dead?.lastError).toMatch(/delivered 3 times/);
  });

  it('counts only deliveries without an outcome towards maxDeliveries: failed ones retry as long as maxAttempts allows', () => {
    // As the persistence service opens it: a quarantined partition fails its candle retryably
    // until it is repaired, which must never dead-letter the candle.
    const queue = openQueue({ maxDeliveries: 3, maxAttempts: 1_000, retryDelayMs: 0, maxRetryDelayMs: 0 });
    queue.enqueue(msg('retried'));
    for (let i = 0; i < 10; i++) {
      expect(queue.dequeue(10).map((m) => m.id)).toEqual(['retried']);
      expect(queue.markFailed('retried', 'partition refuses writes').dead).toBe(false);
    }
    expect(queue.stats()).toMatchObject({ pending: 1, dead: 0 });
    expect(queue.dequeue(10)).toMatchObject([{ id: 'retried', attempts: 10, deliveries: 11 }]);
  });

  it('requeues a poison dead letter with fresh counts: it is delivered again, not dead-lettered at once', async () => {
    const queue = openQueue({ leaseMs: 1, maxDeliveries: 2 });
    queue.enqueue(msg('poison'));
    for (let i = 0; i < 3; i++) {
      queue.dequeue(10);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(queue.stats().dead).toBe(1);
    expect(queue.requeueDeadLetter('poison')).toBe(true);
    expect(queue.dequeue(10)).toMatchObject([{ id: 'poison', attempts: 0, deliveries: 1 }]);
    expect(queue.stats().dead).toBe(0);
  });

  it('cleanup deletes processed rows older than the retention only', () => {
    const queue = openQueue();
    queue.enqueueBatch([msg('old'), msg('pending')]);
    queue.dequeue(1);
    queue.markProcessed('old');
    expect(queue.cleanup(1)).toBe(0);
    ageProcessed('old', 2 * 3600);
    expect(queue.cleanup(1)).toBe(1);
    expect(queue.stats()).toMatchObject({ pending: 1, processed: 0 });
  });

  it('cleanup refuses a negative or non-finite age, and a negative or NaN maxRows, deleting nothing', () => {
    const queue = openQueue();
    queue.enqueueBatch([msg('just-done'), msg('pending')]);
    queue.dequeue(1);
    queue.markProcessed('just-done');
    const cases: Array<[hours: number, maxRows: number | undefined, problem: RegExp]> = [
      [-1, undefined, /hours: must be a finite number >= 0; got -1/],
      [-0.001, undefined, /hours: .*got -0\.001/],
      [Number.NaN, undefined, /hours: .*got NaN/],
      [Number.POSITIVE_INFINITY, undefined, /hours: .*got Infinity/],
      [24, -1, /maxRows: must be a number >= 0 \(Infinity: all\); got -1/],
      [24, Number.NaN, /maxRows: .*got NaN/],
    ];
    for (const [hours, maxRows, problem] of cases) {
      let thrown: unknown;
      try {
        queue.cleanup(hours, maxRows);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `cleanup(${hours}, ${maxRows})`).toBeInstanceOf(InvalidOptionsError);
      expect(thrown).toMatchObject({ code: 'FLOWTRACE_INVALID_OPTIONS', retryable: false });
      expect(String((thrown as Error).message)).toMatch(problem);
    }
    // The row processed moments ago is still there: its id still deduplicates a re-publish.
    expect(queue.stats()).toMatchObject({ processed: 1, pending: 1 });
    expect(queue.enqueue(msg('just-done'))).toBe(false);
    // The bounds themselves are fine: 0 hours keeps what was processed this second.
    expect(queue.cleanup(0)).toBe(0);
    expect(queue.cleanup(0, 0)).toBe(0);
    expect(queue.cleanup(24, Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('enqueueBatch names the index and id of the message it refuses, storing nothing of the batch', () => {
    const queue = openQueue();
    const refusal = (batch: unknown[]): QueueMessageValidationError => {
      try {
        queue.enqueueBatch(batch as Parameters<SQLiteQueue['enqueueBatch']>[0]);
      } catch (error) {
        expect(error).toBeInstanceOf(QueueMessageValidationError);
        expect(error).toMatchObject({ code: 'FLOWTRACE_QUEUE_MESSAGE_INVALID', retryable: false });
        return error as QueueMessageValidationError;
      }
      throw new Error('accepted');
    };
    const badType = refusal([msg('b0'), msg('b1'), { ...msg('b2'), type: '' }, msg('b3')]);
    expect(badType).toMatchObject({ batchIndex: 2, messageId: 'b2' });
    expect(badType.message).toMatch(/^Invalid queue message at index 2 of the batch \(id "b2"\): type: /);
    expect(badType.problems).toEqual([expect.stringMatching(/^type: /)]);
    // No usable id: the index alone.
    const noId = refusal([msg('c0'), { ...msg(''), timestamp: 0 }]);
    expect(noId).toMatchObject({ batchIndex: 1, messageId: undefined });
    expect(noId.message).toMatch(/^Invalid queue message at index 1 of the batch: id: .*; timestamp: /);
    // A payload JSON cannot encode too.
    const unencodable = refusal([msg('d0'), msg('d1', 1, { n: 1n })]);
    expect(unencodable).toMatchObject({ batchIndex: 1, messageId: 'd1' });
    expect(unencodable.message).toMatch(
      /at index 1 of the batch \(id "d1"\): payload: cannot be encoded as JSON/,
    );
    expect(queue.stats().pending).toBe(0);
    // Outside a batch, no index.
    expect(() => queue.enqueue({ ...msg('e'), type: '' })).toThrow(/^Invalid queue message: type: /);
  });

  it('keeps enqueues at synchronous=FULL after relaxed consumer-side writes', () => {
    const queue = openQueue({ maxAttempts: 1 });
    const sync = () =>
      (queue as unknown as { db: { pragma(s: string, o: object): unknown } }).db.pragma('synchronous', {
        simple: true,
      });
    expect(sync()).toBe(2);
    queue.enqueueBatch([msg('a', 1), msg('b', 2)]);
    queue.dequeue(10);
    queue.markProcessed('a');
    queue.markFailed('b', 'x');
    expect(sync()).toBe(2); // FULL
  });

  it('creates new files with 16 KiB pages in WAL mode', () => {
    openQueue().close();
    const db = new BetterSqlite3(dbPath, { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(16384);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('throws QueueClosedError after close() and close() is idempotent', () => {
    const queue = openQueue();
    queue.close();
    queue.close();
    expect(() => queue.enqueue(msg('z'))).toThrow(QueueClosedError);
  });

  it('takes back at once, in order, the leases of a consumer process killed with SIGKILL', async () => {
    const producer = openQueue();
    producer.enqueueBatch(Array.from({ length: 20 }, (_, i) => msg(`m${i}`, 1000 + i)));
    const child = spawnFixture('leaseConsumer.ts', [dbPath, '60000', '10']);
    const line = await waitForLine(child, (l) => l.startsWith('LEASED '));
    const leasedByChild = JSON.parse(line.slice('LEASED '.length)) as string[];
    expect(leasedByChild).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    child.kill('SIGKILL');
    expect((await waitForExit(child)).signal).toBe('SIGKILL');
    // The restarted consumer gets the dead one's ten first, not after their 60 s lease and not
    // behind the ten newer messages.
    const consumer = openQueue({ leaseMs: 60_000 });
    const delivered = consumer.dequeue(100);
    expect(delivered.map((m) => m.id)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(delivered.map((m) => m.deliveries)).toEqual([...Array(10).fill(2), ...Array(10).fill(1)]);
  });

  it('keeps the leases of a live consumer process until they expire', async () => {
    const producer = openQueue();
    producer.enqueueBatch(Array.from({ length: 20 }, (_, i) => msg(`m${i}`, 1000 + i)));
    const child = spawnFixture('leaseConsumer.ts', [dbPath, '1500', '10']);
    try {
      await waitForLine(child, (l) => l.startsWith('LEASED '));
      const consumer = openQueue({ leaseMs: 60_000 });
      expect(consumer.releaseAbandonedLeases()).toBe(0);
      expect(consumer.dequeue(100).map((m) => m.id)).toEqual(
        Array.from({ length: 10 }, (_, i) => `m${i + 10}`),
      );
      // Expiry still redelivers a live but silent consumer's messages (e.g. one that hangs).
      await expect.poll(() => consumer.stats().inFlight, { timeout: 5_000, interval: 100 }).toBe(10);
      const redelivered = consumer.dequeue(100);
      expect(redelivered.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(redelivered.every((m) => m.deliveries === 2)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await waitForExit(child);
    }
  });

  it('takes back the leases of a queue closed in this process, keeps those of an open one and of another host', () => {
    const producer = openQueue();
    producer.enqueueBatch([msg('a', 1), msg('b', 2), msg('c', 3)]);
    const first = openQueue({ leaseMs: 60_000 });
    expect(first.dequeue(1).map((m) => m.id)).toEqual(['a']);
    const second = openQueue({ leaseMs: 60_000 });
    expect(second.dequeue(1).map((m) => m.id)).toEqual(['b']); // 'a' is still first's
    // A lease held on another machine cannot be checked: it stays until it expires.
    const db = new BetterSqlite3(dbPath);
    db.prepare(
      "UPDATE message_queue SET leased_until = ?, leased_by = 'elsewhere:1:t' WHERE message_id = 'c'",
    ).run(Date.now() + 60_000);
    db.close();
    first.close();
    expect(second.releaseAbandonedLeases()).toBe(1);
    expect(second.dequeue(10).map((m) => m.id)).toEqual(['a']);
  });

  it('delivers messages of the same timestamp in the order they were enqueued', () => {
    const queue = openQueue();
    const ids = ['z', 'm', 'a', 'y', 'b'];
    for (const id of ids.slice(0, 3)) queue.enqueue(msg(id, 5));
    queue.enqueueBatch(ids.slice(3).map((id) => msg(id, 5)));
    queue.enqueue(msg('early', 4));
    expect(queue.dequeue(2).map((m) => m.id)).toEqual(['early', 'z']);
    expect(queue.dequeue(10).map((m) => m.id)).toEqual(['m', 'a', 'y', 'b']);
  });
});
