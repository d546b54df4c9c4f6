import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, SQLiteQueue, SQLiteQueuePoller } from '../src/features/sqlite-queue/index';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let dbPath: string;

beforeEach(() => {
  tmp = makeTempDir('ftq-legacy-');
  dbPath = join(tmp.dir, 'legacy-queue.db');
});
afterEach(() => tmp.cleanup());

/** Writes a queue file the way the original platform's producer did, with plain better-sqlite3. */
function writeLegacyFile(pending: number): void {
  const db = new BetterSqlite3(dbPath);
  db.exec(`
    CREATE TABLE message_queue (
      message_id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      payload TEXT NOT NULL,
      timestamp INTEGER NOT NULL,
      processed INTEGER DEFAULT 0,
      processed_at INTEGER,
      created_at INTEGER DEFAULT (strftime('%s','now'))
    );
    CREATE INDEX idx_queue_processed ON message_queue(processed, timestamp);
    CREATE INDEX idx_queue_processed_at ON message_queue(processed, processed_at);
    CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER, description TEXT);
    INSERT INTO schema_version VALUES (1, 1700000000, 'initial');
    CREATE TABLE candle_state (symbol TEXT PRIMARY KEY, state BLOB, updated_at INTEGER);
    INSERT INTO candle_state VALUES ('BTCUSDT', x'0102', 1700000000), ('LTCUSDT', x'0304', 1700000001);
  `);
  const insert = db.prepare(
    'INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < pending; i++) {
      insert.run(
        `legacy-${i}`,
        'candle:complete',
        JSON.stringify({ s: 'LTCUSDT', t: i, n: i * 2 }),
        1_700_000_000_000 + i,
      );
    }
    db.prepare(
      "INSERT INTO message_queue (message_id, type, payload, timestamp, processed, processed_at) VALUES ('done-1', 'candle', '{}', 1, 1, 1700000000)",
    ).run();
  })();
  db.close();
}

function snapshotOtherTables(): unknown {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return {
      schemaVersion: db.prepare('SELECT * FROM schema_version ORDER BY version').all(),
      candleState: db.prepare('SELECT * FROM candle_state ORDER BY symbol').all(),
      ddl: db
        .prepare(
          "SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('schema_version', 'candle_state') ORDER BY name",
        )
        .all(),
    };
  } finally {
    db.close();
  }
}

describe('original platform queue file', () => {
  it('is migrated in place and drained with nothing lost; other tables untouched', async () => {
    const pending = 1_000;
    writeLegacyFile(pending);
    const before = snapshotOtherTables();

    const queue = new SQLiteQueue({ dbPath });
    expect(queue.stats()).toMatchObject({ pending, processed: 1, dead: 0 });

    // An old producer that knows nothing of the new columns keeps writing to the migrated file.
    const oldProducer = new BetterSqlite3(dbPath);
    oldProducer
      .prepare('INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES (?, ?, ?, ?)')
      .run('late-legacy', 'candle', JSON.stringify({ late: true }), 1_800_000_000_000);
    oldProducer.close();

    const seen = new Map<string, unknown>();
    const poller = new SQLiteQueuePoller({
      queue,
      pollInterval: 10,
      batchSize: 128,
      onMessage: (m) => {
        seen.set(m.id, m.payload);
      },
    });
    await poller.start();
    await expect.poll(() => seen.size, { timeout: 10_000 }).toBe(pending + 1);
    await poller.stop();

    for (let i = 0; i < pending; i++)
      expect(seen.get(`legacy-${i}`)).toEqual({ s: 'LTCUSDT', t: i, n: i * 2 });
    expect(seen.get('late-legacy')).toEqual({ late: true });
    expect(seen.has('done-1')).toBe(false);
    // done-1, processed by the original platform long ago, went with the retention cleanup.
    expect(poller.stats().cleanedUp).toBe(1);
    expect(queue.stats()).toMatchObject({ pending: 0, inFlight: 0, processed: pending + 1, dead: 0 });
    queue.close();

    expect(snapshotOtherTables()).toEqual(before);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(4096); // an existing file keeps its page size
    const migrations = db.prepare('SELECT version FROM ipc_queue_migrations ORDER BY version').all();
    expect(migrations).toHaveLength(LATEST_SCHEMA_VERSION);
    // The original indexes are reused, not duplicated.
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message_queue' AND sql IS NOT NULL",
      )
      .all();
    expect(indexes).toEqual([{ name: 'idx_queue_processed' }, { name: 'idx_queue_processed_at' }]);
    // Processed rows keep the original conventions: processed = 1, processed_at in seconds.
    const row = db
      .prepare("SELECT processed, processed_at FROM message_queue WHERE message_id = 'legacy-0'")
      .get() as {
      processed: number;
      processed_at: number;
    };
    expect(row.processed).toBe(1);
    expect(Math.abs(row.processed_at - Date.now() / 1000)).toBeLessThan(120);
    db.close();
  });

  it('reopening an already migrated file applies nothing twice', () => {
    writeLegacyFile(3);
    new SQLiteQueue({ dbPath }).close();
    const again = new SQLiteQueue({ dbPath });
    expect(again.stats().pending).toBe(3);
    again.close();
    const db = new BetterSqlite3(dbPath, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM ipc_queue_migrations').get()).toEqual({
      n: LATEST_SCHEMA_VERSION,
    });
    db.close();
  });

  it('dead-letters a row whose payload is not JSON instead of failing the whole batch', () => {
    writeLegacyFile(2);
    const raw = new BetterSqlite3(dbPath);
    raw
      .prepare(
        "INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES ('broken', 't', '{oops', 5)",
      )
      .run();
    raw.close();
    const queue = new SQLiteQueue({ dbPath });
    expect(queue.dequeue(10).map((m) => m.id)).toEqual(['legacy-0', 'legacy-1']);
    expect(queue.listDeadLetters().map((d) => [d.id, d.payload])).toEqual([['broken', '{oops']]);
    queue.close();
  });
});
