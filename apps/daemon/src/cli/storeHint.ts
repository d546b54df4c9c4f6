import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SQLITE_DATABASE_FILE } from '@flowtrace/persistence/shared/storage';
import { CliError } from './CliError';

/** Subdirectories looked at per level: a hint must stay instant on any directory given by mistake. */
const MAX_ENTRIES_PER_LEVEL = 64;
/** How far below the given directory a store is looked for (`data` → `data/candles`). */
const NESTED_DEPTH = 2;

function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .slice(0, MAX_ENTRIES_PER_LEVEL)
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

function hasFtcdFile(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => name.endsWith('.ftcd'));
  } catch {
    return false;
  }
}

/**
 * Whether `dir` holds candles the way a store lays them out: a SQLite
 * database in it or in an exchange folder, or `.ftcd` files at
 * `{exchange}/{symbol}/{timeframe}/` (docs/storage.md).
 */
export function holdsStore(dir: string): boolean {
  if (existsSync(join(dir, SQLITE_DATABASE_FILE))) return true;
  for (const exchange of subdirectories(dir)) {
    if (existsSync(join(exchange, SQLITE_DATABASE_FILE))) return true;
    for (const symbol of subdirectories(exchange))
      for (const timeframe of subdirectories(symbol)) if (hasFtcdFile(timeframe)) return true;
  }
  return false;
}

/**
 * When `baseDir` holds no store but a directory below it does (the daemon's
 * `--data-dir`, whose store is `{dataDir}/candles`, given instead of the
 * store): the warning that says which. Undefined otherwise, including for a
 * store that is simply empty.
 */
export function nestedStoreWarning(baseDir: string): string | undefined {
  if (holdsStore(baseDir)) return undefined;
  const found: string[] = [];
  let level = [baseDir];
  for (let depth = 1; depth <= NESTED_DEPTH && found.length === 0; depth += 1) {
    level = level.flatMap(subdirectories);
    for (const dir of level) if (holdsStore(dir)) found.push(dir);
  }
  if (found.length === 0) return undefined;
  const named = found.sort();
  return `no candle store in ${baseDir}, but ${named.join(' and ')} ${named.length === 1 ? 'holds one' : 'hold one each'}: did you mean ${named.length === 1 ? 'it' : 'one of them'}?`;
}

/**
 * Refuses (exit 1, see nestedStoreWarning) a directory given to read as a
 * store that holds none while a directory below it does. Reading it could
 * only list or export nothing: `0 series` beside a warning contradicts
 * itself, and an empty export with exit 0 passes for a good one in a script.
 * A store that is simply empty is read as empty.
 */
export function refuseStoreBelow(baseDir: string): void {
  const warning = nestedStoreWarning(baseDir);
  if (warning !== undefined) throw new CliError(warning, 1);
}
