/**
 * `pnpm demo` (the README's main command): the whole pipeline on embedded defaults.
 *
 * 1. starts the daemon (`flowtrace-persistence`, no configuration: everything under ./data);
 * 2. replays real LTCUSDT trades from ../shared/data (or seeded synthetic trades when
 *    that folder is absent) through core's FootprintBuilder into 1m/5m/1h candles;
 * 3. publishes every completed candle through the HybridPublisher (socket, with the
 *    durable queue as fallback);
 * 4. kills the daemon with SIGKILL half-way and starts it again: candles published
 *    meanwhile go to the queue, and the restarted daemon drains it;
 * 5. stops the daemon and prints what was stored, checking every published candle.
 *
 * Environment: FLOWTRACE_DATA_DIR (default ./data), FLOWTRACE_HEALTH_CHECK_PORT (default 0: an
 * ephemeral port, so that a busy 3001 cannot stop the demo; the demo itself never calls it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  candleKeyToString,
  FootprintBuilder,
  type FootprintCandleDTO,
  readTradesCsv,
  SeededRandom,
  type TimeframeName,
  type Trade,
} from '@flowtrace/core';
import { HybridPublisher } from '@flowtrace/ipc';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tradesFile = resolve(root, '..', 'shared', 'data', 'ltcusdt-aggtrades-2025-06', 'trades.csv.gz');
const dataDir = resolve(process.env.FLOWTRACE_DATA_DIR ?? 'data');
const socketPath = join(dataDir, 'flowtrace.sock');
const queuePath = join(dataDir, 'queue.db');
const storeDir = join(dataDir, 'candles');
const timeframes: TimeframeName[] = ['1m', '5m', '1h'];
const log = (message: string) => console.log(`[demo] ${message}`);

function* syntheticTrades(count: number): Generator<Trade> {
  const random = new SeededRandom(42);
  let priceTicks = 8_000;
  let time = Date.UTC(2025, 5, 21, 12, 0, 0);
  for (let tradeId = 1; tradeId <= count; tradeId++) {
    priceTicks = Math.max(1, priceTicks + random.int(-2, 2));
    time += random.int(0, 1_500);
    yield {
      price: priceTicks / 100,
      quantity: random.int(1, 5_000) / 1_000,
      isBuyerMaker: random.chance(0.5),
      tradeId,
      time,
    };
  }
}

function startDaemon(): ChildProcess {
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const daemon = spawn(
    process.execPath,
    ['--conditions=flowtrace-source', '--import', tsx, join(root, 'apps', 'daemon', 'src', 'daemon.ts')],
    {
      env: {
        ...process.env,
        FLOWTRACE_DATA_DIR: dataDir,
        FLOWTRACE_HEALTH_CHECK_PORT: process.env.FLOWTRACE_HEALTH_CHECK_PORT ?? '0',
        FLOWTRACE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  log(`daemon started (pid ${daemon.pid}) on embedded defaults under ${dataDir}`);
  return daemon;
}

/** Whether a daemon accepts connections on the socket right now. */
function socketAccepts(): Promise<boolean> {
  return new Promise<boolean>((r) => {
    const s = connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

async function waitForSocket(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A daemon that failed to start (its error is above) will not bring the socket up.
    if (!running(child))
      throw new Error(
        `the daemon exited (code ${child.exitCode ?? child.signalCode}) before its socket came up`,
      );
    if (await socketAccepts()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`daemon socket ${socketPath} did not come up within ${timeoutMs} ms`);
}

const keyOf = (candle: FootprintCandleDTO): string =>
  candleKeyToString({
    exchange: candle.ex,
    symbol: candle.s,
    timeframe: candle.i as TimeframeName,
    openTime: candle.t,
  });

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child: ChildProcess): Promise<number | null> {
  return running(child)
    ? new Promise((r) => child.once('exit', (code) => r(code)))
    : Promise.resolve(child.exitCode);
}

function directoryBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const path = join(dir, e.name);
    return sum + (e.isDirectory() ? directoryBytes(path) : statSync(path).size);
  }, 0);
}

// Another daemon serving this data directory would hold the store's lock, and its socket would
// answer in place of the demo's own daemon (which could not start): the demo would kill nothing.
if (await socketAccepts()) {
  console.error(
    `[demo] a daemon is already serving ${socketPath}: stop it, or point FLOWTRACE_DATA_DIR at another directory`,
  );
  process.exit(1);
}
let daemon = startDaemon();
// Whatever goes wrong below, the daemon must not outlive the demo: it shares the demo's
// stdout/stderr, so an orphaned daemon would also keep whoever reads them waiting forever.
process.once('exit', () => {
  if (running(daemon)) daemon.kill('SIGKILL');
});
try {
  await waitForSocket(daemon);

  const source = existsSync(tradesFile)
    ? { label: `real trades from ${tradesFile}`, trades: readTradesCsv(tradesFile), total: 152_763 }
    : {
        label: 'seeded synthetic trades (../shared/data not found beside the repository)',
        trades: syntheticTrades(150_000),
        total: 150_000,
      };
  log(`replaying ${source.label} into ${timeframes.join('/')} footprint candles`);

  const builder = new FootprintBuilder({
    exchange: 'binance',
    symbol: 'LTCUSDT',
    asset: 'LTC',
    timeframes,
    tickValue: 0.01,
  });
  const publisher = new HybridPublisher({ socketPath, queuePath, requestTimeoutMs: 2_000 });
  const published = new Map<string, FootprintCandleDTO>();
  const via = { socket: 0, queue: 0 };
  const inFlight = new Set<Promise<void>>();
  const publish = async (candle: FootprintCandleDTO) => {
    published.set(keyOf(candle), candle);
    const task = publisher.publish({ type: 'candle:complete', payload: candle }).then((r) => {
      via[r.via]++;
    });
    inFlight.add(task);
    // The failure itself surfaces through Promise.race/Promise.all below.
    task.finally(() => inFlight.delete(task)).catch(() => undefined);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  };

  let trades = 0;
  let killedAt: number | undefined;
  let daemonDown = false;
  const started = performance.now();
  for await (const trade of source.trades) {
    trades++;
    for (const candle of builder.push(trade)) await publish(candle);
    if (killedAt === undefined && trades >= source.total / 2) {
      killedAt = trades;
      log(`half-way (${trades.toLocaleString('en-US')} trades): killing the daemon with SIGKILL …`);
      daemon.kill('SIGKILL');
      await exited(daemon);
      daemonDown = true;
      log('daemon killed; the publisher keeps going and spills candles to the durable queue');
    } else if (daemonDown && killedAt !== undefined && trades >= killedAt + 5_000) {
      daemonDown = false;
      daemon = startDaemon();
      await waitForSocket(daemon);
      log(
        'daemon restarted: it drains the queue, then the publisher is back on the socket (publish order kept)',
      );
    }
  }
  for (const candle of builder.flush()) await publish({ ...candle, x: true });
  await Promise.all(inFlight);
  await publisher.close();
  log(
    `published ${published.size} candles from ${trades.toLocaleString('en-US')} trades in ${((performance.now() - started) / 1000).toFixed(1)} s: ${via.socket} acknowledged over the socket, ${via.queue} via the queue`,
  );

  // Give the restarted daemon's poller time to drain what was queued, then stop it gracefully.
  const drainDeadline = Date.now() + 30_000;
  const store = () => openCandleStore({ baseDir: storeDir, readOnly: true });
  let missing = published.size;
  while (Date.now() < drainDeadline) {
    const reader = await store();
    try {
      let found = 0;
      for await (const candle of reader.iterate()) {
        if (published.has(keyOf(candle))) found++;
      }
      missing = published.size - found;
    } finally {
      await reader.close();
    }
    if (missing === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  daemon.kill('SIGTERM');
  const code = await exited(daemon);
  log(`daemon stopped (exit code ${code})`);

  const reader = await store();
  try {
    const series = await reader.listSeries();
    let identical = 0;
    for await (const candle of reader.iterate()) {
      if (JSON.stringify(published.get(keyOf(candle))) === JSON.stringify(candle)) identical++;
    }
    const storedCount = series.reduce((n, s) => n + s.count, 0);
    const bytes = directoryBytes(storeDir);
    console.log('\nstored series:');
    console.table(
      series.map((s) => ({
        exchange: s.exchange,
        symbol: s.symbol,
        timeframe: s.timeframe,
        first: new Date(s.firstOpenTime).toISOString(),
        last: new Date(s.lastOpenTime).toISOString(),
        candles: s.count,
      })),
    );
    console.log(
      `store: ${storeDir}, ${bytes.toLocaleString('en-US')} bytes for ${storedCount} candles = ${(bytes / Math.max(1, storedCount)).toFixed(1)} bytes per candle (bins included)`,
    );
    console.log(
      `published ${published.size}, stored identical ${identical}, lost ${published.size - identical}`,
    );
    const hourly = await reader.findBySymbol('LTCUSDT', 'binance', '1h', { limit: 5 });
    console.log('\nfirst hourly candles:');
    console.table(
      hourly.map((c) => ({
        open: new Date(c.t).toISOString().slice(0, 16),
        o: c.o,
        h: c.h,
        l: c.l,
        c: c.c,
        volume: c.v,
        delta: c.d,
        trades: c.n,
        bins: c.aggs.length,
      })),
    );
    if (identical !== published.size || code !== 0) process.exitCode = 1;
  } finally {
    await reader.close();
  }
} catch (error) {
  console.error(`[demo] failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
  // A graceful stop: the daemon bounds it itself (stopTimeoutMs), then exits.
  if (running(daemon)) {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
}
