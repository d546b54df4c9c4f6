/**
 * Tables of a FlowTrace FlatBuffer candle database (format version 1),
 * documented in docs/formats/sqlite-flatbuffers.md.
 */
export const SQLITE_FORMAT_NAME = 'flowtrace-sqlite-flatbuffers';
export const SQLITE_FORMAT_VERSION = 1;
/** File name of a database, in baseDir or in baseDir/{exchange}. */
export const SQLITE_DATABASE_FILE = 'candles-flatbuffers.db';
/** Page size of new databases, bytes. */
export const SQLITE_PAGE_SIZE = 16_384;

export const SQLITE_SCHEMA_DDL = `
CREATE TABLE IF NOT EXISTS flowtrace_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS fb_candles (
  exchange   TEXT    NOT NULL,
  symbol     TEXT    NOT NULL,
  timeframe  TEXT    NOT NULL,
  open_time  INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe, open_time)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS fb_series (
  exchange        TEXT    NOT NULL,
  symbol          TEXT    NOT NULL,
  timeframe       TEXT    NOT NULL,
  first_open_time INTEGER NOT NULL,
  last_open_time  INTEGER NOT NULL,
  candle_count    INTEGER NOT NULL,
  PRIMARY KEY (exchange, symbol, timeframe)
) WITHOUT ROWID;
`;
