import { readdirSync, readlinkSync } from 'node:fs';
import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import {
  defaultMaxOpenFiles,
  MAX_DEFAULT_OPEN_FILES,
  MIN_DEFAULT_OPEN_FILES,
  openFileLimit,
} from '../../src/shared/storage/file/openFileLimit';
import { resolveBinaryStorageConfig } from '../../src/shared/storage/ftcd/BinaryStorageConfig';
import { useTempDirs } from './helpers';

/** /proc/self/limits as Linux prints it (columns padded with spaces). */
const limits = (soft: string, hard: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     `,
    'Max locked memory         8388608              8388608              bytes     ',
  ].join('\n');

const onLinux = process.platform === 'linux';

describe('maxOpenFiles default (open-file limit)', () => {
  it('reads the soft limit of open files', () => {
    expect(openFileLimit(() => limits('65536', '524288'))).toBe(65_536);
    expect(openFileLimit(() => limits('unlimited', 'unlimited'))).toBe(Number.POSITIVE_INFINITY);
  });

  it('is undefined when the limits cannot be read or parsed', () => {
    expect(
      openFileLimit(() => {
        throw Object.assign(new Error('no /proc'), { code: 'ENOENT' });
      }),
    ).toBeUndefined();
    expect(openFileLimit(() => 'Max cpu time unlimited unlimited seconds')).toBeUndefined();
    expect(openFileLimit(() => limits('lots', '10'))).toBeUndefined();
    expect(openFileLimit(() => limits('0', '0'))).toBeUndefined();
  });

  it('keeps a quarter of the limit, between 128 and 8192', () => {
    expect(defaultMaxOpenFiles(undefined)).toBe(MIN_DEFAULT_OPEN_FILES);
    expect(defaultMaxOpenFiles(256)).toBe(128);
    expect(defaultMaxOpenFiles(1024)).toBe(256);
    expect(defaultMaxOpenFiles(20_000)).toBe(5_000);
    expect(defaultMaxOpenFiles(65_536)).toBe(MAX_DEFAULT_OPEN_FILES);
    expect(defaultMaxOpenFiles(Number.POSITIVE_INFINITY)).toBe(MAX_DEFAULT_OPEN_FILES);
  });

  it('is what a store gets when maxOpenFiles is not given; a given value wins', () => {
    expect(resolveBinaryStorageConfig({ baseDir: '/x' }).maxOpenFiles).toBe(
      defaultMaxOpenFiles(openFileLimit()),
    );
    expect(resolveBinaryStorageConfig({ baseDir: '/x', maxOpenFiles: 3 }).maxOpenFiles).toBe(3);
  });

  it.runIf(onLinux)("reads this process's real limit on Linux", () => {
    const limit = openFileLimit();
    expect(limit).toBeGreaterThan(0);
  });
});

const SERIES = 300;

/** Descriptors of this process open on partition files below `dir` (not the writer's lock database). */
function openFilesBelow(dir: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`) && target.endsWith('.ftcd')) count += 1;
    } catch {
      // Closed between the listing and the readlink (e.g. readdir's own descriptor).
    }
  }
  return count;
}

describe('partition file handles with the default pool', () => {
  const tempDir = useTempDirs();
  const defaultPool = defaultMaxOpenFiles(openFileLimit());
  const why =
    defaultPool < SERIES
      ? `skipped: the open-file limit here (${openFileLimit()}) gives a default pool of ${defaultPool} < ${SERIES} series`
      : `${SERIES} series`;

  it.runIf(onLinux && defaultPool >= SERIES)(
    `keeps every live series' file open across commit cycles (${why})`,
    async () => {
      const baseDir = await tempDir();
      // The next partition is created ahead with its own descriptor, closed at once: off here so
      // that every descriptor below baseDir is a pooled handle.
      const store = await BinaryStorageAdapter.open({ baseDir, createPartitionsAhead: false });
      try {
        const series = Array.from({ length: SERIES }, (_, k) =>
          generateFootprintCandles({ seed: k + 1, count: 2, bins: 4, symbol: `S${k}USDT`, emptyRatio: 0 }),
        );
        // Two "minute boundaries": every series gets a candle at once.
        for (const minute of [0, 1]) await Promise.all(series.map((candles) => store.save(candles[minute]!)));
        // With the old fixed pool of 128, only the last 128 files of a cycle stayed open and the
        // next cycle reopened the others.
        expect(openFilesBelow(baseDir)).toBe(SERIES);
        expect((await store.listSeries()).length).toBe(SERIES);
      } finally {
        await store.close();
      }
      expect(openFilesBelow(baseDir)).toBe(0);
    },
  );
});
