import type { FootprintCandleDTO } from '@flowtrace/core';
import Database from 'better-sqlite3';

/**
 * The SQLite baseline of the storage suites: better-sqlite3, WAL,
 * synchronous=FULL, one row of JSON per candle keyed by series and open time,
 * one transaction per batch.
 */
export function openSqliteJsonBaseline(path: string): {
  db: Database.Database;
  insertBatch: (batch: readonly FootprintCandleDTO[]) => void;
} {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE candles (exchange TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
    open_time INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (exchange, symbol, timeframe, open_time)) WITHOUT ROWID`);
  const insert = db.prepare('INSERT OR REPLACE INTO candles VALUES (?, ?, ?, ?, ?)');
  const insertBatch = db.transaction((batch: readonly FootprintCandleDTO[]) => {
    for (const c of batch) insert.run(c.ex, c.s, c.i, c.t, JSON.stringify(c));
  });
  return { db, insertBatch };
}
