import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { SQLITE_DATABASE_FILE } from '../../src/shared/storage/sqlite/sqliteSchema';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function storeWith(count: number): Promise<string> {
  const baseDir = mkdtempSync(join(tmpdir(), 'flowtrace-summaries-'));
  dirs.push(baseDir);
  const store = await SQLiteFlatBufferStorage.open({ baseDir });
  await store.saveMany(generateFootprintCandles({ seed: 4, count, bins: 3, symbol: 'LTCUSDT' }));
  await store.saveMany(generateFootprintCandles({ seed: 5, count: 2, bins: 3, symbol: 'XRPUSDT' }));
  await store.close();
  return baseDir;
}

describe('SQLiteFlatBufferStorage.seriesSummaryProblems (what verify checks)', () => {
  it('none in a database the store wrote, overwrites included', async () => {
    const baseDir = await storeWith(20);
    const store = await SQLiteFlatBufferStorage.open({ baseDir });
    await store.saveMany(generateFootprintCandles({ seed: 6, count: 25, bins: 2, symbol: 'LTCUSDT' }));
    expect(store.seriesSummaryProblems()).toEqual([]);
    await store.close();
  });

  it('names a summary that claims lost candles, and candles without a summary', async () => {
    const baseDir = await storeWith(10);
    const path = join(baseDir, SQLITE_DATABASE_FILE);
    const db = new Database(path);
    db.prepare(
      "DELETE FROM fb_candles WHERE symbol = 'LTCUSDT' AND open_time > (SELECT min(open_time) FROM fb_candles WHERE symbol = 'LTCUSDT')",
    ).run();
    db.prepare("DELETE FROM fb_series WHERE symbol = 'XRPUSDT'").run();
    db.close();
    const store = await SQLiteFlatBufferStorage.open({ baseDir, readOnly: true });
    const problems = store.seriesSummaryProblems();
    await store.close();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      new RegExp(
        `^${path}: series binance/LTCUSDT/1m: its summary \\(fb_series\\) says 10 candle\\(s\\) from .+, the database holds 1 candle\\(s\\) from (.+) to \\1$`,
      ),
    );
    expect(problems[1]).toMatch(
      new RegExp(
        `^${path}: series binance/XRPUSDT/1m: 2 candle\\(s\\) from .+ stored without a summary row \\(fb_series\\)$`,
      ),
    );
  });
});
