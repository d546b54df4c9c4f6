import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANDLE_CSV_COLUMNS, candleToCsvRow } from '../src/cli/candleCsv';
import { runCli } from './daemonProcess';

/** CSV input of `import` (and `publish`, which reads files with the same reader). */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-csv-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const candles = generateFootprintCandles({ seed: 41, count: 5, bins: 4, symbol: 'LTCUSDT', tickValue: 0.01 });
const header = CANDLE_CSV_COLUMNS.join(',');

describe('CSV input', () => {
  it('a CSV without its header row is refused whole (exit 1, nothing stored), naming the columns expected', async () => {
    // Before: its first candle was taken as the header (neither stored nor reported), and every
    // other row was reported as missing every field.
    const file = join(dir, 'headerless.csv');
    writeFileSync(file, `${candles.map(candleToCsvRow).join('\n')}\n`);
    const target = join(dir, 'store');
    const { code, stdout, stderr } = await runCli(['import', target, file], dir);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `flowtrace import: warning: nothing was imported: removed ${target}, which this run created\n` +
        'flowtrace import: line 1 is not a CSV header of candle fields: no ex, s, i, t, aggs column(s) ' +
        `(is the header row missing? "flowtrace export" writes ${header}); nothing read\n`,
    );
    expect(existsSync(target)).toBe(false);
  });

  it('a header naming a column twice is refused', async () => {
    const file = join(dir, 'twice.csv');
    writeFileSync(file, `${header},s\n${candles.map((c) => `${candleToCsvRow(c)},X`).join('\n')}\n`);
    const { code, stderr } = await runCli(['import', join(dir, 'store'), file], dir);
    expect(code).toBe(1);
    expect(stderr).toContain('line 1 is not a CSV header of candle fields: column(s) named twice: s;');
  });

  it('export --out <name>.csv writes CSV without --format, and import reads it back', async () => {
    const source = join(dir, 'source');
    const store = await openCandleStore({ baseDir: source });
    await store.saveMany(candles);
    await store.close();
    const file = join(dir, 'export.Csv');
    const exported = await runCli(['export', source, '--out', file], dir);
    expect(exported.code, exported.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(header);
    const jsonl = join(dir, 'export.jsonl');
    expect((await runCli(['export', source, '--out', jsonl], dir)).code).toBe(0);
    expect(JSON.parse(readFileSync(jsonl, 'utf8').split('\n')[0] ?? '')).toEqual(candles[0]);
    const target = join(dir, 'target');
    const imported = await runCli(['import', target, file], dir);
    expect(imported.stdout).toBe(`imported 5 candles (5 written, 0 already stored) from ${file}\n`);
  });

  it('reads a .CSV file (any letter case) as CSV', async () => {
    const file = join(dir, 'CANDLES.CSV');
    writeFileSync(file, `${header}\r\n${candles.map(candleToCsvRow).join('\r\n')}\r\n`);
    const target = join(dir, 'store');
    const { code, stdout } = await runCli(['import', target, file], dir);
    expect(code, stdout).toBe(0);
    expect(stdout).toBe(`imported 5 candles (5 written, 0 already stored) from ${file}\n`);
    const store = await openCandleStore({ baseDir: target, readOnly: true });
    try {
      expect(await store.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await store.close();
    }
  });
});
