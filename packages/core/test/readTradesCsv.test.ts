import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTradesCsv, type Trade, TradeCsvError } from '@flowtrace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CSV = [
  'timestamp,price,quantity,side,tradeId',
  '1750507467356,83.29,0.107,buy,293517768',
  '1750507476168,83.28,0.229,sell,293517771',
  '',
].join('\n');

const EXPECTED: Trade[] = [
  { time: 1750507467356, price: 83.29, quantity: 0.107, isBuyerMaker: false, tradeId: 293517768 },
  { time: 1750507476168, price: 83.28, quantity: 0.229, isBuyerMaker: true, tradeId: 293517771 },
];

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flowtrace-core-csv-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, content);
  return path;
}

async function readAll(path: string): Promise<Trade[]> {
  const trades: Trade[] = [];
  for await (const trade of readTradesCsv(path)) trades.push(trade);
  return trades;
}

async function failureOf(path: string): Promise<TradeCsvError> {
  try {
    await readAll(path);
  } catch (error) {
    if (error instanceof TradeCsvError) return error;
    throw error;
  }
  throw new Error('expected a TradeCsvError');
}

describe('readTradesCsv', () => {
  it('reads plain CSV', async () => {
    expect(await readAll(await file('plain.csv', CSV))).toEqual(EXPECTED);
  });

  it('reads gzip by extension and by magic bytes, CRLF and BOM included', async () => {
    expect(await readAll(await file('trades.csv.gz', gzipSync(CSV)))).toEqual(EXPECTED);
    expect(
      await readAll(await file('trades.dat', gzipSync(`\uFEFF${CSV.replaceAll('\n', '\r\n')}`))),
    ).toEqual(EXPECTED);
  });

  it('maps columns by header name, in any order', async () => {
    const reordered = 'side,tradeId,price,timestamp,quantity,extra\nbuy,1,80.5,1000,2.5,x\n';
    expect(await readAll(await file('reordered.csv', reordered))).toEqual([
      { time: 1000, price: 80.5, quantity: 2.5, isBuyerMaker: false, tradeId: 1 },
    ]);
  });

  it.each([
    ['1750507467356,83.29,0.107,BUY,1', 'side'],
    ['1750507467356,83.29,-0.1,buy,1', 'quantity'],
    ['1750507467356,abc,0.1,buy,1', 'price'],
    ['1750507467356,0,0.1,buy,1', 'price'],
    ['1750507467356.5,83.29,0.1,buy,1', 'timestamp'],
    ['1750507467356,83.29,0.1,buy,x', 'tradeId'],
    ['1750507467356,83.29,0.1,buy', 'expected 5 fields'],
    ['1750507467356,83.29,0.12345678901234567891,buy,1', 'read as 0.12345678901234568'],
    ['1750507467356,83.290000000000000001,0.1,buy,1', 'price'],
    // Binance spot dumps since 2025 give microseconds: read as ms they date the trade in the year 57,000.
    ['1750507467356123,83.29,0.1,buy,1', 'looks like microseconds'],
  ])('names the line of a bad row: %s', async (row, mentioned) => {
    const path = await file('bad.csv', `${CSV}1750507480000,83.3,1,buy,293517772\n${row}\n`);
    const trades: Trade[] = [];
    let caught: unknown;
    try {
      for await (const trade of readTradesCsv(path)) trades.push(trade);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TradeCsvError);
    const error = caught as TradeCsvError;
    expect(error.code).toBe('FLOWTRACE_INVALID_TRADE_CSV');
    expect(error.line).toBe(5);
    expect(error.message).toContain(`bad.csv:5: `);
    expect(error.message).toContain(mentioned);
    expect(trades).toHaveLength(3);
  });

  it('names the line of a number too large for a double instead of yielding Infinity', async () => {
    const huge = '9'.repeat(400);
    for (const row of [`1750507467356,83.29,${huge},buy,1`, `1750507467356,${huge},0.1,buy,1`]) {
      const path = await file('huge.csv', `${CSV}${row}\n`);
      const error = await failureOf(path);
      expect(error.line).toBe(4);
      expect(error.message).toContain('too large for a double');
    }
  });

  it('accepts long decimals that a double holds exactly (trailing zeros, large integers)', async () => {
    const rows = '1000,80.50000000000000000000,100000000000000000000,buy,1\n';
    expect(await readAll(await file('long-digits.csv', `${CSV.split('\n')[0]}\n${rows}`))).toEqual([
      { time: 1000, price: 80.5, quantity: 1e20, isBuyerMaker: false, tradeId: 1 },
    ]);
  });

  it('rejects a missing header column, an empty file, a missing file and corrupt gzip', async () => {
    expect(
      (await failureOf(await file('header.csv', 'timestamp,price,qty,side,tradeId\n'))).message,
    ).toContain('"quantity"');
    expect((await failureOf(await file('empty.csv', ''))).message).toContain('empty');
    expect((await failureOf(join(directory, 'missing.csv'))).message).toContain('cannot open');
    expect((await failureOf(join(directory, 'missing.csv.gz'))).message).toContain('ENOENT');
    const corrupt = gzipSync(CSV).subarray(0, 30);
    expect((await failureOf(await file('corrupt.csv.gz', corrupt))).message).toContain('cannot read');
  });

  it.skipIf(process.platform !== 'linux')('closes the file when the consumer stops early', async () => {
    const rows = Array.from(
      { length: 200_000 },
      (_, index) => `${1000 + index},${80 + (index % 97) / 100},1,buy,${index}`,
    );
    const path = await file('long.csv.gz', gzipSync(`${CSV.split('\n')[0]}\n${rows.join('\n')}\n`));
    const descriptorsOnFile = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false;
        }
      }).length;
    let seen = 0;
    let openWhileReading = 0;
    for await (const _ of readTradesCsv(path)) {
      seen += 1;
      if (seen === 3) {
        openWhileReading = descriptorsOnFile();
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toBe(3);
    expect(openWhileReading).toBe(1);
    expect(descriptorsOnFile()).toBe(0);
  });
});
