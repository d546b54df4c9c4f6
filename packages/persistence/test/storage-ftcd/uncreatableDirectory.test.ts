import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDirectories, createDirectoriesSync } from '../../src/shared/storage/file/createDirectories';
import { openCandleStore } from '../../src/shared/storage/open/openCandleStore';
import { runTs } from '../service/childProcess';
import { useTempDirs } from './helpers';

const CREATE_UNDER = join(import.meta.dirname, 'fixtures', 'createUnder.ts');

interface Outcome {
  refused: boolean;
  code?: string;
  message?: string;
}

async function createUnder(what: string, path: string, source?: string): Promise<Outcome> {
  // Well under vitest's timeout: a spin is killed and reported, not left running.
  const run = await runTs(CREATE_UNDER, [what, path, ...(source ? [source] : [])], 20_000);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Outcome;
}

/**
 * procfs answers ENOENT to mkdir of a new entry in a directory that exists:
 * Node's recursive mkdir took that for a missing parent and spun forever.
 */
describe.skipIf(!existsSync('/proc/self'))('a directory under /proc is refused at once', () => {
  const tempDir = useTempDirs();

  it.each(['ftcd', 'sqlite', 'sqlite-by-exchange', 'probe'])(
    '%s: the store directory',
    async (what) => {
      const outcome = await createUnder(what, '/proc/flowtrace-test/store');
      expect(outcome).toMatchObject({ refused: true, code: 'ENOENT' });
      expect(outcome.message).toContain('Cannot create the store directory /proc/flowtrace-test/store');
      expect(outcome.message).toContain('the file system of /proc does not let a directory be created there');
    },
    30_000,
  );

  it('backupStore: the destination', async () => {
    const source = await tempDir();
    const outcome = await createUnder('backup', '/proc/flowtrace-test/backup', source);
    expect(outcome).toMatchObject({ refused: true, code: 'ENOENT' });
    expect(outcome.message).toContain('Cannot create the backup destination /proc/flowtrace-test/backup');
  }, 30_000);
});

describe('createDirectories', () => {
  const tempDir = useTempDirs();

  it('creates the missing levels one by one and returns them outermost first', async () => {
    const base = await tempDir();
    const path = join(base, 'a', 'b', 'c');
    expect(await createDirectories(path, 'the test directory', { durable: true })).toEqual([
      join(base, 'a'),
      join(base, 'a', 'b'),
      path,
    ]);
    expect(existsSync(path)).toBe(true);
    expect(await createDirectories(path, 'the test directory')).toEqual([]);
    expect(createDirectoriesSync(join(path, 'd'), 'the test directory', { durable: true })).toEqual([
      join(path, 'd'),
    ]);
  });

  it('refuses a file in the place or on the path with its errno code, as the recursive mkdir did', async () => {
    const base = await tempDir();
    const file = join(base, 'file');
    await writeFile(file, 'x');
    for (const create of [createDirectories, createDirectoriesSync]) {
      await expect(async () => create(file, 'the test directory')).rejects.toMatchObject({
        code: 'EEXIST',
        message: expect.stringContaining(`Cannot create the test directory ${file}: EEXIST`),
      });
      await expect(async () => create(join(file, 'x', 'y'), 'the test directory')).rejects.toMatchObject({
        code: 'ENOTDIR',
      });
    }
  });

  it('leaves the store errors as they were: a file as the .ftcd store directory is a config error', async () => {
    const base = await tempDir();
    const file = join(base, 'file');
    await writeFile(file, 'x');
    await expect(openCandleStore({ baseDir: file })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
    });
    await expect(openCandleStore({ baseDir: join(file, 'store') })).rejects.toMatchObject({
      code: 'FLOWTRACE_INVALID_STORAGE_CONFIG',
    });
    await mkdir(join(base, 'dir'));
    await using store = await openCandleStore({
      baseDir: join(base, 'dir', 'new', 'store'),
      useDatabase: true,
    });
    expect(await store.listSeries()).toEqual([]);
  });
});
