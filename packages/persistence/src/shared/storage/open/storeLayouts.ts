import { type Dirent, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FTCD_EXTENSION } from '../file/StorageOrganizer';
import { SQLITE_DATABASE_FILE } from '../sqlite/sqliteSchema';

/** The ways a store directory can be laid out: `.ftcd` files, one SQLite database, or one per exchange. */
export type StoreLayout = 'ftcd' | 'sqlite' | 'sqlite-by-exchange';

export const STORE_LAYOUT_NAMES: Readonly<Record<StoreLayout, string>> = {
  ftcd: '.ftcd block files ({exchange}/{symbol}/{timeframe}/*.ftcd)',
  sqlite: `a SQLite store (${SQLITE_DATABASE_FILE})`,
  'sqlite-by-exchange': `a SQLite store with one database per exchange ({exchange}/${SQLITE_DATABASE_FILE})`,
};

/**
 * The `openCandleStore` options that open each layout, every one that decides
 * it: a hint naming only `useDatabase: true` sent a caller who had given it
 * (with the other `organizeByExchange`) back to the same refusal.
 * `organizeByExchange` is ignored for `.ftcd`, so it is not named there.
 */
export const STORE_LAYOUT_SETTINGS: Readonly<Record<StoreLayout, string>> = {
  ftcd: 'useDatabase: false',
  sqlite: 'useDatabase: true and organizeByExchange: false',
  'sqlite-by-exchange': 'useDatabase: true and organizeByExchange: true',
};

/**
 * The layouts whose data `baseDir` holds (none for a missing or empty
 * directory). Cheap on a store of any size: it stops looking for `.ftcd`
 * files at the first one, and reads one directory entry list per exchange.
 */
export function storeLayoutsIn(baseDir: string): StoreLayout[] {
  const top = entriesOf(baseDir);
  const found = new Set<StoreLayout>();
  if (top.some((entry) => entry.isFile() && entry.name === SQLITE_DATABASE_FILE)) found.add('sqlite');
  for (const exchange of top) {
    if (!exchange.isDirectory()) continue;
    const exchangeDir = join(baseDir, exchange.name);
    if (existsSync(join(exchangeDir, SQLITE_DATABASE_FILE))) found.add('sqlite-by-exchange');
    if (!found.has('ftcd') && holdsFtcdFile(exchangeDir)) found.add('ftcd');
  }
  return LAYOUT_ORDER.filter((layout) => found.has(layout));
}

const LAYOUT_ORDER: readonly StoreLayout[] = ['sqlite', 'sqlite-by-exchange', 'ftcd'];

/** Whether `{exchangeDir}/{symbol}/{timeframe}/` holds a `.ftcd` file anywhere. */
function holdsFtcdFile(exchangeDir: string): boolean {
  for (const symbol of entriesOf(exchangeDir)) {
    if (!symbol.isDirectory()) continue;
    for (const timeframe of entriesOf(join(exchangeDir, symbol.name))) {
      if (!timeframe.isDirectory()) continue;
      const files = entriesOf(join(exchangeDir, symbol.name, timeframe.name));
      if (files.some((file) => file.isFile() && file.name.endsWith(FTCD_EXTENSION))) return true;
    }
  }
  return false;
}

function entriesOf(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
