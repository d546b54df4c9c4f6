import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import {
  type ChaosKillArgs,
  chaosKillArgv,
  FTCD_KILL_POINTS,
  type ProbeKillPoint,
  SQLITE_KILL_POINTS,
} from './chaosKillArgs';
import { checkDelivery, type DeliveryReport } from './checkDelivery';
import { DaemonProcess, daemonPaths, sleep } from './daemon';
import type { ProducerConfig } from './producerProtocol';
import { ProducerProcess } from './producers';
import { SeededRandom } from './random';
import { daemonEntryArgs, REPO_ROOT, tsScriptArgs } from './repo';

/**
 * Where a SIGKILL landed: a named point of the write path, hit exactly (the
 * daemon's probe killed it there: chaosDaemonEntry.ts), or, from outside,
 * 'serving' (random up time) and 'during-start-up' (before READY, by timing).
 */
export type KillPoint = 'serving' | 'during-start-up' | ProbeKillPoint;

/** A probe kill that did not happen within this time after spawning is done from outside ('serving'). */
const PROBE_KILL_TIMEOUT_MS = 10_000;

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
  /** Probe kills whose point was not hit in time (then killed from outside, counted as 'serving'). */
  probeMisses: number;
  /** Restarts that reached READY (every restart must: a store that cannot recover fails the run). */
  restarts: number;
  delivery: DeliveryReport;
  /** Good candles the daemon refused as invalid (must be 0). */
  publishRejected: number;
  /** publish() calls that neither got an ack nor reached the queue (must be 0). */
  publishFailed: number;
  /** The final drain: from producers stopped to an empty queue. */
  drainMs: number;
  durationMs: number;
  ok: boolean;
}

/**
 * Runs the real daemon with producers streaming 50-bin candles, SIGKILLs it
 * `kills` times, rotating through the store's named points (the daemon kills
 * itself exactly there, at a random hit), random up times ('serving') and
 * random moments before READY ('during-start-up'); restarts it each time, then
 * lets everything drain and checks every promise of every producer.
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

  const killsByPoint = Object.fromEntries(
    ['serving', 'during-start-up', ...FTCD_KILL_POINTS, ...SQLITE_KILL_POINTS].map((point) => [point, 0]),
  ) as Record<KillPoint, number>;
  // Named points first: with few kills each still gets its share.
  const rotation: KillPoint[] = [
    ...(options.useDatabase ? SQLITE_KILL_POINTS : FTCD_KILL_POINTS),
    'during-start-up',
    'serving',
  ];
  const planOf = (kill: number): KillPoint =>
    kill === 0 ? 'serving' : (rotation[(kill - 1) % rotation.length] as KillPoint);
  const probeKillOf = (kill: number): ChaosKillArgs | undefined => {
    const plan = planOf(kill);
    if (plan === 'serving' || plan === 'during-start-up') return undefined;
    return { point: plan, hit: randomHit(plan, random), marker: join(root, `kill-${kill}.marker`) };
  };
  const chaosEntry = chaosEntryArgs();
  const spawnDaemon = (kill: ChaosKillArgs | undefined): DaemonProcess =>
    kill
      ? new DaemonProcess(paths, daemonArgs, [...chaosEntry, ...chaosKillArgv(kill)])
      : new DaemonProcess(paths, daemonArgs);
  let probeMisses = 0;
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

    let probeKill: ChaosKillArgs | undefined;
    for (let kill = 0; kill < options.kills; kill++) {
      // Every iteration begins with a daemon just spawned (READY or not) and kills it once.
      const plan = planOf(kill);
      let landed: KillPoint = 'serving';
      let exit: Awaited<DaemonProcess['exited']>;
      if (probeKill) {
        // The daemon kills itself at the probe point; from outside only if it is not hit in time.
        const current: DaemonProcess = daemon;
        const hitInTime = await Promise.race([
          current.exited.then(() => true),
          sleep(PROBE_KILL_TIMEOUT_MS).then(() => false),
        ]);
        // Not a READY time for 'during-start-up': this entry runs from sources, the plain one may be built.
        if (current.isReady) restarts++;
        exit = await current.kill9();
        if (existsSync(probeKill.marker)) {
          const [point] = readFileSync(probeKill.marker, 'utf8').split(' ');
          if (point !== probeKill.point) throw new Error(`marker of ${probeKill.point} names ${point}`);
          landed = probeKill.point;
        } else if (hitInTime) {
          throw new Error(
            `daemon died without its probe kill (${JSON.stringify(exit)}): ${current.output()}`,
          );
        } else {
          probeMisses++;
        }
      } else {
        if (plan === 'during-start-up') {
          await sleep(random.between(0, lastReadyMs * 0.8));
          if (!daemon.isReady) landed = 'during-start-up';
        } else {
          await daemon.waitReady();
          restarts++;
          lastReadyMs = daemon.readyAfterMs ?? lastReadyMs;
          await sleep(random.between(minUp, maxUp));
        }
        exit = await daemon.kill9();
      }
      if (exit.signal !== 'SIGKILL') {
        throw new Error(`daemon died by itself (${JSON.stringify(exit)}): ${daemon.output()}`);
      }
      killsByPoint[landed]++;
      log(
        `kill ${kill + 1}/${options.kills}: ${landed}${probeKill ? ` (planned ${probeKill.point} at hit ${probeKill.hit})` : ''}`,
      );
      probeKill = kill + 1 < options.kills ? probeKillOf(kill + 1) : undefined;
      daemon = spawnDaemon(probeKill);
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
    // Fails only when the drain stalls: no row processed for 60 s (rows leased by a killed
    // daemon come back after 30 s), or 10 min in all. How fast it drains is not checked here.
    const drainStarted = performance.now();
    let lastProgressAt = drainStarted;
    let lastProcessed = -1;
    for (;;) {
      const stats = queue.stats();
      if (stats.pending === 0 && stats.inFlight === 0) break;
      const now = performance.now();
      if (stats.processed !== lastProcessed) {
        lastProcessed = stats.processed;
        lastProgressAt = now;
      }
      if (now - lastProgressAt > 60_000 || now - drainStarted > 600_000) {
        throw new Error(
          `queue did not drain (${Math.round((now - drainStarted) / 1000)} s, no progress for ${Math.round((now - lastProgressAt) / 1000)} s): ${JSON.stringify(stats)}`,
        );
      }
      await sleep(200);
    }
    const drainMs = Math.round(performance.now() - drainStarted);
    log(`queue drained in ${drainMs} ms`);
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
      probeMisses,
      restarts,
      delivery,
      publishRejected,
      publishFailed,
      drainMs,
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

/** Which hit of the point to kill at: spread over the first moments of serving. */
function randomHit(point: ProbeKillPoint, random: SeededRandom): number {
  switch (point) {
    case 'startup:storage-opened':
      return 1; // once per start
    case 'queue:leased':
    case 'queue:saved':
      return Math.floor(random.between(1, 4));
    default:
      // Commit cycles come many times a second under load: early hits land in the
      // queue backlog drained after a restart, later ones among socket saves.
      return Math.floor(random.between(1, 41));
  }
}

/**
 * How to start scripts/lib/chaosDaemonEntry.ts. With a fresh build (what the
 * plain daemon then runs too), tsx transpiles only the entry and the daemon
 * app's own files, and the packages load from their built dist (no
 * flowtrace-source condition): restarts cost about what the built daemon's do.
 * Otherwise everything runs from the TypeScript sources.
 */
function chaosEntryArgs(): string[] {
  const script = join(REPO_ROOT, 'scripts', 'lib', 'chaosDaemonEntry.ts');
  if (!daemonEntryArgs('daemon').label.startsWith('built')) return tsScriptArgs(script);
  const tsx = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return ['--import', tsx, script];
}
