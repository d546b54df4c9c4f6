import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSafeName } from '@flowtrace/core';
import { SqliteCandleDatabase } from './SqliteCandleDatabase';
import type { ResolvedSqliteStorageConfig } from './SqliteStorageConfig';
import { SQLITE_DATABASE_FILE } from './sqliteSchema';

const SINGLE = '';

/**
 * Which database holds an exchange: one file for everything, or
 * `{baseDir}/{exchange}/candles-flatbuffers.db` per exchange. Opens lazily,
 * never creates anything when read-only.
 */
export class SqliteDatabaseSet {
  private readonly open = new Map<string, SqliteCandleDatabase>();

  constructor(private readonly config: ResolvedSqliteStorageConfig) {}

  pathFor(exchange: string): string {
    return this.config.organizeByExchange
      ? join(this.config.baseDir, exchange, SQLITE_DATABASE_FILE)
      : join(this.config.baseDir, SQLITE_DATABASE_FILE);
  }

  /** The database of an exchange for writing (created when missing). */
  forWrite(exchange: string): SqliteCandleDatabase {
    const database = this.get(exchange, true);
    if (!database) throw new Error(`No writable database for exchange "${exchange}"`);
    return database;
  }

  /** The database of an exchange for reading, or undefined when it does not exist yet. */
  forRead(exchange: string): SqliteCandleDatabase | undefined {
    return this.get(exchange, false);
  }

  /** Every existing database (discovers exchange folders written by other processes too). */
  all(): SqliteCandleDatabase[] {
    if (!this.config.organizeByExchange) {
      const single = this.forRead(SINGLE);
      return single ? [single] : [];
    }
    const exchanges = existsSync(this.config.baseDir)
      ? readdirSync(this.config.baseDir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory() && isSafeName(entry.name))
          .map((entry) => entry.name)
          .sort()
      : [];
    return exchanges.flatMap((exchange) => {
      const database = this.forRead(exchange);
      return database ? [database] : [];
    });
  }

  closeAll(): void {
    for (const database of this.open.values()) database.close();
    this.open.clear();
  }

  private get(exchange: string, create: boolean): SqliteCandleDatabase | undefined {
    // A name that is not a safe name can never have been written (keys are checked),
    // and must never become a path segment: no such database.
    if (this.config.organizeByExchange && !isSafeName(exchange)) return undefined;
    const id = this.config.organizeByExchange ? exchange : SINGLE;
    const existing = this.open.get(id);
    if (existing) return existing;
    const path = this.pathFor(exchange);
    if ((!create || this.config.readOnly) && !existsSync(path)) return undefined;
    const database = SqliteCandleDatabase.open(path, this.config);
    this.open.set(id, database);
    return database;
  }
}
