import { existsSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, InvalidPersistenceConfigError, type PersistenceApplication } from '../../src/index';
import { inspectFtcdFile } from '../../src/shared/storage/index';
import { configIn, makeTempDir, silentLogger, smallCandles, startService, type TempDir } from './helpers';

/** Every `.ftcd` file under `dir`, relative, with '/' separators. */
async function ftcdFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ftcd'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** Descriptors this process holds open on `.ftcd` files under `dir` (Linux /proc). */
async function openFtcdDescriptors(dir: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir) && target.endsWith('.ftcd')) count += 1;
  }
  return count;
}

describe('.ftcd tuning in the bootstrap config (storage.*)', () => {
  let dir: TempDir;
  let app: PersistenceApplication | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await dir.remove();
  });

  it('rejects bad values at bootstrap(), each by its path', async () => {
    const config = configIn(dir.path, {
      storage: {
        baseDir: join(dir.path, 'candles'),
        partitioning: { '1m': 'week', '7m': 'day' },
        maxOpenFiles: 0,
        blockCacheBytes: -1,
        indexMemoryBytes: 1.5,
        compression: 'yes',
        createPartitionsAhead: 1,
        verifyInBackground: null,
      },
    } as never);
    const error = await bootstrap(config, { logger: silentLogger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPersistenceConfigError);
    const paths = (error as InvalidPersistenceConfigError).problems.map((p) => p.path);
    for (const path of [
      'storage.partitioning.1m',
      'storage.maxOpenFiles',
      'storage.blockCacheBytes',
      'storage.indexMemoryBytes',
      'storage.compression',
      'storage.createPartitionsAhead',
      'storage.verifyInBackground',
    ])
      expect(paths).toContain(path);
    // '7m' is no timeframe: reported under the record.
    expect(
      paths.some((path) => path.startsWith('storage.partitioning') && path !== 'storage.partitioning.1m'),
    ).toBe(true);
  });

  it('hands partitioning, compression and maxOpenFiles to the store it opens', async () => {
    const baseDir = join(dir.path, 'candles');
    ({ app } = await startService(dir.path, {
      storage: { baseDir, partitioning: { '1m': 'month' }, compression: false, maxOpenFiles: 1 },
    }));
    const symbols = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'];
    // 40 one-minute candles per series from 2025-06-01T00:00Z (smallCandles), in two saves: the
    // first creates each file whole, the second appends through the pool of open handles.
    for (const half of [0, 1])
      for (const [k, symbol] of symbols.entries())
        await app.storage.saveMany(smallCandles(40, 10 + k, symbol).slice(half * 20, half * 20 + 20));
    // Month files (the default for 1m is one per day), whatever was created ahead of time.
    const files = await ftcdFiles(baseDir);
    for (const symbol of symbols) expect(files).toContain(`binance/${symbol}/1m/2025-06.ftcd`);
    expect(files.every((file) => /\/\d{4}-\d{2}\.ftcd$/.test(file))).toBe(true);
    // maxOpenFiles 1: at most one idle handle kept, although three files were appended to.
    // (Counted through /proc, so on Linux only; the daemon's platform.)
    if (existsSync('/proc/self/fd')) expect(await openFtcdDescriptors(baseDir)).toBeLessThanOrEqual(1);
    // compression false: every block stored as raw columns (codec 1).
    for (const symbol of symbols) {
      const report = await inspectFtcdFile(join(baseDir, 'binance', symbol, '1m', '2025-06.ftcd'));
      expect(report.healthy).toBe(true);
      expect(report.candles).toBe(40);
      expect(report.blocks.every((block) => block.codec === 1)).toBe(true);
    }
  });
});
