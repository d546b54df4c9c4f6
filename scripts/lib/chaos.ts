import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { checkDelivery, type DeliveryReport } from './checkDelivery';
import { DaemonProcess, daemonPaths, sleep } from './daemon';
import type { ProducerConfig } from './producerProtocol';
import { ProducerProcess } from './producers';
import { SeededRandom } from './random';

/** Where a SIGKILL landed, as observed from outside the daemon. */
export type KillPoint = 'serving' | 'during-queue-drain' | 'during-start-up';

export interface ChaosOptions {
  kills: number;
  useDatabase: boolean;
  /** Hybrid (socket first, queue fallback) producers; one more queue-only producer is always added. */
  hybridProducers?: number;
  concurrency?: number;
  /** Candles per second of each hybrid producer. */
  ratePerProducer?: number;
  /** Up-time range before a 'serving' kill, ms. */
  minUpMs?: number;
  maxUpMs?: number;
  seed?: number;
  log?: (line: string) => void;
  /** Keep the data directory (printed) instead of removing it. */
  keep?: boolean;
}

export interface ChaosReport {
  store: '.ftcd' | 'sqlite';
  kills: number;
  killsByPoint: Record<KillPoint, number>;
  /** Restarts that reached READY (every restart must: a store that cannot recover fails the run). */
  restarts: number;
  delivery: DeliveryReport;
  /** Good candles the daemon refused as invalid (must be 0). */
  publishRejected: number;
  /** publish() calls that neither got an ack nor reached the queue (must be 0). */
  publishFailed: number;
  durationMs: number;
  ok: boolean;
}

/**
 * Runs the real daemon with producers streaming 50-bin candles, SIGKILLs it
 * `kills` times at random moments (and at points approximated from outside:
 * while its queue has leased or pending rows, and before READY during start-up
 * recovery), restarts it each time, then lets everything drain and checks
 * every promise of every producer.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const began = performance.now();
  const log = options.log ?? (() => undefined);
  const random = new SeededRandom(options.seed ?? 0xc4a05);
  const minUp = options.minUpMs ?? 300;
  const maxUp = options.maxUpMs ?? 1000;
  const root = mkdtempSync(join(tmpdir(), 'flowtrace-chaos-'));
  const paths = daemonPaths(join(root, 'data'));
  mkdirSync(paths.dataDir, { recursive: true });
  const daemonArgs = ['--storage-use-database', String(options.useDatabase), '--poll-interval', '50'];

  const configs: ProducerConfig[] = [];
  const hybrid = options.hybridProducers ?? 3;
  for (let i = 0; i <= hybrid; i++) {
    const queueOnly = i === hybrid;
    configs.push({
      socketPath: queueOnly ? join(root, 'no-daemon-here.sock') : paths.socketPath,
      queuePath: paths.queuePath,
      ledgerPath: join(root, `ledger-${i}.txt`),
      seed: 1000 + i,
      symbol: `CHAOS${i}USDT`,
      exchange: 'binance',
      count: 10_000_000,
      concurrency: options.concurrency ?? 16,
      rate: queueOnly ? 100 : (options.ratePerProducer ?? 300),
      durationMs: 0,
      statsEveryMs: 0,
      idPrefix: `chaos-${i}-`,
      requestTimeoutMs: 2_000,
    });
  }

  const killsByPoint: Record<KillPoint, number> = {
    serving: 0,
    'during-queue-drain': 0,
    'during-start-up': 0,
  };
  let restarts = 0;
  let producers: ProducerProcess[] = [];
  let daemon: DaemonProcess | undefined;
  const queue = new SQLiteQueue({ dbPath: paths.queuePath });
  let lastReadyMs = 1500;
  try {
    daemon = new DaemonProcess(paths, daemonArgs);
    await daemon.waitReady();
    producers = configs.map((config) => new ProducerProcess(config));
    await sleep(500);

    for (let kill = 0; kill < options.kills; kill++) {
      // Every iteration begins with a daemon just spawned (READY or not) and kills it once.
      const plan: KillPoint =
        kill % 5 === 4 ? 'during-start-up' : kill % 5 === 2 ? 'during-queue-drain' : 'serving';
      let landed: KillPoint = 'serving';
      if (plan === 'during-start-up') {
        await sleep(random.between(0, lastReadyMs * 0.8));
        if (!daemon.isReady) landed = 'during-start-up';
      } else {
        await daemon.waitReady();
        restarts++;
        lastReadyMs = daemon.readyAfterMs ?? lastReadyMs;
        if (plan === 'during-queue-drain') {
          // Right after a restart the queue holds what producers queued while it was down:
          // kill as soon as the daemon holds leased rows (a batch being persisted).
          const deadline = performance.now() + maxUp;
          while (performance.now() < deadline) {
            if (queue.stats().inFlight > 0) {
              landed = 'during-queue-drain';
              break;
            }
            await sleep(2);
          }
        } else {
          await sleep(random.between(minUp, maxUp));
        }
      }
      const exit = await daemon.kill9();
      if (exit.signal !== 'SIGKILL') {
        throw new Error(`daemon died by itself (${JSON.stringify(exit)}): ${daemon.output()}`);
      }
      killsByPoint[landed]++;
      log(`kill ${kill + 1}/${options.kills}: ${landed}`);
      daemon = new DaemonProcess(paths, daemonArgs);
    }
    await daemon.waitReady();
    restarts++;
    await sleep(500);

    // Final drain: producers stop (their last publishes settle), the daemon
    // consumes the queue, including rows leased by killed instances once their
    // lease (30 s) expires.
    log('stopping producers');
    const finished = await Promise.all(producers.map((p) => p.stop()));
    const publishRejected = finished.reduce((sum, done) => sum + done.rejected, 0);
    const publishFailed = finished.reduce((sum, done) => sum + done.failed, 0);
    log('waiting for the queue to drain');
    const drainDeadline = performance.now() + 60_000;
    for (;;) {
      const stats = queue.stats();
      if (stats.pending === 0 && stats.inFlight === 0) break;
      if (performance.now() > drainDeadline) {
        throw new Error(`queue did not drain within 60 s: ${JSON.stringify(stats)}`);
      }
      await sleep(200);
    }
    log(`queue drained in ${Math.round(performance.now() + 60_000 - drainDeadline)} ms`);
    const exit = await daemon.stop();
    if (exit.code !== 0)
      throw new Error(`final graceful stop exited ${JSON.stringify(exit)}: ${daemon.output()}`);
    queue.close();
    log('checking');
    const delivery = await checkDelivery({
      producers: configs,
      storeDir: paths.storeDir,
      useDatabase: options.useDatabase,
      queuePath: paths.queuePath,
    });
    const ok =
      delivery.lost === 0 &&
      delivery.duplicates === 0 &&
      delivery.corrupted === 0 &&
      delivery.queueRowsNotProcessed === 0 &&
      delivery.queue.pending === 0 &&
      delivery.queue.inFlight === 0 &&
      delivery.queue.dead === 0 &&
      delivery.verifyExitCode === 0 &&
      delivery.promised > 0 &&
      publishRejected === 0 &&
      publishFailed === 0;
    return {
      store: options.useDatabase ? 'sqlite' : '.ftcd',
      kills: Object.values(killsByPoint).reduce((a, b) => a + b, 0),
      killsByPoint,
      restarts,
      delivery,
      publishRejected,
      publishFailed,
      durationMs: Math.round(performance.now() - began),
      ok,
    };
  } finally {
    if (!queue.isClosed) queue.close();
    for (const producer of producers) producer.child.kill('SIGKILL');
    await daemon?.kill9();
    if (options.keep) log(`data kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}
