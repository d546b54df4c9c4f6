import type { Database } from 'better-sqlite3';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../domain/schema';

/**
 * Brings the file to the latest schema in place. Runs under BEGIN IMMEDIATE so
 * a producer and a consumer opening a fresh file at once migrate it once.
 */
export function migrate(db: Database): number[] {
  const applied: number[] = [];
  const run = db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, description TEXT NOT NULL)`,
    );
    const done = new Set(
      (db.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    );
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const sql of migration.statements(columnsOf(db), indexedColumnLists(db))) db.exec(sql);
      db.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, applied_at, description) VALUES (?, ?, ?)`).run(
        migration.version,
        Date.now(),
        migration.description,
      );
      applied.push(migration.version);
    }
  });
  run.immediate();
  return applied;
}

function columnsOf(db: Database): Set<string> {
  const rows = db.prepare(`SELECT name FROM pragma_table_info('message_queue')`).all() as Array<{
    name: string;
  }>;
  return new Set(rows.map((r) => r.name));
}

/** Column lists ("a,b") of every index on message_queue, to avoid duplicating the original's. */
function indexedColumnLists(db: Database): Set<string> {
  const indexes = db.prepare(`SELECT name FROM pragma_index_list('message_queue')`).all() as Array<{
    name: string;
  }>;
  const lists = new Set<string>();
  for (const { name } of indexes) {
    const cols = db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(name) as Array<{
      name: string;
    }>;
    lists.add(cols.map((c) => c.name).join(','));
  }
  return lists;
}
