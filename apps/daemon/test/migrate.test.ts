import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryCommand, runCli } from './daemonProcess';

let dir: string;
const candles = [
  ...generateFootprintCandles({ seed: 31, count: 1200, bins: { min: 1, max: 40 }, symbol: 'LTCUSDT' }),
  ...generateFootprintCandles({
    seed: 32,
    count: 300,
    bins: 10,
    exchange: 'bybit',
    symbol: 'BTCUSDT',
    timeframe: '5m',
  }),
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-cli-migrate-'));
  const store = await openCandleStore({ baseDir: join(dir, 'source') });
  await store.saveMany(candles);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`flowtrace migrate (${entryCommand('cli').label})`, () => {
  it('.ftcd → SQLite → .ftcd round trip, validated candle by candle, with reports', async () => {
    const there = await runCli(
      [
        'migrate',
        '--from',
        `ftcd:${join(dir, 'source')}`,
        '--to',
        `sqlite:${join(dir, 'sqlite')}`,
        '--checkpoint',
        join(dir, 'there.checkpoint'),
        '--batch-size',
        '250',
        '--report',
        join(dir, 'there.md'),
      ],
      dir,
    );
    expect(there.code, there.stdout + there.stderr).toBe(0);
    expect(there.stdout).toContain('migration completed: 1500 of 1500 candles in 2 series');
    expect(there.stdout).toContain(
      'validation (full): 1500 compared, 1500 identical, 0 missing, 0 extra, 0 mismatched',
    );
    expect(readFileSync(join(dir, 'there.md'), 'utf8')).toContain('1500');

    const back = await runCli(
      [
        'migrate',
        '--from',
        `sqlite:${join(dir, 'sqlite')}`,
        '--to',
        `ftcd:${join(dir, 'back')}`,
        '--report',
        join(dir, 'back.html'),
        '--report-format',
        'html',
      ],
      dir,
    );
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(readFileSync(join(dir, 'back.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/i);
    const verify = await runCli(['verify', join(dir, 'back')], dir);
    expect(verify.code).toBe(0);
    const reopened = await openCandleStore({ baseDir: join(dir, 'back'), readOnly: true });
    try {
      expect(await reopened.findBySymbol('BTCUSDT', 'bybit', '5m')).toEqual(candles.slice(1200));
    } finally {
      await reopened.close();
    }
  });

  it('a dry run writes nothing; a finished migration run again resumes from its checkpoint', async () => {
    const dry = await runCli(
      ['migrate', '--from', `ftcd:${join(dir, 'source')}`, '--to', `sqlite:${join(dir, 'dry')}`, '--dry-run'],
      dir,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('[dry run]');
    expect(existsSync(join(dir, 'dry', 'candles-flatbuffers.db'))).toBe(false);

    const again = await runCli(
      [
        'migrate',
        '--from',
        `ftcd:${join(dir, 'source')}`,
        '--to',
        `sqlite:${join(dir, 'sqlite')}`,
        '--checkpoint',
        join(dir, 'there.checkpoint'),
      ],
      dir,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/resumed, run 2/);
    expect(again.stdout).toContain('0 read in this run');
  });

  it('refuses a legacy format as a target and an unknown kind, with exit code 2', async () => {
    const legacy = await runCli(['migrate', '--from', `ftcd:${dir}`, '--to', `legacy-ftcd:${dir}`], dir);
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toContain('legacy formats can be read, not written');
    const unknown = await runCli(['migrate', '--from', `parquet:${dir}`, '--to', `ftcd:${dir}`], dir);
    expect(unknown.code).toBe(2);
  });

  it('refuses a kind that does not match the data (exit 2) instead of migrating nothing or mixing two stores', async () => {
    const source = join(dir, 'source');
    // The source is a .ftcd store: read as per-exchange SQLite it would list no series and "complete" with 0 candles.
    const wrongSource = await runCli(
      ['migrate', '--from', `sqlite-by-exchange:${source}`, '--to', `sqlite:${join(dir, 'wrong-source')}`],
      dir,
    );
    expect(wrongSource.code, wrongSource.stdout + wrongSource.stderr).toBe(2);
    expect(wrongSource.stderr).toContain(`did you mean --from ftcd:${source}?`);
    expect(existsSync(join(dir, 'wrong-source'))).toBe(false);
    // A SQLite store written into the .ftcd store's directory would shadow it (detection prefers SQLite).
    const mixed = await runCli(['migrate', '--from', `ftcd:${source}`, '--to', `sqlite:${source}`], dir);
    expect(mixed.code, mixed.stdout + mixed.stderr).toBe(2);
    expect(mixed.stderr).toContain('already holds ftcd data');
    expect(readdirSync(source).some((name) => name.startsWith('candles-flatbuffers.db'))).toBe(false);
  });

  it('repartitions a store: --partitioning sets the target granularity, every candle identical', async () => {
    const target = join(dir, 'monthly');
    const moved = await runCli(
      [
        'migrate',
        '--from',
        `ftcd:${join(dir, 'source')}`,
        '--to',
        `ftcd:${target}`,
        '--partitioning',
        '1m=month,5m=year',
      ],
      dir,
    );
    expect(moved.code, moved.stdout + moved.stderr).toBe(0);
    expect(moved.stdout).toContain('validation (full): 1500 compared, 1500 identical');
    // Day files in the source (1200 1m candles span a day boundary), month files in the target.
    const names = (path: string) => readdirSync(path).filter((name) => name.endsWith('.ftcd'));
    expect(
      names(join(dir, 'source', 'binance', 'LTCUSDT', '1m')).every((name) =>
        /^\d{4}-\d{2}-\d{2}\.ftcd$/.test(name),
      ),
    ).toBe(true);
    expect(
      names(join(target, 'binance', 'LTCUSDT', '1m')).every((name) => /^\d{4}-\d{2}\.ftcd$/.test(name)),
    ).toBe(true);
    expect(names(join(target, 'bybit', 'BTCUSDT', '5m')).every((name) => /^\d{4}\.ftcd$/.test(name))).toBe(
      true,
    );
    // Read back with the defaults: each series in the granularity of its files.
    const store = await openCandleStore({ baseDir: target, readOnly: true });
    try {
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles.slice(0, 1200));
      expect(await store.findBySymbol('BTCUSDT', 'bybit', '5m')).toEqual(candles.slice(1200));
    } finally {
      await store.close();
    }

    for (const [value, message] of [
      ['1m=week', 'granularity must be one of day, month, year'],
      ['2m=day', 'must be <timeframe>=<granularity>'],
      ['1m', 'granularity must be one of day, month, year'],
    ] as const) {
      const bad = await runCli(
        [
          'migrate',
          '--from',
          `ftcd:${join(dir, 'source')}`,
          '--to',
          `ftcd:${join(dir, 'never')}`,
          '--partitioning',
          value,
        ],
        dir,
      );
      expect(bad.code, value).toBe(2);
      expect(bad.stderr).toContain(message);
    }
    const toSqlite = await runCli(
      [
        'migrate',
        '--from',
        `ftcd:${join(dir, 'source')}`,
        '--to',
        `sqlite:${join(dir, 'never')}`,
        '--partitioning',
        '1m=month',
      ],
      dir,
    );
    expect(toSqlite.code).toBe(2);
    expect(toSqlite.stderr).toContain('--partitioning applies to an ftcd: target only');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('a migration that fails before anything is migrated removes what it created, so a retry as another kind is not refused', async () => {
    const source = `ftcd:${join(dir, 'source')}`;
    // The checkpoint's directory does not exist: the run fails before the first candle.
    const unwritable = ['--checkpoint', join(dir, 'no-such-dir', 'migration.checkpoint')];
    const created = join(dir, 'failed-new', 'sqlite');
    const fresh = await runCli(
      ['migrate', '--from', source, '--to', `sqlite:${created}`, ...unwritable],
      dir,
    );
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(1);
    expect(fresh.stderr).toContain('[FLOWTRACE_MIGRATION_CHECKPOINT] Cannot write checkpoint');
    expect(fresh.stderr).toContain(
      `warning: nothing was migrated: removed ${join(dir, 'failed-new')}, which this run created`,
    );
    expect(existsSync(join(dir, 'failed-new'))).toBe(false);

    // A directory that was there keeps itself and what it held; only the new (empty) database goes.
    const existing = join(dir, 'failed-existing');
    mkdirSync(existing);
    writeFileSync(join(existing, 'notes.txt'), 'the operator wrote this\n');
    const inExisting = await runCli(
      ['migrate', '--from', source, '--to', `sqlite:${existing}`, ...unwritable],
      dir,
    );
    expect(inExisting.code, inExisting.stdout + inExisting.stderr).toBe(1);
    expect(readdirSync(existing)).toEqual(['notes.txt']);
    // The retry into the same directory as another kind is not refused for an empty database.
    const retry = await runCli(['migrate', '--from', source, '--to', `ftcd:${existing}`], dir);
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    expect(retry.stdout).toContain('migration completed: 1500 of 1500 candles');
    expect(readFileSync(join(existing, 'notes.txt'), 'utf8')).toBe('the operator wrote this\n');
  });

  it('a failed run with nothing migrated keeps the report and checkpoint written into the target directory', async () => {
    // A legacy database whose only row does not decode: the run completes with a source problem (exit 1).
    const legacy = join(dir, 'legacy-undecodable');
    mkdirSync(legacy);
    const db = new Database(join(legacy, 'flowtrace-candles.db'));
    db.exec(`CREATE TABLE candles (
      id TEXT PRIMARY KEY, symbol TEXT NOT NULL, exchange TEXT NOT NULL, timeframe TEXT NOT NULL,
      open_time INTEGER NOT NULL, close_time INTEGER NOT NULL, data BLOB NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    db.prepare('INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      'binance:LTCUSDT:1m:0',
      'LTCUSDT',
      'binance',
      '1m',
      0,
      59_999,
      Buffer.from('not a flatbuffer'),
      0,
      0,
    );
    db.close();
    const target = join(dir, 'legacy-target');
    const { code, stdout, stderr } = await runCli(
      [
        'migrate',
        '--from',
        `legacy-sqlite:${legacy}`,
        '--to',
        `sqlite:${target}`,
        '--checkpoint',
        join(target, 'migration.checkpoint'),
        '--report',
        join(target, 'report.md'),
      ],
      dir,
    );
    expect(code, stdout + stderr).toBe(1);
    expect(stdout).toContain('1 problem(s) in the source');
    expect(stderr).toContain(`warning: nothing was migrated: removed what this run created in ${target}`);
    expect(readdirSync(target).sort()).toEqual(['migration.checkpoint', 'report.md']);
  });

  it('a migration that fails after writing candles keeps them, says so, and a retry with the checkpoint resumes', async () => {
    // A file where the second series' exchange directory would go: binance migrates, bybit fails.
    const target = join(dir, 'failed-midway');
    mkdirSync(target);
    writeFileSync(join(target, 'bybit'), 'in the way\n');
    const args = [
      'migrate',
      '--from',
      `ftcd:${join(dir, 'source')}`,
      '--to',
      `ftcd:${target}`,
      '--batch-size',
      '250',
      '--checkpoint',
      join(dir, 'failed-midway.checkpoint'),
    ];
    const failed = await runCli(args, dir);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stderr).toContain(
      `flowtrace migrate: warning: ${target} keeps what was migrated before the error (it holds 1200 candle(s)); run the migration again to continue`,
    );
    expect(failed.stderr).toMatch(/^flowtrace migrate: \[FLOWTRACE_STORAGE_WRITE_FAILED\]/m);
    const kept = await openCandleStore({ baseDir: target, readOnly: true });
    try {
      expect(await kept.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles.slice(0, 1200));
    } finally {
      await kept.close();
    }
    rmSync(join(target, 'bybit'));
    const resumed = await runCli(args, dir);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(
      'migration completed (resumed, run 2): 1500 of 1500 candles in 2 series, 300 read',
    );
  });
});
