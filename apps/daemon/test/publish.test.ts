import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { UnixSocketServer } from '@flowtrace/ipc/features/unix-socket';
import { bootstrap, type PersistenceApplication } from '@flowtrace/persistence';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryCommand, runCli, waitFor } from './daemonProcess';

/**
 * `flowtrace publish` against the real persistence service (in-process
 * bootstrap(), its socket and queue poller) and the real CLI (a child process).
 */
let dir: string;
beforeEach(() => {
  // Short: a socket path must fit sun_path (~107 bytes).
  dir = mkdtempSync(join(tmpdir(), 'ft-pub-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const candles = (seed: number, count: number, symbol = 'LTCUSDT'): FootprintCandleDTO[] =>
  generateFootprintCandles({
    seed,
    count,
    bins: { min: 1, max: 12 },
    symbol,
    tickValue: 0.01,
    startPrice: 80,
  });

function writeJsonl(path: string, lines: readonly unknown[]): string {
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
}

interface Paths {
  socketPath: string;
  queuePath: string;
  baseDir: string;
}

function pathsIn(root: string): Paths {
  return {
    socketPath: join(root, 'flowtrace.sock'),
    queuePath: join(root, 'queue.db'),
    baseDir: join(root, 'candles'),
  };
}

async function startService(
  paths: Paths,
  maxFrameBytes?: number,
  { strictMode = false } = {},
): Promise<PersistenceApplication> {
  const { app } = await bootstrap(
    {
      socketPath: paths.socketPath,
      queuePath: paths.queuePath,
      storage: { baseDir: paths.baseDir },
      pollInterval: 50,
      ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
      ...(strictMode ? { validation: { strictMode: true } } : {}),
    },
    { logger: pino({ level: 'silent' }) },
  );
  await app.start();
  return app;
}

/** The series as stored (read-only, beside the service's writer); none while the store does not exist. */
async function stored(baseDir: string, symbol = 'LTCUSDT'): Promise<FootprintCandleDTO[]> {
  if (!existsSync(baseDir)) return [];
  const store = await openCandleStore({ baseDir, readOnly: true });
  try {
    return await store.findBySymbol(symbol, 'binance', '1m');
  } finally {
    await store.close();
  }
}

/** Paths under `dir`/data and a daemon config file naming them with 64 KiB frames. */
function smallFrameDaemonConfig(): { paths: Paths; config: string } {
  const paths = pathsIn(join(dir, 'data'));
  const config = join(dir, 'persistence.json');
  writeFileSync(
    config,
    JSON.stringify({ socketPath: paths.socketPath, queuePath: paths.queuePath, maxFrameBytes: 65_536 }),
  );
  return { paths, config };
}

describe(`flowtrace publish (${entryCommand('cli').label})`, () => {
  it('hands every valid candle to the running service, acknowledged, stored exactly as in the file; invalid lines reported, not sent, exit 1', async () => {
    const paths = pathsIn(join(dir, 'data'));
    const app = await startService(paths);
    try {
      const sent = candles(21, 1_100);
      const file = writeJsonl(join(dir, 'candles.jsonl'), sent);
      const flags = ['--socket-path', paths.socketPath, '--queue-path', paths.queuePath];
      const result = await runCli(['publish', file, ...flags, '--batch-size', '400'], dir, {
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(
        `published 1100 candles from ${file}: 1100 stored by the daemon, 0 queued for it (${paths.queuePath})\n`,
      );
      expect(result.stderr).toBe('');
      expect(await stored(paths.baseDir)).toEqual(sent);

      // Line 2 breaks a rule, line 4 is no JSON: reported by number, not sent; the others are.
      const other = candles(22, 3, 'ETHUSDT');
      const bad = { ...other[1]!, h: other[1]!.l - 1 };
      const mixed = writeJsonl(join(dir, 'mixed.jsonl'), [other[0], bad, other[2], '{not json']);
      const partly = await runCli(['publish', mixed, ...flags], dir, { timeoutMs: 60_000 });
      expect(partly.code, partly.stderr).toBe(1);
      expect(partly.stdout).toContain(
        `published 2 candles from ${mixed}: 2 stored by the daemon, 0 queued for it (${paths.queuePath})\n`,
      );
      expect(partly.stdout).toContain('2 invalid line(s) not published:');
      expect(partly.stdout).toMatch(/ {2}line 2: .*\bh\b/);
      expect(partly.stdout).toMatch(/ {2}line 4: unreadable/);
      expect(await stored(paths.baseDir, 'ETHUSDT')).toEqual([other[0], other[2]]);
    } finally {
      await app.stop();
    }
    // Nothing went through the queue: every batch was acknowledged over the socket.
    const queue = new SQLiteQueue({ dbPath: paths.queuePath, readOnly: true });
    try {
      expect(queue.stats().pending).toBe(0);
    } finally {
      queue.close();
    }
  });

  it('with no daemon running: queues the candles durably, says so, exits 0; the service drains them when it starts', async () => {
    const paths = pathsIn(join(dir, 'data'));
    // The daemon ran here before (it created its queue), and is stopped now.
    await (await startService(paths)).stop();
    const sent = candles(23, 700);
    const file = writeJsonl(join(dir, 'candles.jsonl'), sent);
    const result = await runCli(
      [
        'publish',
        file,
        '--socket-path',
        paths.socketPath,
        '--queue-path',
        paths.queuePath,
        '--wait-ms',
        '300',
      ],
      dir,
      { timeoutMs: 60_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      `published 700 candles from ${file}: 0 stored by the daemon, 700 queued for it (${paths.queuePath})\n`,
    );
    expect(result.stderr).toBe(
      `flowtrace publish: warning: the daemon is not reachable at ${paths.socketPath} (not connected within ` +
        `--wait-ms 300): the candles go to its durable queue ${paths.queuePath}, which the daemon drains when it runs\n`,
    );
    // Two candle:batch messages (500 + 200) pending, holding the file's candles in order.
    const queue = new SQLiteQueue({ dbPath: paths.queuePath, readOnly: true });
    try {
      expect(queue.stats().pending).toBe(2);
    } finally {
      queue.close();
    }
    const db = new Database(paths.queuePath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT type, payload FROM message_queue WHERE processed = 0 ORDER BY timestamp, rowid')
        .all() as Array<{ type: string; payload: string }>;
      expect(rows.map((r) => r.type)).toEqual(['candle:batch', 'candle:batch']);
      const queued = rows.flatMap(
        (r) => (JSON.parse(r.payload) as { candles: FootprintCandleDTO[] }).candles,
      );
      expect(queued).toEqual(sent);
    } finally {
      db.close();
    }
    expect(await stored(paths.baseDir)).toEqual([]);

    const app = await startService(paths);
    try {
      await waitFor(async () => (await stored(paths.baseDir)).length === sent.length, 'the queue drained');
    } finally {
      await app.stop();
    }
    expect(await stored(paths.baseDir)).toEqual(sent);
    const drained = new SQLiteQueue({ dbPath: paths.queuePath, readOnly: true });
    try {
      expect(drained.stats().pending).toBe(0);
    } finally {
      drained.close();
    }
  });

  it('--data-dir D finds the daemon at D/flowtrace.sock and its queue at D/queue.db, as the daemon does', async () => {
    const dataDir = join(dir, 'd');
    const paths = pathsIn(dataDir);
    const sent = candles(24, 50);
    const file = writeJsonl(join(dir, 'candles.jsonl'), sent);
    // No daemon ever ran with this data directory (no queue there): refused, nothing created, as a
    // queue nobody drains would strand the candles.
    const never = await runCli(['publish', file, '--data-dir', dataDir, '--wait-ms', '0'], dir, {
      timeoutMs: 60_000,
    });
    expect(never.code, never.stderr).toBe(1);
    expect(never.stderr).toContain(
      `no daemon queue at ${paths.queuePath}: the daemon creates it when it starts`,
    );
    expect(never.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
    // Stopped after a first run: the warning and the queue name the data directory's socket and queue.
    await (await startService(paths)).stop();
    const away = await runCli(['publish', file, '--data-dir', dataDir, '--wait-ms', '0'], dir, {
      timeoutMs: 60_000,
    });
    expect(away.code, away.stderr).toBe(0);
    expect(away.stderr).toContain(
      `not reachable at ${paths.socketPath} (not connected within --wait-ms 0): `,
    );
    expect(away.stderr).toContain(`durable queue ${paths.queuePath},`);
    expect(away.stdout).toContain(`50 queued for it (${paths.queuePath})`);
    // Relative, from the working directory, like the daemon's --data-dir.
    const app = await startService(paths);
    try {
      await waitFor(async () => (await stored(paths.baseDir)).length === sent.length, 'the queue drained');
      const more = candles(25, 30, 'ETHUSDT');
      const second = writeJsonl(join(dir, 'more.jsonl'), more);
      const running = await runCli(['publish', second, '--data-dir', 'd'], dir, { timeoutMs: 60_000 });
      expect(running.code, running.stderr).toBe(0);
      expect(running.stderr).toBe('');
      expect(running.stdout).toBe(
        `published 30 candles from ${second}: 30 stored by the daemon, 0 queued for it (${paths.queuePath})\n`,
      );
      expect(await stored(paths.baseDir, 'ETHUSDT')).toEqual(more);
    } finally {
      await app.stop();
    }
  });

  it("cuts batches to the daemon's maxFrameBytes from its config file: every one acknowledged, none queued", async () => {
    const { paths, config } = smallFrameDaemonConfig();
    const app = await startService(paths, 65_536);
    try {
      // 500 candles a batch: ~280 KB of JSON, above the daemon's 64 KiB frames but not the
      // publisher's default 1 MiB, which the daemon would refuse (closing the connection: queued).
      const sent = candles(29, 1_000);
      const file = writeJsonl(join(dir, 'candles.jsonl'), sent);
      const result = await runCli(['publish', file, '--config', config], dir, { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(
        `published 1000 candles from ${file}: 1000 stored by the daemon, 0 queued for it (${paths.queuePath})\n`,
      );
      expect(await stored(paths.baseDir)).toEqual(sent);
    } finally {
      await app.stop();
    }
  });

  it('counts and lists the candles a strict daemon refused in acknowledged batches, cut into parts or not; exit 1', async () => {
    const { paths, config } = smallFrameDaemonConfig();
    const app = await startService(paths, 65_536, { strictMode: true });
    try {
      // 700 candles: batch 1 (500, ~280 KB) is cut into parts for the 64 KiB frames, batch 2 (200)
      // too. A time zone other than UTC is a soft issue: publish accepts it (not strict), the
      // daemon's strict mode refuses it. Refused ones in the first and a later part of batch 1
      // and in batch 2, so each is counted at its place in the file.
      const sent = candles(31, 700);
      const soft = new Set([0, 3, 420, 499, 650]);
      const lines = sent.map((candle, index) => (soft.has(index) ? { ...candle, tz: 'CET' } : candle));
      const file = writeJsonl(join(dir, 'candles.jsonl'), lines);
      const result = await runCli(['publish', file, '--config', config], dir, { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(1);
      const report = result.stdout.split('\n');
      expect(report[0]).toBe(
        `published 700 candles from ${file}: 695 stored by the daemon, 0 queued for it (${paths.queuePath}), ` +
          '5 refused by its validation',
      );
      expect(report[1]).toBe(
        "5 candle(s) refused by the daemon's validation (not stored; in its rejected-candles log):",
      );
      for (const [k, index] of [...soft].entries()) {
        expect(report[2 + k]).toMatch(
          new RegExp(
            `^  line ${index + 1} \\(binance:LTCUSDT:1m:${sent[index]?.t}\\): Candle rejected: .*\\[time-zone\\]`,
          ),
        );
      }
      expect(report.slice(7)).toEqual(['']);
      expect(await stored(paths.baseDir)).toEqual(sent.filter((_, index) => !soft.has(index)));
    } finally {
      await app.stop();
    }
  });

  it('a batch the daemon refuses as invalid stops it with exit 1, saying how many candles were handed over before', async () => {
    // A daemon of our own socket server: acknowledges the first batch, refuses the second for good.
    const paths = pathsIn(join(dir, 'data'));
    mkdirSync(join(dir, 'data'));
    new SQLiteQueue({ dbPath: paths.queuePath }).close(); // a daemon creates its queue when it starts
    const server = new UnixSocketServer({ socketPath: paths.socketPath });
    const received: number[] = [];
    server.setRequestHandler(async (message) => {
      const { candles: batch } = message.payload as { candles: unknown[] };
      received.push(batch.length);
      if (received.length === 2)
        throw Object.assign(new Error('bad batch'), { code: 'TEST_INVALID', retryable: false });
      return { persisted: batch.length };
    });
    await server.start();
    try {
      const file = writeJsonl(join(dir, 'candles.jsonl'), candles(28, 6));
      const flags = ['--socket-path', paths.socketPath, '--queue-path', paths.queuePath, '--batch-size', '2'];
      const result = await runCli(['publish', file, ...flags], dir, { timeoutMs: 60_000 });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^flowtrace publish: stopped after handing 2 candles over \(they are safe: 2 stored by the daemon, 0 queued for it in .*queue\.db\); the next 2 and the rest of .* were not published: \[FLOWTRACE_PUBLISH_REJECTED\] .*bad batch\n$/,
      );
      // The third batch was never sent, nor queued.
      expect(received).toEqual([2, 2]);
    } finally {
      await server.stop();
    }
    const queue = new SQLiteQueue({ dbPath: paths.queuePath, readOnly: true });
    try {
      expect(queue.stats().pending).toBe(0);
    } finally {
      queue.close();
    }
  });

  it("refuses a --queue-path that is not a queue (the store's database, an empty file), leaving it untouched", async () => {
    const file = writeJsonl(join(dir, 'candles.jsonl'), candles(32, 3));
    const socketPath = join(dir, 'none.sock');
    // The candle database of a SQLite store: a SQLite file without the queue's tables.
    const storeDb = join(dir, 'candles.db');
    const db = new Database(storeDb);
    db.exec('CREATE TABLE candles (id TEXT PRIMARY KEY, data BLOB)');
    db.close();
    const empty = join(dir, 'plain.db');
    writeFileSync(empty, '');
    for (const queuePath of [storeDb, empty]) {
      const before = readFileSync(queuePath);
      const result = await runCli(
        ['publish', file, '--socket-path', socketPath, '--queue-path', queuePath, '--wait-ms', '0'],
        dir,
        { timeoutMs: 60_000 },
      );
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^flowtrace publish: ${queuePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not the daemon's queue, nothing was published: .*not a queue database`,
        ),
      );
      expect(readFileSync(queuePath)).toEqual(before);
      expect(existsSync(`${queuePath}-wal`)).toBe(false);
    }
  });

  it('a daemon that connects after --wait-ms takes every batch, with no warning', async () => {
    const paths = pathsIn(join(dir, 'data'));
    const app = await startService(paths);
    try {
      // --wait-ms 1: the connection is not made within it, but it is by the time the first batch goes.
      const sent = candles(33, 1_200);
      const file = writeJsonl(join(dir, 'candles.jsonl'), sent);
      const flags = ['--socket-path', paths.socketPath, '--queue-path', paths.queuePath, '--wait-ms', '1'];
      const result = await runCli(['publish', file, ...flags], dir, { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(
        `published 1200 candles from ${file}: 1200 stored by the daemon, 0 queued for it (${paths.queuePath})\n`,
      );
    } finally {
      await app.stop();
    }
  });

  it('usage and configuration errors exit 2 and send nothing; an unreadable file exits 1', async () => {
    const file = writeJsonl(join(dir, 'candles.jsonl'), candles(26, 2));
    const dataDir = join(dir, 'untouched');
    for (const [args, message] of [
      [['--batch-size', '0'], '--batch-size must be a positive integer'],
      [['--wait-ms=-1'], '--wait-ms must be an integer from 0 to 2147483647'],
      [['--wait-ms', '1.5'], '--wait-ms must be an integer from 0 to 2147483647'],
      [['--wait-ms', '99999999999999999'], '--wait-ms must be an integer from 0 to 2147483647'],
      [['--format', 'xml'], '--format must be jsonl or csv'],
      [['--config', join(dir, 'missing.yaml')], 'cannot read config file'],
      // A setting the daemon refuses at start (exit 78 there) is refused here too.
      [['--config', writeJsonl(join(dir, 'bogus.json'), [{ bogus: 1 }])], "the daemon's configuration: "],
      [['--config', writeJsonl(join(dir, 'frames.json'), [{ maxFrameBytes: 12 }])], 'maxFrameBytes'],
    ] as const) {
      const result = await runCli(['publish', file, '--data-dir', dataDir, ...args], dir);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("Run 'flowtrace publish --help' for usage.");
    }
    const missing = await runCli(['publish', join(dir, 'nope.jsonl'), '--data-dir', dataDir], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot read ${join(dir, 'nope.jsonl')}`);
    // No queue (nor its directory) was created for any of them.
    expect(existsSync(dataDir)).toBe(false);
  });

  it('import into a store the running service holds is refused with its lock code, and points to publish', async () => {
    const paths = pathsIn(join(dir, 'data'));
    const file = writeJsonl(join(dir, 'candles.jsonl'), candles(27, 3));
    const app = await startService(paths);
    try {
      const result = await runCli(['import', paths.baseDir, file], dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^flowtrace import: \[FLOWTRACE_STORAGE_LOCKED\] Store .* is locked by /);
      expect(result.stderr).toContain(
        `if it is the daemon, "flowtrace publish ${file}" hands the candles to it without stopping it`,
      );
    } finally {
      await app.stop();
    }
  });
});
