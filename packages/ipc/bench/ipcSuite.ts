/**
 * Lives inside packages/ipc so that better-sqlite3 (the baseline) and the
 * package's own dependencies resolve; bench/suites/ipc.ts re-exports it.
 *
 * @flowtrace/ipc benchmarks: socket throughput and latency, queue write and
 * drain rates, each beside a baseline measured in the same run (bare `net`
 * sockets, plain better-sqlite3). Client and server share this process, for the
 * figure and for its baseline alike.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { BenchContext, BenchFigure, BenchSuite } from '../../../bench/lib/types';
import { encodeFrame, SQLiteQueue, UnixSocketClient, UnixSocketServer } from '../src/index';

const SUITE = 'ipc';

const suite: BenchSuite = async (ctx) => {
  const figures: BenchFigure[] = [];
  figures.push(await oneWayThroughput(ctx));
  figures.push(...(await roundTrips(ctx, 200)));
  figures.push(...(await roundTrips(ctx, 4096)));
  figures.push(await enqueueBatchRate(ctx));
  figures.push(await durableEnqueueRate(ctx));
  figures.push(await drainRate(ctx));
  return figures;
};
export default suite;

function message(i: number, payloadBytes: number) {
  return {
    id: `m-${i}`,
    type: 'candle:complete',
    payload: { s: 'LTCUSDT', p: 'x'.repeat(payloadBytes) },
    timestamp: 1_700_000_000_000 + i,
  };
}

/** Pads the payload so the whole frame (header + JSON) is about `frameBytes`. */
function messageOfFrameSize(i: number, frameBytes: number) {
  const base = encodeFrame(message(i, 0)).length;
  return message(i, Math.max(0, frameBytes - base));
}

async function listen(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function connectRaw(path: string): Promise<Socket> {
  const socket = createConnection(path);
  await once(socket, 'connect');
  return socket;
}

// ---------------------------------------------------------------- throughput

async function oneWayThroughput(ctx: BenchContext): Promise<BenchFigure> {
  const total = ctx.quick ? 100_000 : 600_000;
  const frames = Array.from({ length: 1000 }, (_, i) => messageOfFrameSize(i, 200));
  const frameSize = encodeFrame(frames[0]).length;

  // Baseline: bare net, the same encoded bytes, one socket.write per frame, receiver only counts bytes.
  const encoded = frames.map((m) => encodeFrame(m));
  const rawPath = join(ctx.tmpDir, 'raw.sock');
  let rawBytes = 0;
  let rawDone: () => void = () => undefined;
  const rawServer = createServer((s) =>
    s.on('data', (chunk: Buffer) => {
      rawBytes += chunk.length;
      if (rawBytes >= expectedBytes) rawDone();
    }),
  );
  let expectedBytes = 0;
  for (let i = 0; i < total; i++) expectedBytes += (encoded[i % 1000] as Buffer).length;
  await listen(rawServer, rawPath);
  const raw = await connectRaw(rawPath);
  const rawFinished = new Promise<void>((r) => {
    rawDone = r;
  });
  const rawStart = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    if (!raw.write(encoded[i % 1000] as Buffer)) await once(raw, 'drain');
  }
  await rawFinished;
  const rawSeconds = Number(process.hrtime.bigint() - rawStart) / 1e9;
  raw.destroy();
  await closeServer(rawServer);
  const baseline = total / rawSeconds;

  // FlowTrace: UnixSocketClient.send -> UnixSocketServer message handler (decode + JSON.parse + validate).
  const path = join(ctx.tmpDir, 'ft.sock');
  const server = new UnixSocketServer({ socketPath: path });
  let received = 0;
  let done: () => void = () => undefined;
  server.setMessageHandler(() => {
    if (++received === total) done();
  });
  await server.start();
  const client = new UnixSocketClient({ socketPath: path, autoReconnect: false });
  await client.connect();
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    const sent = client.send(frames[i % 1000] as ReturnType<typeof message>);
    if (i % 512 === 511) await sent; // waits only when the write buffer is over its high-water mark
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await client.disconnect();
  await server.stop();
  const value = total / seconds;
  ctx.log(
    `one-way: ${total} frames of ${frameSize} B in ${seconds.toFixed(2)} s (bare net ${rawSeconds.toFixed(2)} s)`,
  );
  return {
    suite: SUITE,
    name: `one-way throughput, ${frameSize} B frames`,
    unit: 'frames/s',
    value,
    higherIsBetter: true,
    baseline: { name: 'bare net socket, same bytes, one write per frame', value: baseline },
    goal: '>= 80% of baseline and >= 300k frames/s',
    goalMet: value >= 0.8 * baseline && value >= 300_000,
    note: 'client and server in one process; FlowTrace side includes JSON encode, frame decode, JSON.parse and envelope checks per frame; baseline receiver only counts bytes',
  };
}

// ---------------------------------------------------------------- latency

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function roundTrips(ctx: BenchContext, requestBytes: number): Promise<BenchFigure[]> {
  const iterations = ctx.quick ? 2_000 : 20_000;
  const warmup = 1_000;
  const msg = messageOfFrameSize(0, requestBytes);
  const frame = encodeFrame(msg);

  // Baseline: bare net echo of the same frame bytes.
  const rawPath = join(ctx.tmpDir, `echo-${requestBytes}.sock`);
  const echo = createServer((s) => s.on('data', (chunk: Buffer) => s.write(chunk)));
  await listen(echo, rawPath);
  const raw = await connectRaw(rawPath);
  raw.setNoDelay?.(true);
  let got = 0;
  let wake: () => void = () => undefined;
  raw.on('data', (chunk: Buffer) => {
    got += chunk.length;
    if (got >= frame.length) wake();
  });
  const rawSamples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    got = 0;
    const back = new Promise<void>((r) => {
      wake = r;
    });
    const t0 = process.hrtime.bigint();
    raw.write(frame);
    await back;
    if (i >= warmup) rawSamples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  raw.destroy();
  await closeServer(echo);

  // FlowTrace: request() -> request handler -> success response.
  const path = join(ctx.tmpDir, `rt-${requestBytes}.sock`);
  const server = new UnixSocketServer({ socketPath: path });
  server.setRequestHandler((m) => ({ candleId: m.id, persistedAt: 1 }));
  await server.start();
  const client = new UnixSocketClient({ socketPath: path, autoReconnect: false });
  await client.connect();
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const t0 = process.hrtime.bigint();
    await client.request({ ...msg, id: `rt-${i}` });
    if (i >= warmup) samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await client.disconnect();
  await server.stop();

  samples.sort((a, b) => a - b);
  rawSamples.sort((a, b) => a - b);
  const goalP99 = requestBytes <= 200 ? 300 : 500;
  const label = requestBytes >= 1024 ? `${requestBytes / 1024} KB` : `${requestBytes} B`;
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  ctx.log(`round trip ${label}: p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs over ${iterations}`);
  return [
    {
      suite: SUITE,
      name: `request/response round trip p50, ${label} requests`,
      unit: 'µs',
      value: p50,
      higherIsBetter: false,
      baseline: { name: 'bare net echo p50', value: percentile(rawSamples, 50) },
    },
    {
      suite: SUITE,
      name: `request/response round trip p99, ${label} requests`,
      unit: 'µs',
      value: p99,
      higherIsBetter: false,
      baseline: { name: 'bare net echo p99', value: percentile(rawSamples, 99) },
      goal: `p99 <= ${goalP99} µs`,
      goalMet: p99 <= goalP99,
      note: 'sequential requests, client and server in one process',
    },
  ];
}

// ---------------------------------------------------------------- queue

const LEGACY_TABLE = `CREATE TABLE IF NOT EXISTS message_queue (message_id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL,
  timestamp INTEGER NOT NULL, processed INTEGER DEFAULT 0, processed_at INTEGER, created_at INTEGER DEFAULT (strftime('%s','now')));
  CREATE INDEX IF NOT EXISTS idx_q ON message_queue(processed, timestamp);
  CREATE INDEX IF NOT EXISTS idx_q_at ON message_queue(processed, processed_at);`;

function plainDb(path: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(LEGACY_TABLE);
  return db;
}

async function enqueueBatchRate(ctx: BenchContext): Promise<BenchFigure> {
  const rows = ctx.quick ? 20_000 : 100_000;
  const batch = 1_000;
  const rounds = ctx.quick ? 1 : 3;
  const messages = Array.from({ length: rows }, (_, i) => message(i, 1_000));

  const plainRun = (round: number): number => {
    const db = plainDb(join(ctx.tmpDir, `plain-batch-${round}.db`));
    const insert = db.prepare(
      'INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES (?, ?, ?, ?)',
    );
    const insertMany = db.transaction((slice: typeof messages) => {
      for (const m of slice) insert.run(m.id, m.type, JSON.stringify(m.payload), m.timestamp);
    });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rows; i += batch) insertMany(messages.slice(i, i + batch));
    const rate = rows / (Number(process.hrtime.bigint() - t0) / 1e9);
    db.close();
    return rate;
  };
  const queueRun = (round: number): number => {
    const queue = new SQLiteQueue({ dbPath: join(ctx.tmpDir, `ft-batch-${round}.db`) });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rows; i += batch) queue.enqueueBatch(messages.slice(i, i + batch));
    const rate = rows / (Number(process.hrtime.bigint() - t0) / 1e9);
    queue.close();
    return rate;
  };
  // Interleaved rounds, best of each: the machine is shared, so the best round
  // is the one least disturbed by other processes, for both sides alike.
  let baseline = 0;
  let value = 0;
  for (let round = 0; round < rounds; round++) {
    baseline = Math.max(baseline, plainRun(round));
    value = Math.max(value, queueRun(round));
  }
  ctx.log(`enqueueBatch: best of ${rounds} interleaved rounds of ${rows} rows`);
  return {
    suite: SUITE,
    name: 'queue enqueueBatch, 1 KB payloads, 1,000 per batch',
    unit: 'rows/s',
    value,
    higherIsBetter: true,
    baseline: { name: 'plain better-sqlite3 INSERT, one transaction per 1,000', value: baseline },
    goal: '>= 100k rows/s',
    goalMet: value >= 100_000,
    note: `synchronous=FULL, WAL, both sides, best of ${rounds} interleaved rounds; same original table and indexes; FlowTrace also validates every message and ignores duplicate ids`,
  };
}

async function durableEnqueueRate(ctx: BenchContext): Promise<BenchFigure> {
  const count = ctx.quick ? 500 : 1_500;
  const rounds = ctx.quick ? 1 : 3;
  const messages = Array.from({ length: count }, (_, i) => message(i, 200));

  const plainRun = (round: number): number => {
    const db = plainDb(join(ctx.tmpDir, `plain-single-${round}.db`));
    const insert = db.prepare(
      'INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES (?, ?, ?, ?)',
    );
    const t0 = process.hrtime.bigint();
    for (const m of messages) insert.run(m.id, m.type, JSON.stringify(m.payload), m.timestamp);
    const rate = count / (Number(process.hrtime.bigint() - t0) / 1e9);
    db.close();
    return rate;
  };
  const queueRun = (round: number): number => {
    const queue = new SQLiteQueue({ dbPath: join(ctx.tmpDir, `ft-single-${round}.db`) });
    const t0 = process.hrtime.bigint();
    for (const m of messages) queue.enqueue(m);
    const rate = count / (Number(process.hrtime.bigint() - t0) / 1e9);
    queue.close();
    return rate;
  };
  let baseline = 0;
  let value = 0;
  for (let round = 0; round < rounds; round++) {
    baseline = Math.max(baseline, plainRun(round));
    value = Math.max(value, queueRun(round));
  }
  return {
    suite: SUITE,
    name: 'queue single durable enqueue (fsync per message)',
    unit: 'msgs/s',
    value,
    higherIsBetter: true,
    baseline: { name: 'plain better-sqlite3 INSERT, synchronous=FULL', value: baseline },
    goal: '>= 4k msgs/s',
    goalMet: value >= 4_000,
    note: `best of ${rounds} interleaved rounds; bounded by the fsync latency of the disk under tmpdir (shared with other processes), like its baseline`,
  };
}

async function drainRate(ctx: BenchContext): Promise<BenchFigure> {
  const rows = ctx.quick ? 20_000 : 100_000;
  const batch = 1_000;
  const rounds = ctx.quick ? 1 : 3;
  const messages = Array.from({ length: rows }, (_, i) => message(i, 200));

  // Baseline: the original consumer's way, SELECT oldest unprocessed then UPDATE processed = 1 per id.
  const plainRun = (round: number): number => {
    const db = plainDb(join(ctx.tmpDir, `plain-drain-${round}.db`));
    const insert = db.prepare(
      'INSERT INTO message_queue (message_id, type, payload, timestamp) VALUES (?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (const m of messages) insert.run(m.id, m.type, JSON.stringify(m.payload), m.timestamp);
    })();
    const select = db.prepare(
      'SELECT message_id, type, payload, timestamp FROM message_queue WHERE processed = 0 ORDER BY timestamp LIMIT ?',
    );
    const mark = db.prepare('UPDATE message_queue SET processed = 1, processed_at = ? WHERE message_id = ?');
    const markAll = db.transaction((ids: string[]) => {
      const at = Math.floor(Date.now() / 1000);
      for (const id of ids) mark.run(at, id);
    });
    const t0 = process.hrtime.bigint();
    for (;;) {
      const got = select.all(batch) as Array<{ message_id: string; payload: string }>;
      if (got.length === 0) break;
      for (const r of got) JSON.parse(r.payload);
      markAll(got.map((r) => r.message_id));
    }
    const rate = rows / (Number(process.hrtime.bigint() - t0) / 1e9);
    db.close();
    return rate;
  };

  const queueRun = (round: number): number => {
    const queue = new SQLiteQueue({ dbPath: join(ctx.tmpDir, `ft-drain-${round}.db`) });
    queue.enqueueBatch(messages);
    const t0 = process.hrtime.bigint();
    let drained = 0;
    for (;;) {
      const got = queue.dequeue(batch);
      if (got.length === 0) break;
      drained += queue.markProcessed(got.map((m) => m.id));
    }
    const rate = drained / (Number(process.hrtime.bigint() - t0) / 1e9);
    queue.close();
    return rate;
  };

  let baseline = 0;
  let value = 0;
  for (let round = 0; round < rounds; round++) {
    baseline = Math.max(baseline, plainRun(round));
    value = Math.max(value, queueRun(round));
  }
  return {
    suite: SUITE,
    name: 'queue drain, dequeue(1,000) + markProcessed',
    unit: 'msgs/s',
    value,
    higherIsBetter: true,
    baseline: { name: 'plain SELECT + UPDATE processed per batch (no lease)', value: baseline },
    goal: '>= 80k msgs/s',
    goalMet: value >= 80_000,
    note: `best of ${rounds} interleaved rounds; FlowTrace leases each batch (one UPDATE ... RETURNING, committed) before handing it out, so a killed consumer loses nothing: two commits per batch instead of one`,
  };
}
