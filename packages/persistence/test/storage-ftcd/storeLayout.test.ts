import { existsSync, readdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/index';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { expectSameCandles } from '../contract/candleAssertions';
import { silentLogger } from '../service/helpers';
import { useTempDirs } from './helpers';

const candles = generateFootprintCandles({ seed: 5, count: 3, bins: 2, emptyRatio: 0 });
const mismatch = { code: 'FLOWTRACE_STORE_KIND_MISMATCH', retryable: false };

/** Everything in a directory, recursively, as relative paths. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe('openCandleStore refuses a directory holding a store of another layout', () => {
  const tempDir = useTempDirs();

  async function storeOf(options: { useDatabase?: boolean; organizeByExchange?: boolean }): Promise<string> {
    const baseDir = await tempDir();
    const store = await openCandleStore({ baseDir, ...options });
    await store.saveMany(candles);
    await store.close();
    return baseDir;
  }

  it('a .ftcd store opened as SQLite (either layout, to write or to read): refused, nothing created beside it', async () => {
    const baseDir = await storeOf({});
    const before = listing(baseDir);
    for (const options of [
      { useDatabase: true },
      { useDatabase: true, organizeByExchange: true },
      { useDatabase: true, readOnly: true },
    ]) {
      const opening = openCandleStore({ baseDir, ...options });
      await expect(opening).rejects.toMatchObject(mismatch);
      await expect(opening).rejects.toThrow(/holds \.ftcd block files .*Open it with useDatabase: false/);
    }
    expect(listing(baseDir)).toEqual(before);
  });

  it('a SQLite store opened as .ftcd, and one layout of SQLite as the other: refused, nothing created', async () => {
    const single = await storeOf({ useDatabase: true });
    const byExchange = await storeOf({ useDatabase: true, organizeByExchange: true });
    const cases = [
      [single, {}, /holds a SQLite store \(candles-flatbuffers\.db\).*useDatabase: true/],
      [single, { readOnly: true }, /reading it so would find nothing/],
      [single, { useDatabase: true, organizeByExchange: true }, /holds a SQLite store/],
      [byExchange, {}, /one database per exchange.*organizeByExchange: true/],
      [byExchange, { useDatabase: true }, /one database per exchange/],
    ] as const;
    for (const [baseDir, options, message] of cases) {
      const before = listing(baseDir);
      const opening = openCandleStore({ baseDir, ...options });
      await expect(opening).rejects.toMatchObject(mismatch);
      await expect(opening).rejects.toThrow(message);
      expect(listing(baseDir)).toEqual(before);
    }
  });

  it('the hint names exactly the settings that open what the directory holds, for every mismatch, and they do open it', async () => {
    const layouts = {
      '.ftcd': {
        options: { useDatabase: false },
        name: '.ftcd block files ({exchange}/{symbol}/{timeframe}/*.ftcd)',
        hint: 'useDatabase: false',
      },
      single: {
        options: { useDatabase: true, organizeByExchange: false },
        name: 'a SQLite store (candles-flatbuffers.db)',
        hint: 'useDatabase: true and organizeByExchange: false',
      },
      perExchange: {
        options: { useDatabase: true, organizeByExchange: true },
        name: 'a SQLite store with one database per exchange ({exchange}/candles-flatbuffers.db)',
        hint: 'useDatabase: true and organizeByExchange: true',
      },
    } as const;
    // organizeByExchange is ignored for .ftcd: an opener with it is still a .ftcd one.
    const openers = [
      ['.ftcd', {}],
      ['.ftcd', { organizeByExchange: true }],
      ['single', { useDatabase: true }],
      ['single', { useDatabase: true, organizeByExchange: false }],
      ['perExchange', { useDatabase: true, organizeByExchange: true }],
    ] as const;
    let mismatches = 0;
    for (const [held, layout] of Object.entries(layouts)) {
      const baseDir = await storeOf(layout.options);
      for (const [wanted, options] of openers) {
        if (wanted === held) continue;
        for (const readOnly of [false, true]) {
          const before = listing(baseDir);
          const opening = openCandleStore({ baseDir, ...options, readOnly });
          await expect(opening).rejects.toMatchObject(mismatch);
          const consequence = readOnly
            ? 'reading it so would find nothing'
            : 'writing would start a second store beside it';
          await expect(opening).rejects.toThrow(
            `${baseDir} holds ${layout.name}, not ${layouts[wanted].name}: ${consequence}. ` +
              `Open it with ${layout.hint}, or choose another directory`,
          );
          expect(listing(baseDir)).toEqual(before);
          // What the hint names opens it (with the same readOnly).
          const store = await openCandleStore({ baseDir, ...layout.options, readOnly });
          expectSameCandles(await store.findBySymbol(candles[0]!.s, candles[0]!.ex, '1m'), candles);
          await store.close();
          mismatches += 1;
        }
      }
    }
    expect(mismatches).toBe(2 * (3 + 3 + 4));
  });

  it('a directory holding both: a reader of either layout opens it, a writer is refused', async () => {
    const baseDir = await storeOf({});
    const sqlite = await openCandleStore({
      baseDir: join(baseDir),
      useDatabase: true,
      readOnly: false,
    }).catch((error: unknown) => error);
    expect(sqlite).toMatchObject(mismatch);
    // Made by hand (as the CLI's import --database once could): a SQLite store beside the .ftcd one.
    const other = await storeOf({ useDatabase: true });
    await copyFile(join(other, 'candles-flatbuffers.db'), join(baseDir, 'candles-flatbuffers.db'));
    for (const useDatabase of [false, true]) {
      const reader = await openCandleStore({ baseDir, useDatabase, readOnly: true });
      expectSameCandles(await reader.findBySymbol(candles[0]!.s, candles[0]!.ex, '1m'), candles);
      await reader.close();
      const writing = openCandleStore({ baseDir, useDatabase });
      await expect(writing).rejects.toMatchObject(mismatch);
      // No writer setting opens it: the hint names the readers' settings, not a writer's.
      await expect(writing).rejects.toThrow(
        `${baseDir} holds a SQLite store (candles-flatbuffers.db) and .ftcd block files ({exchange}/{symbol}/{timeframe}/*.ftcd): ` +
          'no writer opens it, since each reader would see only one of these stores. ' +
          'Read it with readOnly: true and useDatabase: true and organizeByExchange: false, or readOnly: true and useDatabase: false; ' +
          'to write, first move all but one of the stores to another directory',
      );
    }
  });

  it("the service with the wrong storage.useDatabase does not start: start() rejects with the store's error", async () => {
    const baseDir = await storeOf({});
    const dir = await tempDir();
    const { app } = await bootstrap(
      {
        socketPath: join(dir, 's.sock'),
        queuePath: join(dir, 'queue.db'),
        storage: { baseDir, useDatabase: true },
      },
      { logger: silentLogger },
    );
    await expect(app.start()).rejects.toMatchObject(mismatch);
    await expect(app.storage.listSeries()).rejects.toMatchObject({ code: 'FLOWTRACE_STORAGE_NOT_OPEN' });
    expect(existsSync(join(dir, 's.sock'))).toBe(false);
    expect(existsSync(join(baseDir, 'candles-flatbuffers.db'))).toBe(false);
  });

  it('an option neither store has is refused before anything is opened or created, naming the option meant', async () => {
    const baseDir = await tempDir();
    const elsewhere = join(baseDir, 'typo-target');
    for (const [options, message] of [
      [{ baseDir, basedir: elsewhere }, 'unknown option "basedir" (did you mean baseDir?)'],
      [
        { baseDir, maxCandlePerBlock: 3 },
        'unknown option "maxCandlePerBlock" (did you mean maxCandlesPerBlock?)',
      ],
      [
        { baseDir, readonly: true, useDatabse: true },
        'unknown options "readonly" (did you mean readOnly?), "useDatabse" (did you mean useDatabase?)',
      ],
    ] as const) {
      await expect(openCandleStore(options as never)).rejects.toMatchObject({
        code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
        message: expect.stringContaining(message),
      });
    }
    expect(readdirSync(baseDir)).toEqual([]);
    // An option of the other backend is still ignored (one options object opens either store).
    const store = await openCandleStore({ baseDir, walMode: false, compression: false });
    await store.close();
  });

  it('an empty or new directory opens as any layout', async () => {
    for (const options of [{}, { useDatabase: true }, { useDatabase: true, organizeByExchange: true }]) {
      const store = await openCandleStore({ baseDir: join(await tempDir(), 'new'), ...options });
      await store.close();
      const empty = await openCandleStore({ baseDir: await tempDir(), ...options });
      await empty.close();
    }
  });
});
