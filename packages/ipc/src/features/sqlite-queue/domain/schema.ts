/**
 * The queue's on-disk schema (documented in docs/ipc-protocol.md).
 *
 * `message_queue` is the original FlowTrace platform's table, created exactly as
 * it did so existing producers keep writing to files we create. FlowTrace's own
 * columns are added by later migrations with defaults, so rows written by old
 * producers (which do not know them) are valid as they are.
 *
 * Migrations are recorded in our own table `ipc_queue_migrations`; the file's
 * `schema_version` table and any other tables (candle_state, gap_records...)
 * belong to the original platform and are never touched.
 */
export const MIGRATIONS_TABLE = 'ipc_queue_migrations';

export interface Migration {
  version: number;
  description: string;
  /** Statements to run; each must be idempotent (old files may have parts of it). */
  statements: (
    existingColumns: ReadonlySet<string>,
    existingIndexedColumnLists: ReadonlySet<string>,
  ) => string[];
}

const ORIGINAL_TABLE = `CREATE TABLE IF NOT EXISTS message_queue (
  message_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  processed INTEGER DEFAULT 0,
  processed_at INTEGER,
  created_at INTEGER DEFAULT (strftime('%s','now'))
)`;

const ADDED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['attempts', 'INTEGER NOT NULL DEFAULT 0'],
  ['deliveries', 'INTEGER NOT NULL DEFAULT 0'],
  ['available_at', 'INTEGER NOT NULL DEFAULT 0'],
  ['leased_until', 'INTEGER NOT NULL DEFAULT 0'],
  ['last_error', 'TEXT'],
  ['dead_at', 'INTEGER'],
];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'original message_queue table and its indexes',
    statements: (_columns, indexed) => [
      ORIGINAL_TABLE,
      ...(indexed.has('processed,timestamp')
        ? []
        : [
            'CREATE INDEX IF NOT EXISTS idx_message_queue_processed_timestamp ON message_queue(processed, timestamp)',
          ]),
      ...(indexed.has('processed,processed_at')
        ? []
        : [
            'CREATE INDEX IF NOT EXISTS idx_message_queue_processed_processed_at ON message_queue(processed, processed_at)',
          ]),
    ],
  },
  {
    version: 2,
    description: 'failure handling: attempts, deliveries, retry delay, lease, last error, dead letters',
    statements: (columns) =>
      ADDED_COLUMNS.filter(([name]) => !columns.has(name)).map(
        ([name, type]) => `ALTER TABLE message_queue ADD COLUMN ${name} ${type}`,
      ),
  },
  {
    version: 3,
    description: 'lease owner: which consumer process holds a lease, so a dead one is released at once',
    statements: (columns) =>
      columns.has('leased_by') ? [] : ['ALTER TABLE message_queue ADD COLUMN leased_by TEXT'],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;
