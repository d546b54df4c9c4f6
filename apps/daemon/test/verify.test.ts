import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import {
  inspectFtcdFile,
  openCandleStore,
  SQLITE_DATABASE_FILE,
} from '@flowtrace/persistence/shared/storage';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryCommand, runCli } from './daemonProcess';

let dir: string;
const candles = generateFootprintCandles({ seed: 21, count: 500, bins: 20, symbol: 'LTCUSDT' });

function ftcdFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ftcd'))
    .map((f) => join(root, f));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-verify-'));
  for (const [name, useDatabase] of [
    ['ftcd', false],
    ['sqlite', true],
  ] as const) {
    const store = await openCandleStore({ baseDir: join(dir, name), useDatabase, maxCandlesPerBlock: 50 });
    for (let i = 0; i < candles.length; i += 100) await store.saveMany(candles.slice(i, i + 100));
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`flowtrace inspect and verify (${entryCommand('cli').label})`, () => {
  it('inspect shows the header and every block with its CRC status', async () => {
    const [file] = ftcdFiles(join(dir, 'ftcd'));
    const { code, stdout } = await runCli(['inspect', file!, '--format', 'table'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/format v\d+, binance\/LTCUSDT\/1m, partition /);
    expect(stdout).toMatch(/^sequence\s+offset\s+bytes\s+candles\s+first\s+last\s+codec\s+crc\s+decode/m);
    expect(stdout).toMatch(/\d+ valid blocks, \d+ candles: healthy/);
    // Piped without --format: JSON, as series and query choose machine-readable output when piped.
    const piped = await runCli(['inspect', file!], dir);
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ healthy: true, header: { symbol: 'LTCUSDT' } });
    expect((await runCli(['inspect', file!, '--format', 'yaml'], dir)).code).toBe(2);
  });

  it.each(['ftcd', 'sqlite'])('verify passes a clean %s store with exit code 0', async (kind) => {
    const { code, stdout } = await runCli(['verify', join(dir, kind)], dir);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(kind === 'ftcd' ? /500 candle versions: clean/ : /500 candles: clean/);
  });

  it('verify detects a single flipped bit in a block and exits 1, naming the file; inspect agrees', async () => {
    const copy = join(dir, 'ftcd-flipped');
    cpSync(join(dir, 'ftcd'), copy, { recursive: true });
    const [file] = ftcdFiles(copy);
    const report = await inspectFtcdFile(file!);
    const block = report.blocks[Math.floor(report.blocks.length / 2)]!;
    const bytes = readFileSync(file!);
    const target = block.offset + Math.floor(block.totalLength / 2);
    bytes[target] = bytes[target]! ^ 0x10;
    writeFileSync(file!, bytes);
    expect(statSync(file!).size).toBe(bytes.length);

    const verify = await runCli(['verify', copy], dir);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`CORRUPT ${file}`);
    expect(verify.stdout).toMatch(/1 file\(s\) CORRUPT/);
    const inspect = await runCli(['inspect', file!, '--format', 'table'], dir);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toMatch(/CORRUPT at offset \d+/);
  });

  it('verify detects an undecodable candle in a SQLite store and exits 1', async () => {
    const copy = join(dir, 'sqlite-garbled');
    cpSync(join(dir, 'sqlite'), copy, { recursive: true });
    const db = new Database(join(copy, SQLITE_DATABASE_FILE));
    db.prepare('UPDATE fb_candles SET data = ? WHERE open_time = ?').run(
      Buffer.from([1, 2, 3, 4, 5]),
      candles[42]!.t,
    );
    db.close();
    const { code, stdout } = await runCli(['verify', copy], dir);
    expect(code).toBe(1);
    expect(stdout).toContain('CORRUPT');
  });

  it('verify finds a SQLite store whose series summaries disagree with its candles (as a database salvaged row by row can), and exits 1 naming the series', async () => {
    const copy = join(dir, 'sqlite-salvaged');
    cpSync(join(dir, 'sqlite'), copy, { recursive: true });
    const db = new Database(join(copy, SQLITE_DATABASE_FILE));
    // Candles lost with their pages, their summary row kept.
    const lost = db.prepare('DELETE FROM fb_candles WHERE open_time >= ?').run(candles[200]!.t).changes;
    db.close();
    expect(lost).toBe(candles.length - 200);
    const { code, stdout } = await runCli(['verify', copy], dir);
    expect(code, stdout).toBe(1);
    const series = `${candles[0]!.ex}/${candles[0]!.s}/${candles[0]!.i}`;
    expect(stdout).toContain(
      `series ${series}: its summary (fb_series) says ${candles.length} candle(s) from ${new Date(candles[0]!.t).toISOString()} to ${new Date(candles.at(-1)!.t).toISOString()}, the database holds 200 candle(s) from ${new Date(candles[0]!.t).toISOString()} to ${new Date(candles[199]!.t).toISOString()}`,
    );
    expect(stdout).toContain(`verified 1 database(s), 200 candles: CORRUPT`);
  });
});
