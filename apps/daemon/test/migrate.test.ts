import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
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
});
