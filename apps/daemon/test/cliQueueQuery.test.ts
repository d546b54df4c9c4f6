import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryCommand, runCli } from './daemonProcess';

let dir: string;
const candles = generateFootprintCandles({ seed: 51, count: 10, bins: 3, symbol: 'LTCUSDT' });
const series = ['--exchange', 'binance', '--symbol', 'LTCUSDT', '--timeframe', '1m'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-cli-queue-query-'));
  // Readable by the other user of the read-only tests below (mkdtemp makes it 0700).
  chmodSync(dir, 0o755);
  const store = await openCandleStore({ baseDir: join(dir, 'store'), useDatabase: true });
  await store.saveMany(candles);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cells of a renderTable table, by column name (columns start where their header starts). */
function tableRows(table: string): Array<Record<string, string>> {
  const [header = '', , ...rows] = table.trimEnd().split('\n');
  const names = header.split(/ {2,}/);
  const starts = names.map((name) => header.indexOf(name));
  return rows.map((row) =>
    Object.fromEntries(names.map((name, i) => [name, row.slice(starts[i], starts[i + 1]).trim()])),
  );
}

/** A queue with a dead letter of a JSON payload ('a') and one whose payload is not JSON ('text'). */
function queueWithDeadLetters(path: string): void {
  const queue = new SQLiteQueue({ dbPath: path });
  queue.enqueue({ id: 'a', type: 'candle', payload: { k: 1 }, timestamp: 1 });
  queue.dequeue(1);
  queue.markDead('a', 'poison');
  const db = new BetterSqlite3(path);
  db.prepare(
    "INSERT INTO message_queue (message_id, type, payload, timestamp, processed, created_at) VALUES ('text', 'candle', 'not json!', 2, 0, 0)",
  ).run();
  db.close();
  queue.dequeue(10); // dead-letters 'text': its payload is not JSON
  queue.close();
}

describe(`flowtrace queue and query options (${entryCommand('cli').label})`, () => {
  it('queue: "payload bytes" is the size of the payload as stored, also when it is not JSON', async () => {
    const path = join(dir, 'bytes.db');
    queueWithDeadLetters(path);
    const shown = await runCli(['queue', path, '--format', 'table'], dir);
    expect(shown.code, shown.stderr).toBe(0);
    const rows = tableRows(shown.stdout.slice(shown.stdout.indexOf('\n') + 1));
    expect(rows.map((row) => [row.id, row['payload bytes'], row.reason])).toEqual([
      ['a', String(Buffer.byteLength('{"k":1}')), 'poison'],
      // 'not json!' is 9 bytes; its JSON encoding (quoted) would be 11.
      ['text', '9', expect.stringMatching(/^payload is not valid JSON/)],
    ]);
  });

  it('queue --requeue/--drop: nothing on stdout when nothing was done; what was done when some ids missed', async () => {
    const path = join(dir, 'actions.db');
    queueWithDeadLetters(path);
    const missing = (ids: string) =>
      `flowtrace queue: not dead letters in ${path} (unknown, pending or processed): ${ids}\n`;
    expect(await runCli(['queue', path, '--drop', 'abc'], dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: missing('abc'),
    });
    expect(await runCli(['queue', path, '--requeue', '5'], dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: missing('5'),
    });
    expect(await runCli(['queue', path, '--requeue', 'a', '--requeue', 'x'], dir)).toEqual({
      code: 1,
      stdout: 'requeued 1 dead letter(s): a\n',
      stderr: missing('x'),
    });
    expect(await runCli(['queue', path, '--drop', 'text', '--drop', 'y'], dir)).toEqual({
      code: 1,
      stdout: 'dropped 1 dead letter(s): text\n',
      stderr: missing('y'),
    });
    // One id per option, as the docs and --help write it: a second positional is a usage error.
    const twoIds = await runCli(['queue', path, '--drop', 'a', 'b'], dir);
    expect(twoIds.code).toBe(2);
    expect(twoIds.stderr).toMatch(/unexpected argument "b"/);
    const help = await runCli(['queue', '--help'], dir);
    expect(help.stdout).toContain('--drop <id> [--drop <id>…]');
  });

  it('query --limit: a whole number from 1, worded as queue --limit, exit 2', async () => {
    const store = join(dir, 'store');
    const queue = ['queue', join(dir, 'bytes.db'), '--limit', '0'];
    for (const args of [
      ...['0', '1.5', '1e3', ' 5'].map((n) => ['query', store, ...series, '--limit', n]),
      queue,
    ]) {
      const { code, stdout, stderr } = await runCli(args, dir);
      const limit = args.at(-1) ?? '';
      expect({ code, stdout }, `${args[0]} --limit "${limit}"`).toEqual({ code: 2, stdout: '' });
      expect(stderr).toContain(
        `flowtrace ${args[0]}: --limit must be a whole number from 1; got "${limit}"\n`,
      );
    }
    const two = await runCli(['query', store, ...series, '--limit', '2', '--format', 'jsonl'], dir);
    expect(two.code, two.stderr).toBe(0);
    expect(
      two.stdout
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { t: number }).t),
    ).toEqual(candles.slice(0, 2).map((c) => c.t));
  });
});

/**
 * Runs `flowtrace <args>` as a user without write access to the directories the tests lock (see
 * lockDir). As root, for whom directory permissions do not apply, that is `nobody`; as another
 * user, that user itself, with the directories made read-only.
 */
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
function runCliWithoutWriteAccess(args: string[]): ReturnType<typeof runCli> {
  return runCli(args, dir, asRoot ? { uid: NOBODY, gid: NOBODY } : {});
}

/** Takes write access to `path` away from runCliWithoutWriteAccess (root's 0755 directory already does). */
function lockDir(path: string): void {
  chmodSync(path, asRoot ? 0o755 : 0o555);
}
function unlockDir(path: string): void {
  chmodSync(path, 0o755);
}

describe('read-only looks without write access to the directory (SQLite WAL files)', () => {
  // The CLI must run as the other user at all (the repository readable by nobody, setuid allowed).
  let unavailable: string | undefined;
  beforeAll(async () => {
    const probe = await runCliWithoutWriteAccess(['--version']);
    if (probe.code !== 0)
      unavailable = `cannot run the CLI as ${asRoot ? 'nobody' : 'this user'}: ${probe.stderr || `exit ${probe.code}`}`;
  });

  it('queue: a stopped queue fails saying what is needed, creates nothing; it reads while a writer has it open', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const queueDir = join(dir, 'ro-queue');
    mkdirSync(queueDir);
    const path = join(queueDir, 'queue.db');
    queueWithDeadLetters(path);
    chmodSync(path, 0o644);
    const before = readFileSync(path);
    lockDir(queueDir);
    try {
      const stopped = await runCliWithoutWriteAccess(['queue', path, '--format', 'json']);
      expect({ code: stopped.code, stdout: stopped.stdout }).toEqual({ code: 1, stdout: '' });
      expect(stopped.stderr).toMatch(/^flowtrace queue: Cannot open queue .* read-only: /);
      expect(stopped.stderr).toContain(
        `creates them when they are missing, as when the daemon is stopped: that needs write access to ${queueDir}`,
      );
      expect(readdirSync(queueDir)).toEqual(['queue.db']);
      expect(readFileSync(path).equals(before)).toBe(true);
    } finally {
      unlockDir(queueDir);
    }
    // The daemon running: its connection keeps queue.db-wal and queue.db-shm, which a reader uses.
    const writer = new SQLiteQueue({ dbPath: path });
    lockDir(queueDir);
    try {
      const running = await runCliWithoutWriteAccess(['queue', path, '--format', 'json']);
      expect(running.code, running.stderr).toBe(0);
      expect((JSON.parse(running.stdout) as { stats: { dead: number } }).stats.dead).toBe(2);
    } finally {
      unlockDir(queueDir);
      writer.close();
    }
  });

  it('series and export: a stopped SQLite store fails with a typed error saying what is needed', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const storeDir = join(dir, 'ro-store');
    const store = await openCandleStore({ baseDir: storeDir, useDatabase: true });
    await store.saveMany(candles);
    await store.close();
    const files = readdirSync(storeDir).sort();
    for (const file of files) chmodSync(join(storeDir, file), 0o644);
    const database = join(storeDir, 'candles-flatbuffers.db');
    lockDir(storeDir);
    try {
      for (const command of ['series', 'export']) {
        const { code, stdout, stderr } = await runCliWithoutWriteAccess([command, storeDir]);
        expect({ code, stdout }, command).toEqual({ code: 1, stdout: '' });
        expect(stderr).toBe(
          `flowtrace ${command}: [FLOWTRACE_SQLITE_WAL_FILES_UNAVAILABLE] Cannot read ${database}: SQLite reads it through candles-flatbuffers.db-wal and candles-flatbuffers.db-shm beside it and creates them when they are missing (no process has it open: the daemon stopped), which needs write access to ${storeDir}; or read while the daemon runs, or a copy in a directory you can write\n`,
        );
      }
      expect(readdirSync(storeDir).sort()).toEqual(files);
    } finally {
      unlockDir(storeDir);
    }
    const writer = await openCandleStore({ baseDir: storeDir, useDatabase: true });
    lockDir(storeDir);
    try {
      const running = await runCliWithoutWriteAccess(['series', storeDir, '--format', 'json']);
      expect(running.code, running.stderr).toBe(0);
      expect(JSON.parse(running.stdout)).toHaveLength(1);
    } finally {
      unlockDir(storeDir);
      await writer.close();
    }
  });
});
