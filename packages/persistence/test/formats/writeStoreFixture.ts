/**
 * Writes a store fixture for storeFixtures.test.ts: a `.ftcd` store, a SQLite
 * FlatBuffer store and the candles they hold (expected.jsonl).
 *
 *   cd packages/persistence && node --conditions=flowtrace-source --import tsx \
 *     test/formats/writeStoreFixture.ts test/formats/written-<yyyy-mm>
 *
 * Run it once per on-disk format version and commit the result: a fixture is
 * what that version wrote, and every later reader must read it. Never rewrite
 * an existing fixture to make its test pass.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { LOCK_DATABASE_FILE_NAME } from '../../src/shared/storage/file/StoreLock';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { encodeCandleLine, expectedCandles, type FixtureSaves, fixtureSaves } from './storeFixtureCandles';

const target = process.argv[2];
if (!target) throw new Error('usage: writeStoreFixture.ts <new fixture directory>');
if (existsSync(target)) throw new Error(`${target} exists: a fixture is written once, never rewritten`);
mkdirSync(target, { recursive: true });

const saves = fixtureSaves();
async function replay(store: {
  saveMany(c: FixtureSaves['singles']): Promise<unknown>;
  save(c: FixtureSaves['singles'][number]): Promise<unknown>;
  close(): Promise<void>;
}): Promise<void> {
  for (const batch of saves.batches) await store.saveMany(batch);
  for (const candle of saves.singles) await store.save(candle);
  await store.close();
}

const ftcdDir = join(target, 'ftcd');
await replay(await BinaryStorageAdapter.open({ baseDir: ftcdDir, compactSealedPartitions: false }));
// The writer's lock database is the running writer's, not the store's data.
rmSync(join(ftcdDir, LOCK_DATABASE_FILE_NAME), { force: true });

const sqliteDir = join(target, 'sqlite');
await replay(await SQLiteFlatBufferStorage.open({ baseDir: sqliteDir, maxCandlesPerBlock: 8 }));
for (const name of readdirSync(sqliteDir)) {
  if (!name.endsWith('.db')) continue;
  // One self-contained file, no free pages: the smallest thing to commit.
  const db = new Database(join(sqliteDir, name));
  db.pragma('journal_mode = DELETE');
  db.exec('VACUUM');
  db.close();
}

writeFileSync(join(target, 'expected.jsonl'), `${expectedCandles(saves).map(encodeCandleLine).join('\n')}\n`);
console.log(`wrote ${target}`);
