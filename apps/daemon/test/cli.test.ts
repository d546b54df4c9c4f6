import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { inspectFtcdFile, openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANDLE_CSV_COLUMNS, candleToCsvRow, csvRowToObject, splitCsvRecord } from '../src/cli/candleCsv';
import { asidePath } from '../src/cli/fileOutput';
import { runCli as runCliInProcess } from '../src/cli/runCli';
import { parseTime } from '../src/cli/time';
import { entryCommand, runCli, runCliIntoHead, waitFor } from './daemonProcess';

let dir: string;
const candles1m = generateFootprintCandles({
  seed: 11,
  count: 300,
  bins: { min: 1, max: 30 },
  symbol: 'LTCUSDT',
  tickValue: 0.01,
  startPrice: 80,
});
const candles5m = generateFootprintCandles({
  seed: 12,
  count: 40,
  bins: 10,
  symbol: 'LTCUSDT',
  timeframe: '5m',
  tickValue: 0.01,
  startPrice: 80,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-cli-'));
  for (const [name, useDatabase] of [
    ['ftcd', false],
    ['sqlite', true],
  ] as const) {
    const store = await openCandleStore({ baseDir: join(dir, name), useDatabase });
    await store.saveMany([...candles1m, ...candles5m]);
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('time and CSV helpers', () => {
  it('accepts epoch ms and ISO-8601, UTC when no zone is given', () => {
    expect(parseTime('1750507467356', '--from')).toBe(1750507467356);
    expect(parseTime('2025-06-21', '--from')).toBe(Date.UTC(2025, 5, 21));
    expect(parseTime('2025-06-21T12:04', '--from')).toBe(Date.UTC(2025, 5, 21, 12, 4));
    expect(parseTime('2025-06-21T14:04:00+02:00', '--from')).toBe(Date.UTC(2025, 5, 21, 12, 4));
    expect(() => parseTime('yesterday', '--from')).toThrow(/--from: "yesterday" is neither/);
  });

  it('CSV rows round-trip candles exactly, -0 and bins included', () => {
    const [candle] = generateFootprintCandles({ seed: 1, count: 1, bins: 3 });
    const tricky = { ...candle!, d: -0, a: 'spot, "quoted"' };
    expect(csvRowToObject(CANDLE_CSV_COLUMNS, candleToCsvRow(tricky))).toEqual(tricky);
    expect(Object.is(csvRowToObject(CANDLE_CSV_COLUMNS, candleToCsvRow(tricky)).d, -0)).toBe(true);
  });
});

describe.each(['ftcd', 'sqlite'])(`flowtrace CLI on a %s store (${entryCommand('cli').label})`, (kind) => {
  const store = () => join(dir, kind);

  it('series lists every series with range and count', async () => {
    const { code, stdout } = await runCli(['series', store(), '--format', 'json'], dir);
    expect(code).toBe(0);
    const series = JSON.parse(stdout) as Array<{ timeframe: string; count: number; firstOpenTime: number }>;
    expect(series.map((s) => [s.timeframe, s.count, s.firstOpenTime])).toEqual([
      ['1m', 300, candles1m[0]!.t],
      ['5m', 40, candles5m[0]!.t],
    ]);
  });

  it('query prints a time range in jsonl, csv and table formats', async () => {
    const from = new Date(candles1m[10]!.t).toISOString();
    const args = [
      'query',
      store(),
      '--exchange',
      'binance',
      '--symbol',
      'LTCUSDT',
      '--timeframe',
      '1m',
      '--from',
      from,
      '--to',
      String(candles1m[19]!.t),
    ];
    const jsonl = await runCli([...args, '--format', 'jsonl'], dir);
    expect(jsonl.code).toBe(0);
    expect(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(candles1m.slice(10, 20));
    const csv = await runCli([...args, '--format', 'csv', '--limit', '3', '--order', 'desc'], dir);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe(CANDLE_CSV_COLUMNS.join(','));
    expect(lines.slice(1).map((l) => csvRowToObject(CANDLE_CSV_COLUMNS, l))).toEqual(
      candles1m.slice(17, 20).reverse(),
    );
    const table = await runCli([...args, '--format', 'table'], dir);
    expect(table.stdout.split('\n')[0]).toMatch(/^open\s+o\s+h\s+l\s+c\s+volume/);
    expect(table.stdout.trim().split('\n')).toHaveLength(12);
  });

  it('export then import into a new store gives back exactly the source (jsonl and csv)', async () => {
    for (const format of ['jsonl', 'csv']) {
      const file = join(dir, `${kind}-export.${format}`);
      const exported = await runCli(['export', store(), '--format', format, '--out', file], dir);
      expect(exported.code, exported.stderr).toBe(0);
      const target = join(dir, `${kind}-reimported-${format}`);
      const imported = await runCli(['import', target, file], dir);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain('imported 340 candles (340 written');
      const reopened = await openCandleStore({ baseDir: target, readOnly: true });
      try {
        expect(await reopened.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles1m);
        expect(await reopened.findBySymbol('LTCUSDT', 'binance', '5m')).toEqual(candles5m);
      } finally {
        await reopened.close();
      }
    }
  });

  it('export and query end quietly, exit 0, when the reader closes stdout after one line (| head -1)', async () => {
    const series = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];
    for (const args of [
      ['export', store()],
      ['export', store(), '--format', 'csv'],
      ['query', store(), ...series, '--format', 'jsonl'],
      ['query', store(), ...series, '--format', 'csv'],
    ]) {
      // Far more than a pipe holds (340 candles of up to 30 bins): later writes fail with EPIPE.
      const { code, signal, firstLine, stderr } = await runCliIntoHead(args, dir, 30_000);
      expect({ code, signal, stderr }, args.join(' ')).toEqual({ code: 0, signal: null, stderr: '' });
      if (args.includes('csv')) expect(firstLine).toBe(CANDLE_CSV_COLUMNS.join(','));
      else expect(JSON.parse(firstLine)).toEqual(candles1m[0]);
    }
  });

  it('import reports invalid lines by number, stores the valid ones, and exits 1', async () => {
    const file = join(dir, `${kind}-mixed.jsonl`);
    const bad = { ...candles1m[1]!, h: candles1m[1]!.l - 1 };
    writeFileSync(
      file,
      [candles1m[0], bad, candles1m[2]]
        .map((c) => JSON.stringify(c))
        .join('\n')
        .concat('\n{not json\n'),
    );
    const target = join(dir, `${kind}-mixed-store`);
    const result = await runCli(['import', target, file], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('imported 2 candles');
    expect(result.stdout).toMatch(/line 2: .*h/);
    expect(result.stdout).toMatch(/line 4: unreadable/);
    expect(readFileSync(file, 'utf8')).toContain('{not json');
  });
});

describe('flowtrace compact', () => {
  it('rewrites a live-written sealed day into full blocks; the store reads the same; refused while locked', async () => {
    const baseDir = join(dir, 'compact-ftcd');
    // 1m candles from 22:00: 120 in a day the last 30 seal, saved one at a time (a block each).
    const live = generateFootprintCandles({
      seed: 13,
      count: 150,
      bins: 8,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startPrice: 80,
      startTime: Date.UTC(2025, 5, 1, 22),
    });
    const writer = await openCandleStore({ baseDir, compactSealedPartitions: false });
    for (const candle of live) await writer.save(candle);
    // While a writer holds the store, compact refuses (exit 1) and changes nothing.
    const locked = await runCli(['compact', baseDir], dir);
    expect(locked.code).toBe(1);
    // The same line as every command refused by the lock (import, repair): with its code, once.
    expect(locked.stderr).toMatch(/^flowtrace compact: \[FLOWTRACE_STORAGE_LOCKED\] Store .* is locked/);
    await writer.close();

    const sealed = join(baseDir, 'binance', 'LTCUSDT', '1m', '2025-06-01.ftcd');
    const before = readFileSync(sealed).length;
    const result = await runCli(['compact', baseDir, '--format', 'json'], dir);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      partitions: number;
      candles: number;
      bytesBefore: number;
      bytesAfter: number;
    };
    expect(report).toMatchObject({ partitions: 1, candles: 120, bytesBefore: before });
    expect(readFileSync(sealed).length).toBe(report.bytesAfter);
    expect(report.bytesAfter).toBeLessThan(before);
    expect((await runCli(['verify', baseDir], dir)).code).toBe(0);
    const reader = await openCandleStore({ baseDir, readOnly: true });
    try {
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(live);
    } finally {
      await reader.close();
    }
    // Nothing left to do.
    expect((await runCli(['compact', baseDir], dir)).stdout).toContain('compacted 0 partition file(s)');
  });
});

describe('flowtrace repair', () => {
  it('rewrites a file with a damaged block from its whole blocks; verify is clean after; refused while locked', async () => {
    const baseDir = join(dir, 'repair-ftcd');
    const day = generateFootprintCandles({
      seed: 14,
      count: 9,
      bins: 5,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startPrice: 80,
      startTime: Date.UTC(2025, 5, 1),
    });
    const writer = await openCandleStore({ baseDir, maxCandlesPerBlock: 3 });
    for (let first = 0; first < 9; first += 3) await writer.saveMany(day.slice(first, first + 3));
    await writer.close();
    const file = join(baseDir, 'binance', 'LTCUSDT', '1m', '2025-06-01.ftcd');
    const middle = (await inspectFtcdFile(file)).blocks[1]!;
    const damaged = readFileSync(file);
    damaged[middle.offset + middle.totalLength - 3]! ^= 0x01;
    writeFileSync(file, damaged);

    const verify = await runCli(['verify', baseDir], dir);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`flowtrace repair ${baseDir}`);
    const locker = await openCandleStore({ baseDir });
    const locked = await runCli(['repair', baseDir], dir);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/^flowtrace repair: \[FLOWTRACE_STORAGE_LOCKED\] Store .* is locked/);
    await locker.close();

    const dryRun = await runCli(['repair', baseDir, '--dry-run'], dir);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(dryRun.stdout).toContain(
      'binance/LTCUSDT/1m/2025-06-01.ftcd: would be rewritten with 2 block(s), 6 candle(s)',
    );
    expect(dryRun.stdout).toContain(
      `dropped offset ${middle.offset}, ${middle.totalLength} bytes, corrupt: 3 candle(s), open times ${new Date(day[3]!.t).toISOString()} .. ${new Date(day[5]!.t).toISOString()}`,
    );
    expect(readFileSync(file).equals(damaged)).toBe(true);

    const result = await runCli(['repair', baseDir], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('repaired 1 file(s); 3 candle(s) in dropped blocks');
    const copies = readdirSync(join(baseDir, 'binance', 'LTCUSDT', '1m')).filter((name) =>
      name.startsWith('2025-06-01.ftcd.damaged-'),
    );
    expect(copies).toHaveLength(1);
    expect(result.stdout).toContain(`original kept as binance/LTCUSDT/1m/${copies[0]}`);
    expect(readFileSync(join(baseDir, 'binance', 'LTCUSDT', '1m', copies[0]!)).equals(damaged)).toBe(true);
    expect((await runCli(['verify', baseDir], dir)).code).toBe(0);
    const reader = await openCandleStore({ baseDir, readOnly: true });
    try {
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([
        ...day.slice(0, 3),
        ...day.slice(6),
      ]);
    } finally {
      await reader.close();
    }
    const again = await runCli(['repair', baseDir, '--format', 'json'], dir);
    expect(JSON.parse(again.stdout)).toEqual({ dryRun: false, files: [] });
  });
});

describe('flowtrace backup', () => {
  it('copies a store while a writer holds it; a second run appends only what is new; the copy reads the same', async () => {
    const baseDir = join(dir, 'backup-source');
    const target = join(dir, 'backup-target');
    const writer = await openCandleStore({ baseDir, createPartitionsAhead: false });
    try {
      await writer.saveMany(candles1m.slice(0, 200));
      const first = await runCli(['backup', baseDir, target], dir);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /^backed up 1 file\(s\) to .*backup-target: 1 copied, 0 appended, 0 unchanged; \d+ bytes written$/m,
      );
      await writer.saveMany(candles1m.slice(200));
      const second = await runCli(['backup', baseDir, target, '--format', 'json'], dir);
      expect(second.code, second.stderr).toBe(0);
      const report = JSON.parse(second.stdout) as { files: Array<{ mode: string }> };
      expect(report.files.map((file) => file.mode)).toEqual(['appended']);
    } finally {
      await writer.close();
    }
    expect((await runCli(['verify', target], dir)).code).toBe(0);
    const reader = await openCandleStore({ baseDir: target, readOnly: true });
    try {
      expect(await reader.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles1m);
    } finally {
      await reader.close();
    }
    const inside = await runCli(['backup', baseDir, join(baseDir, 'copy')], dir);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toMatch(/^flowtrace backup: .*must not be inside the store/m);
  });
});

const COMMANDS = [
  'series',
  'query',
  'export',
  'import',
  'publish',
  'inspect',
  'verify',
  'migrate',
  'compact',
  'repair',
  'backup',
  'queue',
];

describe('flowtrace CLI usage', () => {
  it('given the directory above a store (the daemon data dir), refuses it (exit 1) saying where the store is; an empty store is quiet', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowtrace-cli-data-'));
    try {
      const store = await openCandleStore({ baseDir: join(dataDir, 'candles') });
      await store.saveMany(candles1m.slice(0, 5));
      await store.close();
      const hint = `no candle store in ${dataDir}, but ${join(dataDir, 'candles')} holds one: did you mean it?`;
      const series = await runCli(['series', dataDir, '--format', 'json'], dir);
      expect(series).toMatchObject({ code: 1, stdout: '', stderr: `flowtrace series: ${hint}\n` });
      const query = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];
      expect(await runCli(['query', dataDir, ...query, '--format', 'jsonl'], dir)).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `flowtrace query: ${hint}\n`,
      });
      expect((await runCli(['export', dataDir], dir)).stderr).toBe(`flowtrace export: ${hint}\n`);
      // verify would check the nested store's files (it reads every .ftcd file below): refused the same.
      const verify = await runCli(['verify', dataDir], dir);
      expect(verify).toMatchObject({ code: 1, stdout: '', stderr: `flowtrace verify: ${hint}\n` });
      // Two stores below: both named.
      const older = await openCandleStore({ baseDir: join(dataDir, 'archive') });
      await older.saveMany(candles1m.slice(5, 10));
      await older.close();
      expect((await runCli(['series', dataDir, '--format', 'json'], dir)).stderr).toBe(
        `flowtrace series: no candle store in ${dataDir}, but ${join(dataDir, 'archive')} and ${join(dataDir, 'candles')} hold one each: did you mean one of them?\n`,
      );
      // A store that is simply empty, and a store itself: no hint.
      mkdirSync(join(dataDir, 'empty'));
      expect(await runCli(['series', join(dataDir, 'empty'), '--format', 'json'], dir)).toMatchObject({
        code: 0,
        stderr: '',
      });
      expect((await runCli(['series', join(dataDir, 'candles'), '--format', 'json'], dir)).stderr).toBe('');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('queue: shows pending and dead letters; requeues and drops dead letters by id; never creates a database', async () => {
    const path = join(dir, 'queue-cli.db');
    const queue = new SQLiteQueue({ dbPath: path });
    const at = Date.UTC(2026, 0, 2);
    queue.enqueueBatch(
      ['a', 'b', 'c', 'd'].map((id, k) => ({ id, type: 'candle', payload: { k }, timestamp: at + k })),
    );
    queue.dequeue(3);
    queue.markDead('a', new Error('delivered 21 times without being processed'));
    queue.markDead('b', new Error('payload is not valid JSON'));
    queue.markDead('c', new Error('poison'));
    queue.close();
    const untouched = readFileSync(path);
    const shown = await runCli(['queue', path, '--format', 'json'], dir);
    expect(shown.code, shown.stderr).toBe(0);
    // Looking opens it read-only: the file is as it was.
    expect(readFileSync(path).equals(untouched)).toBe(true);
    const report = JSON.parse(shown.stdout) as {
      stats: { pending: number; dead: number };
      deadLetters: Array<{ id: string; lastError: string; payload: unknown }>;
    };
    expect(report.stats).toMatchObject({ pending: 1, dead: 3 });
    expect(report.deadLetters.map((d) => [d.id, d.lastError, d.payload])).toEqual([
      ['a', 'delivered 21 times without being processed', { k: 0 }],
      ['b', 'payload is not valid JSON', { k: 1 }],
      ['c', 'poison', { k: 2 }],
    ]);
    const table = await runCli(['queue', path, '--format', 'table', '--limit', '1'], dir);
    expect(table.stdout).toMatch(
      /^queue .*: 1 pending \(0 waiting for a retry\), 0 in flight, 3 dead letter\(s\)/,
    );
    expect(table.stdout).toContain('(2 more: --limit)');

    expect(await runCli(['queue', path, '--requeue', 'a', '--requeue', 'd'], dir)).toMatchObject({
      code: 1,
      stdout: 'requeued 1 dead letter(s): a\n',
      stderr: `flowtrace queue: not dead letters in ${path} (unknown, pending or processed): d\n`,
    });
    expect((await runCli(['queue', path, '--drop', 'b'], dir)).stdout).toBe('dropped 1 dead letter(s): b\n');
    expect((await runCli(['queue', path, '--requeue-all'], dir)).stdout).toMatch(/^requeued 1 dead letter/);
    const after = new SQLiteQueue({ dbPath: path });
    try {
      expect(after.stats()).toMatchObject({ pending: 3, dead: 0 });
      // Requeued: delivered again, in their order, with fresh counts.
      expect(after.dequeue(10).map((m) => [m.id, m.deliveries])).toEqual([
        ['a', 1],
        ['c', 1],
        ['d', 1],
      ]);
    } finally {
      after.close();
    }
    expect((await runCli(['queue', path, '--drop', 'a', '--requeue', 'c'], dir)).code).toBe(2);
    const absent = join(dir, 'no-queue.db');
    expect(await runCli(['queue', absent], dir)).toMatchObject({
      code: 1,
      stderr: `flowtrace queue: queue ${absent} does not exist or is not a file\n`,
    });
    expect(existsSync(absent)).toBe(false);
    // Another SQLite database (a store's) is refused and left exactly as it was; so is a non-database.
    const storeDb = join(dir, 'sqlite', 'candles-flatbuffers.db');
    const before = readFileSync(storeDb);
    expect(await runCli(['queue', storeDb], dir)).toMatchObject({
      code: 1,
      stderr: `flowtrace queue: Cannot open queue ${storeDb} read-only: not a queue database (no message_queue table or no schema version)\n`,
    });
    expect(readFileSync(storeDb).equals(before)).toBe(true);
    const text = join(dir, 'not-a-db.txt');
    writeFileSync(text, 'hello\n');
    expect((await runCli(['queue', text, '--requeue-all'], dir)).stderr).toMatch(
      /^flowtrace queue: Cannot open queue .* read-only: file is not a database/,
    );
    expect(readFileSync(text, 'utf8')).toBe('hello\n');
  });

  it('--help for every command, and usage errors exit 2', async () => {
    for (const asked of ['--help', '-h', 'help']) {
      const { code, stdout, stderr } = await runCli([asked], dir);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage: flowtrace <command>/);
      for (const command of COMMANDS) expect(stdout).toContain(command);
    }
    const bare = await runCli([], dir);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr).toMatch(/^Usage: flowtrace <command>/);
    for (const command of COMMANDS) {
      const { code, stdout } = await runCli([command, '--help'], dir);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: flowtrace ${command}`);
    }
    // A usage error says what is wrong and where the options are: not the whole help around it.
    expect(await runCli(['qeury', join(dir, 'ftcd')], dir)).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `flowtrace: unknown command "qeury" (did you mean "query"?)\nRun 'flowtrace --help' for the commands.\n`,
    });
    expect((await runCli(['frobnicate'], dir)).stderr).toBe(
      `flowtrace: unknown command "frobnicate"\nRun 'flowtrace --help' for the commands.\n`,
    );
    expect((await runCli(['constructor'], dir)).code).toBe(2);
    const noSeries = await runCli(['query', join(dir, 'ftcd'), '--exchange', 'binance'], dir);
    expect(noSeries.code).toBe(2);
    expect(noSeries.stderr).toMatch(/^flowtrace query: .+\nRun 'flowtrace query --help' for usage\.\n$/);
    const unknownOption = await runCli(['series', join(dir, 'ftcd'), '--bogus'], dir);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toBe(
      "flowtrace series: unknown option --bogus\nRun 'flowtrace series --help' for usage.\n",
    );
    // A Node error names its code once.
    const absent = await runCli(['inspect', join(dir, 'nope.ftcd')], dir);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/^flowtrace inspect: ENOENT: no such file or directory/);
    const missing = await runCli(['series', join(dir, 'nope')], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
  });
});

describe(`flowtrace CLI on a store written with another partitioning (${entryCommand('cli').label})`, () => {
  it('reads every series in the granularity of its files (the daemon set 1m by month, 5m by year)', async () => {
    const baseDir = join(dir, 'ftcd-repartitioned');
    const store = await openCandleStore({ baseDir, partitioning: { '1m': 'month', '5m': 'year' } });
    await store.saveMany([...candles1m, ...candles5m]);
    await store.close();
    const { code, stdout, stderr } = await runCli(['series', baseDir, '--format', 'json'], dir);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const series = JSON.parse(stdout) as Array<{ timeframe: string; count: number }>;
    expect(series.map((s) => [s.timeframe, s.count])).toEqual([
      ['1m', 300],
      ['5m', 40],
    ]);
    const query = await runCli(
      [
        'query',
        baseDir,
        '--exchange',
        'binance',
        '--symbol',
        'LTCUSDT',
        '--timeframe',
        '1m',
        '--format',
        'jsonl',
      ],
      dir,
    );
    expect(query.code).toBe(0);
    expect(
      query.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(candles1m);
  });
});

describe(`flowtrace CLI output and errors (${entryCommand('cli').label})`, () => {
  it('series chooses JSON when stdout is a pipe, as query chooses JSON lines; a table on a terminal', async () => {
    const store = join(dir, 'ftcd');
    const piped = await runCli(['series', store], dir);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('');
    const explicit = await runCli(['series', store, '--format', 'json'], dir);
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(explicit.stdout));
    // query does the same: JSON lines when piped.
    const query = await runCli(
      ['query', store, '--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '5m'],
      dir,
    );
    expect(
      query.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(candles5m);
    // On a terminal (in process, isTTY true): the table and its summary line.
    let text = '';
    const code = await runCliInProcess(
      ['series', store],
      {
        isTTY: true,
        write: (t) => {
          text += t;
        },
      },
      () => undefined,
    );
    expect(code).toBe(0);
    expect(text).toMatch(/^exchange\s+symbol\s+timeframe\s+first\s+last\s+candles/);
    expect(text).toContain('2 series in ftcd store');
    const bad = await runCli(['series', store, '--format', 'yaml'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'flowtrace series: --format must be one of table, json; got "yaml"\n' +
        "Run 'flowtrace series --help' for usage.\n",
    );
  });

  it.skipIf(!existsSync('/dev/full'))(
    'a stdout that refuses writes (a full disk) is an error (exit 1, one line on stderr), not a crash',
    () => {
      const full = openSync('/dev/full', 'w');
      try {
        for (const args of [
          ['export', join(dir, 'ftcd')],
          ['series', join(dir, 'ftcd')],
        ]) {
          const run = spawnSync(process.execPath, [...entryCommand('cli').args, ...args], {
            cwd: dir,
            stdio: ['ignore', full, 'pipe'],
            encoding: 'utf8',
            timeout: 30_000,
          });
          expect({ status: run.status, stderr: run.stderr }, args[0]).toEqual({
            status: 1,
            stderr: 'flowtrace: cannot write to stdout: ENOSPC: no space left on device, write\n',
          });
        }
      } finally {
        closeSync(full);
      }
    },
    60_000,
  );

  it('error messages name the command once', async () => {
    const query = await runCli(['query', join(dir, 'ftcd'), '--exchange', 'binance'], dir);
    expect(query.code).toBe(2);
    expect(query.stderr).toBe(
      'flowtrace query: --exchange, --symbol and --timeframe are required\n' +
        "Run 'flowtrace query --help' for usage.\n",
    );
    for (const command of COMMANDS) {
      const { code, stderr } = await runCli([command], dir);
      expect(code, stderr).toBe(2);
      expect(stderr.startsWith(`flowtrace ${command}: `), stderr).toBe(true);
      expect(stderr).not.toContain(`${command}: ${command}:`);
    }
  });
});

describe(`flowtrace series, query and export on a store with a corrupt block (${entryCommand('cli').label})`, () => {
  it('print what survives with exit 0, and one warning per store problem on stderr', async () => {
    const clean = join(dir, 'ftcd-blocks');
    const writer = await openCandleStore({ baseDir: clean, maxCandlesPerBlock: 50 });
    await writer.saveMany(candles1m);
    await writer.close();
    const damaged = join(dir, 'ftcd-damaged');
    cpSync(clean, damaged, { recursive: true });
    const [file] = readdirSync(damaged, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ftcd'))
      .sort()
      .map((f) => join(damaged, f));
    const report = await inspectFtcdFile(file!);
    expect(report.blocks.length).toBeGreaterThan(1);
    const block = report.blocks[0]!;
    const bytes = readFileSync(file!);
    const target = block.offset + Math.floor(block.totalLength / 2); // inside the first block's payload
    bytes[target] = bytes[target]! ^ 0x01;
    writeFileSync(file!, bytes);

    const warning = (command: string) =>
      `flowtrace ${command}: warning: store problem FTCD_CORRUPT_BLOCK in ${file}: `;
    const filter = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];
    const runs = {
      series: ['series', damaged, '--format', 'json'],
      query: ['query', damaged, ...filter, '--format', 'jsonl'],
      export: ['export', damaged, ...filter, '--format', 'jsonl'],
    };
    for (const [command, args] of Object.entries(runs)) {
      const onClean = await runCli([...args.slice(0, 1), clean, ...args.slice(2)], dir);
      expect(onClean.code).toBe(0);
      expect(onClean.stderr, `${command} on the clean store`).toBe('');
      const { code, stdout, stderr } = await runCli(args, dir);
      expect(code, stderr).toBe(0);
      const lines = stderr.split('\n').filter((l) => l !== '');
      expect(lines, command).toHaveLength(1);
      expect(lines[0]!.startsWith(warning(command)), lines[0]).toBe(true);
      // stdout is what survives, exactly as without the warning: the damaged block's candles are missing.
      if (command === 'series') {
        const [series] = JSON.parse(stdout) as Array<{ count: number }>;
        expect(series!.count).toBe(candles1m.length - block.candleCount);
      } else {
        const read = stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown);
        const lost = new Set(
          candles1m.filter((c) => c.t >= block.firstOpenTime && c.t <= block.lastOpenTime),
        );
        expect(read).toEqual(candles1m.filter((c) => !lost.has(c)));
      }
    }
  });
});

describe(`flowtrace CLI: operator mistakes get clear errors and lose nothing (${entryCommand('cli').label})`, () => {
  const filter = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];

  it('export --out: a bad path is a clear error (exit 1); a bad argument or store leaves an earlier export as it was', async () => {
    for (const [out, reason] of [
      [join(dir, 'no-such-dir', 'x.jsonl'), `directory ${join(dir, 'no-such-dir')} does not exist`],
      [dir, `${dir} is a directory`],
    ] as const) {
      const { code, stderr } = await runCli(['export', join(dir, 'ftcd'), '--out', out], dir);
      expect(code, stderr).toBe(1);
      expect(stderr).toBe(`flowtrace export: cannot write --out ${out}: ${reason}\n`);
    }
    const earlier = join(dir, 'earlier-export.jsonl');
    writeFileSync(earlier, 'an earlier export\n');
    const typo = await runCli(['export', join(dir, 'ftcd'), '--from', '2025-06-3', '--out', earlier], dir);
    expect(typo.code).toBe(2);
    const missing = await runCli(['export', join(dir, 'no-store'), '--out', earlier], dir);
    expect(missing.code).toBe(1);
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier export\n');
  });

  it('export --out replaces an earlier file only once complete: a bad name (exit 2) or a kill -9 mid-export leaves it as it was', async () => {
    const earlier = join(dir, 'replaced-export.jsonl');
    writeFileSync(earlier, 'an earlier export\n');
    const badName = await runCli(
      ['export', join(dir, 'ftcd'), '--symbol', 'BTC/USDT', '--out', earlier],
      dir,
    );
    expect(badName.code).toBe(2);
    expect(badName.stderr).toBe(
      'flowtrace export: --symbol "BTC/USDT" must start with a letter or digit and contain only letters, digits, "_", "-" and "."\n' +
        "Run 'flowtrace export --help' for usage.\n",
    );
    const badQuery = await runCli(
      ['query', join(dir, 'ftcd'), ...filter.slice(2), '--exchange', '../x'],
      dir,
    );
    expect(badQuery.code).toBe(2);
    expect(badQuery.stderr).toContain('--exchange "../x" must not contain ".."');

    // An export long enough to be killed half-way through.
    const big = join(dir, 'big-export-store');
    const store = await openCandleStore({ baseDir: big });
    await store.saveMany(
      generateFootprintCandles({
        seed: 5,
        count: 50_000,
        bins: 20,
        symbol: 'LTCUSDT',
        tickValue: 0.01,
        startPrice: 80,
      }),
    );
    await store.close();
    const child = spawn(process.execPath, [...entryCommand('cli').args, 'export', big, '--out', earlier], {
      cwd: dir,
      stdio: 'ignore',
    });
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const aside = asidePath(earlier, child.pid ?? 0);
    await waitFor(() => existsSync(aside) && statSync(aside).size > 0, 'the export writing aside');
    child.kill('SIGKILL');
    await exited;
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier export\n');
    // The killed export's file aside stays until the next export to that path clears it.
    expect(existsSync(aside)).toBe(true);

    const done = await runCli(['export', join(dir, 'ftcd'), ...filter, '--out', earlier], dir);
    expect(done.code, done.stderr).toBe(0);
    expect(readFileSync(earlier, 'utf8').trimEnd().split('\n')).toHaveLength(candles1m.length);
    expect(readdirSync(dir).filter((name) => name.startsWith('.replaced-export'))).toEqual([]);
  });

  it("export clears files aside of dead exports of its own PID namespace only (another container's may be running)", async () => {
    const out = join(dir, 'ns-export.jsonl');
    const dead = 2 ** 22 + 12_345; // above Linux's pid_max: no such process
    const ours = asidePath(out, dead);
    const legacy = join(dir, `.ns-export.jsonl.${dead}.tmp`); // the name before namespaces
    const foreign = join(dir, `.ns-export.jsonl.ns1.${dead}.tmp`); // another namespace's
    const otherFile = join(dir, `.ns-export.jsonl.x.ns1.${dead}.tmp`); // not an aside of this path
    for (const leftover of [ours, legacy, foreign, otherFile]) writeFileSync(leftover, 'partial');
    const done = await runCli(['export', join(dir, 'ftcd'), ...filter, '--out', out], dir);
    expect(done.code, done.stderr).toBe(0);
    expect([ours, legacy, foreign, otherFile].map((leftover) => existsSync(leftover))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('a stray positional is a usage error (exit 2), not ignored: export <store> out.jsonl, import <store> a b, migrate', async () => {
    const exported = await runCli(['export', join(dir, 'ftcd'), 'out.jsonl'], dir);
    expect(exported.code).toBe(2);
    expect(exported.stdout).toBe('');
    expect(exported.stderr).toBe(
      `flowtrace export: unexpected argument "out.jsonl"\nRun 'flowtrace export --help' for usage.\n`,
    );
    const file = join(dir, 'two-files.jsonl');
    writeFileSync(file, `${JSON.stringify(candles1m[0])}\n`);
    const imported = await runCli(['import', join(dir, 'two-files-store'), file, file], dir);
    expect(imported.code).toBe(2);
    expect(existsSync(join(dir, 'two-files-store'))).toBe(false);
    const migrate = await runCli(
      ['migrate', '--from', `ftcd:${join(dir, 'ftcd')}`, '--to', `ftcd:${join(dir, 'm')}`, 'extra'],
      dir,
    );
    expect(migrate.code).toBe(2);
    expect((await runCli(['series', join(dir, 'ftcd'), 'extra'], dir)).code).toBe(2);
  });

  it('verify refuses an unknown --format (exit 2) instead of printing text', async () => {
    const { code, stdout, stderr } = await runCli(['verify', join(dir, 'ftcd'), '--format', 'jsn'], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'flowtrace verify: --format must be one of text, json; got "jsn"\n' +
        "Run 'flowtrace verify --help' for usage.\n",
    );
  });

  it('a day that is not in the calendar is refused, not rolled over into the next month', async () => {
    expect(() => parseTime('2025-02-30', '--from')).toThrow(/--from: "2025-02-30" is neither/);
    expect(() => parseTime('2025-04-31T12:00Z', '--to')).toThrow(/--to/);
    expect(parseTime('2024-02-29', '--from')).toBe(Date.UTC(2024, 1, 29));
    const { code, stdout } = await runCli(
      ['query', join(dir, 'ftcd'), ...filter, '--from', '2025-02-30', '--format', 'jsonl'],
      dir,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });

  it('import of a file that cannot be read is a clear error and creates no store', async () => {
    for (const file of [join(dir, 'no-such-file.jsonl'), dir]) {
      const target = join(dir, 'never-created');
      const { code, stderr } = await runCli(['import', target, file], dir);
      expect(code).toBe(1);
      expect(stderr.startsWith(`flowtrace import: cannot read ${file}: `), stderr).toBe(true);
      expect(existsSync(target)).toBe(false);
    }
  });

  it('import that stores nothing removes the store it created, and leaves one that was there as it was', async () => {
    const bad = join(dir, 'all-invalid.jsonl');
    writeFileSync(bad, `${JSON.stringify({ ...candles1m[0]!, h: -1 })}\n{not json\n`);
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    for (const [file, exitCode] of [
      [bad, 1],
      [empty, 0],
    ] as const) {
      for (const database of [[], ['--database']]) {
        const parent = join(dir, 'import-nothing');
        const target = join(parent, 'a', 'store');
        const run = await runCli(['import', target, file, ...database], dir);
        expect(run.code, run.stderr).toBe(exitCode);
        expect(existsSync(parent), `import ${file} ${database.join(' ')}`).toBe(false);
        expect(run.stdout).toContain('imported 0 candles');
        expect(run.stderr).toBe(
          `flowtrace import: warning: nothing was imported: removed ${parent}, which this run created\n`,
        );
      }
    }
    // An empty directory that was there stays, without what the import added (a new SQLite database).
    const existing = mkdtempSync(join(dir, 'import-existing-'));
    const intoExisting = await runCli(['import', existing, bad, '--database'], dir);
    expect(intoExisting.code).toBe(1);
    expect(intoExisting.stderr).toBe(
      `flowtrace import: warning: nothing was imported: removed what this run created in ${existing}\n`,
    );
    expect(readdirSync(existing)).toEqual([]);
    // A store holding candles is kept whole.
    const store = join(dir, 'import-into-store');
    cpSync(join(dir, 'ftcd'), store, { recursive: true });
    const before = readdirSync(store, { recursive: true }).sort();
    const intoStore = await runCli(['import', store, bad], dir);
    expect(intoStore.code).toBe(1);
    expect(intoStore.stderr).toBe('');
    expect(readdirSync(store, { recursive: true }).sort()).toEqual(before);
  });

  it('import --database into a .ftcd store (or one the daemon holds) is refused: a SQLite store beside it would hide it', async () => {
    const baseDir = join(dir, 'ftcd-import-database');
    cpSync(join(dir, 'ftcd'), baseDir, { recursive: true });
    const file = join(dir, 'import-database.jsonl');
    writeFileSync(file, `${JSON.stringify(candles5m[0])}\n`);
    const refused = await runCli(['import', baseDir, file, '--database'], dir);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.stderr).toContain('already holds a .ftcd store');
    expect(readdirSync(baseDir).filter((name) => name !== '.ftcd-writer.lock.db')).toEqual(['binance']);
    // The daemon running on an empty .ftcd store: only its writer's lock is there.
    const live = join(dir, 'ftcd-live-empty');
    const writer = await openCandleStore({ baseDir: live });
    try {
      const whileLive = await runCli(['import', live, file, '--database'], dir);
      expect(whileLive.code).toBe(2);
      expect(readdirSync(live).some((name) => name.startsWith('candles-flatbuffers.db'))).toBe(false);
    } finally {
      await writer.close();
    }
    // Still a .ftcd store: every command sees its candles.
    const series = await runCli(['series', baseDir, '--format', 'json'], dir);
    expect((JSON.parse(series.stdout) as Array<{ count: number }>).map((s) => s.count)).toEqual([300, 40]);
  });

  it('import of CSV refuses a blank number or a non-boolean x per line, rather than storing 0 or false', async () => {
    const header = CANDLE_CSV_COLUMNS.join(',');
    const row = (column: string, value: string) => {
      const cells = splitCsvRecord(candleToCsvRow(candles1m[0]!));
      cells[CANDLE_CSV_COLUMNS.indexOf(column as (typeof CANDLE_CSV_COLUMNS)[number])] = value;
      return cells.map((cell) => (/[",]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',');
    };
    const file = join(dir, 'blank-cells.csv');
    writeFileSync(
      file,
      [header, row('t', ''), row('v', ''), row('x', 'yes'), candleToCsvRow(candles1m[1]!)].join('\n'),
    );
    const target = join(dir, 'blank-cells-store');
    const { code, stdout } = await runCli(['import', target, file], dir);
    expect(code).toBe(1);
    expect(stdout).toContain('imported 1 candles (1 written');
    expect(stdout).toContain('line 2: unreadable: column t: "" is not a number');
    expect(stdout).toContain('line 3: unreadable: column v: "" is not a number');
    expect(stdout).toContain('line 4: unreadable: column x: "yes" is not true or false');
    const reopened = await openCandleStore({ baseDir: target, readOnly: true });
    try {
      expect(await reopened.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual([candles1m[1]]);
    } finally {
      await reopened.close();
    }
  });

  it('migrate --from of the wrong kind is refused with exit 2 even when that kind cannot open the directory', async () => {
    const source = join(dir, 'ftcd');
    for (const kind of ['sqlite', 'legacy-sqlite']) {
      const { code, stderr } = await runCli(
        ['migrate', '--from', `${kind}:${source}`, '--to', `ftcd:${join(dir, `wrong-${kind}`)}`],
        dir,
      );
      expect(code, stderr).toBe(2);
      expect(stderr).toContain(`did you mean --from ftcd:${source}?`);
      expect(existsSync(join(dir, `wrong-${kind}`))).toBe(false);
    }
  });

  it('a --from later than --to is a usage error (exit 2) naming both values, for query and export; an earlier export is kept', async () => {
    const earlier = join(dir, 'reversed-range.jsonl');
    writeFileSync(earlier, 'an earlier export\n');
    const reversed = ['--from', '2025-06-02', '--to', '2025-06-01T12:00Z'];
    for (const [command, args] of [
      ['query', [...filter, '--format', 'jsonl']],
      ['export', ['--out', earlier]],
    ] as const) {
      const { code, stdout, stderr } = await runCli([command, join(dir, 'ftcd'), ...args, ...reversed], dir);
      expect(code, stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `flowtrace ${command}: --from 2025-06-02 (2025-06-02T00:00:00.000Z) is later than ` +
          '--to 2025-06-01T12:00Z (2025-06-01T12:00:00.000Z): the range is empty\n' +
          `Run 'flowtrace ${command} --help' for usage.\n`,
      );
    }
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier export\n');
    // Equal bounds are a range of one open time (both are inclusive).
    const at = String(candles1m[5]!.t);
    const one = await runCli(
      ['query', join(dir, 'ftcd'), ...filter, '--from', at, '--to', at, '--format', 'jsonl'],
      dir,
    );
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual(candles1m[5]);
  });

  it('import skips a UTF-8 byte order mark opening the file, in JSON lines and in CSV', async () => {
    const bom = '\uFEFF';
    const jsonl = join(dir, 'bom.jsonl');
    writeFileSync(
      jsonl,
      `${bom}${candles1m
        .slice(0, 3)
        .map((c) => `${JSON.stringify(c)}\n`)
        .join('')}`,
    );
    const fromJsonl = await runCli(['import', join(dir, 'bom-jsonl-store'), jsonl], dir);
    expect(fromJsonl.code, fromJsonl.stdout).toBe(0);
    expect(fromJsonl.stdout).toBe(`imported 3 candles (3 written, 0 already stored) from ${jsonl}\n`);
    // In CSV the mark made the header's first column "\uFEFFe": `e` was dropped and the
    // default took its place, so an event type other than the default (a warning, accepted) was lost.
    const kline = candles5m.slice(0, 3).map((c) => ({ ...c, e: 'kline' }));
    const csv = join(dir, 'bom.csv');
    writeFileSync(
      csv,
      `${bom}${[CANDLE_CSV_COLUMNS.join(','), ...kline.map(candleToCsvRow)].join('\r\n')}\r\n`,
    );
    const csvStore = join(dir, 'bom-csv-store');
    const fromCsv = await runCli(['import', csvStore, csv], dir);
    expect(fromCsv.code, fromCsv.stdout).toBe(0);
    const reopened = await openCandleStore({ baseDir: csvStore, readOnly: true });
    try {
      expect(await reopened.findBySymbol('LTCUSDT', 'binance', '5m')).toEqual(kline);
    } finally {
      await reopened.close();
    }
  });

  it('validation messages name the field once, for a JSON line and for a CSV row', async () => {
    const { v: _v, ...noVolume } = candles1m[1]!;
    const jsonl = join(dir, 'invalid-fields.jsonl');
    writeFileSync(
      jsonl,
      [{ ...candles1m[0]!, t: 'soon' }, noVolume, { ...candles1m[2]!, h: candles1m[2]!.l - 1 }]
        .map((c) => `${JSON.stringify(c)}\n`)
        .join(''),
    );
    const lines = await runCli(['import', join(dir, 'invalid-fields-store'), jsonl], dir);
    expect(lines.code).toBe(1);
    expect(lines.stdout).toContain('  line 1: t: Invalid input: expected number, received string\n');
    expect(lines.stdout).toContain('  line 2: v is required\n');
    expect(lines.stdout).toMatch(/^ {2}line 3: h: high [\d.]+ is below /m);

    const badBins = (index: number, aggs: unknown) =>
      candleToCsvRow({ ...candles1m[index]!, aggs } as unknown as (typeof candles1m)[number]);
    const csv = join(dir, 'invalid-fields.csv');
    writeFileSync(
      csv,
      [
        CANDLE_CSV_COLUMNS.join(','),
        badBins(0, [{}]),
        badBins(1, [{ ...candles1m[1]!.aggs[0]!, tp: 'x' }]),
      ].join('\n'),
    );
    const rows = await runCli(['import', join(dir, 'invalid-fields-csv-store'), csv], dir);
    expect(rows.code).toBe(1);
    expect(rows.stdout).toContain(
      '  line 2: aggs[0].tp is required; aggs[0].bv is required; aggs[0].sv is required; aggs[0].v is required\n',
    );
    expect(rows.stdout).toContain('  line 3: aggs[0].tp: Invalid input: expected number, received string\n');
    // No path printed twice in a row, in either.
    expect(`${lines.stdout}${rows.stdout}`).not.toMatch(/([\w.[\]]+): \1\b/);
  });

  it.skipIf(!existsSync('/proc/self'))(
    'backup, import and migrate refuse a directory they cannot create (/proc/x) promptly, instead of spinning in mkdir',
    async () => {
      // procfs answers ENOENT to mkdir /proc/x; Node's recursive mkdir takes that for a missing parent and loops.
      const refused = (what: string, path: string) =>
        new RegExp(`^flowtrace \\w+: cannot create ${what} ${path.replace(/\//g, '\\/')}: E(NOENT|ACCES)\\b`);
      const limit = { timeoutMs: 15_000 };
      for (const destination of ['/proc/flowtrace-backup', '/proc/flowtrace-backup/nested']) {
        const { code, stderr } = await runCli(['backup', join(dir, 'ftcd'), destination], dir, limit);
        expect(code, stderr).toBe(1);
        expect(stderr).toMatch(refused('the backup destination', destination));
      }
      const file = join(dir, 'proc-import.jsonl');
      writeFileSync(file, `${JSON.stringify(candles1m[0])}\n`);
      const imported = await runCli(['import', '/proc/flowtrace-store', file, '--database'], dir, limit);
      expect(imported.code, imported.stderr).toBe(1);
      expect(imported.stderr).toMatch(refused('the store', '/proc/flowtrace-store'));
      const migrated = await runCli(
        ['migrate', '--from', `ftcd:${join(dir, 'ftcd')}`, '--to', 'sqlite:/proc/flowtrace-store'],
        dir,
        limit,
      );
      expect(migrated.code, migrated.stderr).toBe(1);
      expect(migrated.stderr).toMatch(refused('the --to directory', '/proc/flowtrace-store'));
    },
    60_000,
  );

  it('backup creates a missing destination with its parents, and removes them again when the backup fails', async () => {
    const missingStore = await runCli(
      ['backup', join(dir, 'no-such-store'), join(dir, 'new-backups', 'a')],
      dir,
    );
    expect(missingStore.code).toBe(1);
    expect(existsSync(join(dir, 'new-backups'))).toBe(false);
    const made = await runCli(['backup', join(dir, 'ftcd'), join(dir, 'new-backups', 'a', 'b')], dir);
    expect(made.code, made.stderr).toBe(0);
    expect((await runCli(['verify', join(dir, 'new-backups', 'a', 'b')], dir)).code).toBe(0);
  });
});
