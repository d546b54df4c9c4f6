import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, daemonPaths, scrapeMetrics, sleep } from './daemon';
import { fdCount, rssBytes } from './procfs';
import type { ProducerConfig } from './producerProtocol';
import { ProducerProcess } from './producers';
import { round } from './stats';

export interface SoakOptions {
  /** Length of the sustained phase. */
  minutes: number;
  producers?: number;
  /** How long the peak is measured first. */
  peakMs?: number;
  /** Daemon samples every this often. */
  sampleEveryMs?: number;
  useDatabase?: boolean;
  log?: (line: string) => void;
}

export interface SoakSample {
  atS: number;
  rssMiB: number;
  fds: number;
  heapUsedMiB: number;
  /** V8 heap reserved (used + free): RSS that follows it is heap, not a native leak. */
  heapTotalMiB: number;
  /** Memory outside the V8 heap that V8 knows of (ArrayBuffer backing stores, e.g. typed arrays). */
  externalMiB: number;
  lagP99Ms: number;
}

export interface SoakReport {
  peakPerSecond: number;
  offeredPerSecond: number;
  achievedPerSecond: number;
  acked: number;
  queued: number;
  failed: number;
  rejected: number;
  warmUpS: number;
  rss: { atWarmUpMiB: number; endMiB: number; maxMiB: number; growthPercent: number };
  heapUsed: { atWarmUpMiB: number; endMiB: number; maxMiB: number };
  heapTotal: { atWarmUpMiB: number; endMiB: number };
  external: { atWarmUpMiB: number; endMiB: number };
  fds: { minAfterWarmUp: number; maxAfterWarmUp: number; atStart: number; atEnd: number };
  eventLoopLagP99Ms: { median: number; max: number };
  ackLatencyMs: { p50: number; p99: number; worstWindowP99: number };
  samples: SoakSample[];
}

const MiB = 1024 * 1024;

function producerConfigs(root: string, paths: ReturnType<typeof daemonPaths>, count: number, phase: string) {
  return Array.from(
    { length: count },
    (_, i): ProducerConfig => ({
      socketPath: paths.socketPath,
      queuePath: paths.queuePath,
      ledgerPath: join(root, `${phase}-ledger-${i}.txt`),
      seed: 500 + i,
      symbol: `${phase.toUpperCase()}${i}USDT`,
      exchange: 'binance',
      count: 1_000_000_000,
      concurrency: 64,
      rate: 0,
      durationMs: 0,
      statsEveryMs: 1000,
      idPrefix: `${phase}-${i}-`,
      requestTimeoutMs: 5_000,
      waitForSocketMs: 10_000,
    }),
  );
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The `.ftcd` store's file-handle pool in a soak: the fds it may add once full. */
export const SOAK_MAX_OPEN_FILES = 128;

/**
 * Sustained load at half the measured peak against the real daemon, sampling
 * its RSS and fds (/proc), heap and event-loop lag (its /metrics) over time.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const count = options.producers ?? 2;
  const root = mkdtempSync(join(tmpdir(), 'flowtrace-soak-'));
  const paths = daemonPaths(join(root, 'data'));
  const daemon = new DaemonProcess(paths, [
    '--storage-use-database',
    String(options.useDatabase ?? false),
    // A fixed pool, so that the fd goal does not depend on this machine's open-file limit.
    ...(options.useDatabase ? [] : ['--storage-max-open-files', String(SOAK_MAX_OPEN_FILES)]),
  ]);
  const producers: ProducerProcess[] = [];
  try {
    await daemon.waitReady();
    // 1. Peak: as fast as acknowledgements allow.
    const peakMs = options.peakMs ?? 5_000;
    const peak = producerConfigs(root, paths, count, 'peak').map(
      (c) => new ProducerProcess({ ...c, durationMs: peakMs }),
    );
    producers.push(...peak);
    const peakDone = await Promise.all(peak.map((p) => p.exited.then(() => p.done())));
    let peakPerSecond = 0;
    for (const done of peakDone) {
      if (!done) throw new Error(`a peak producer did not finish: ${peak.map((p) => p.errors()).join(' ')}`);
      peakPerSecond += done.acked / (done.publishingMs / 1000);
    }
    peakPerSecond = Math.round(peakPerSecond);
    log(`peak: ${peakPerSecond} candles/s acknowledged`);

    // 2. Sustained half-peak load.
    const offered = Math.max(1, Math.round(peakPerSecond / 2));
    const soakMs = options.minutes * 60_000;
    const soak = producerConfigs(root, paths, count, 'soak').map(
      (c) => new ProducerProcess({ ...c, rate: offered / count, durationMs: soakMs }),
    );
    producers.push(...soak);
    const samples: SoakSample[] = [];
    const began = performance.now();
    const fdsAtStart = fdCount(daemon.pid) ?? 0;
    const every = options.sampleEveryMs ?? Math.max(1_000, Math.min(10_000, soakMs / 40));
    const finished = Promise.all(soak.map((p) => p.exited));
    let running = true;
    void finished.then(() => {
      running = false;
    });
    while (running) {
      const metrics = await scrapeMetrics(daemon.healthPort, [
        'nodejs_heap_size_used_bytes',
        'nodejs_heap_size_total_bytes',
        'nodejs_external_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ]);
      const sample: SoakSample = {
        atS: round((performance.now() - began) / 1000),
        rssMiB: round((rssBytes(daemon.pid) ?? 0) / MiB),
        fds: fdCount(daemon.pid) ?? 0,
        heapUsedMiB: round((metrics.get('nodejs_heap_size_used_bytes') ?? 0) / MiB),
        heapTotalMiB: round((metrics.get('nodejs_heap_size_total_bytes') ?? 0) / MiB),
        externalMiB: round((metrics.get('nodejs_external_memory_bytes') ?? 0) / MiB),
        lagP99Ms: round((metrics.get('nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000, 2),
      };
      samples.push(sample);
      log(
        `t=${sample.atS}s rss=${sample.rssMiB}MiB heap=${sample.heapUsedMiB}/${sample.heapTotalMiB}MiB ` +
          `external=${sample.externalMiB}MiB fds=${sample.fds} lagP99=${sample.lagP99Ms}ms`,
      );
      await Promise.race([sleep(every), finished]);
    }
    const done = await Promise.all(
      soak.map((p) => {
        const line = p.done();
        if (!line) throw new Error(`a soak producer did not finish: ${p.errors()}`);
        return line;
      }),
    );
    const fdsAtEnd = fdCount(daemon.pid) ?? 0;
    const warmUpS = Math.max(10, (soakMs / 1000) * 0.25);
    const after = samples.filter((s) => s.atS >= warmUpS);
    const first = after[0] ?? samples[0];
    const last = after.at(-1) ?? samples.at(-1);
    if (!first || !last) throw new Error('no samples');
    const acked = done.reduce((sum, d) => sum + d.acked, 0);
    const publishingS = Math.max(...done.map((d) => d.publishingMs)) / 1000;
    return {
      peakPerSecond,
      offeredPerSecond: offered,
      achievedPerSecond: Math.round(acked / publishingS),
      acked,
      queued: done.reduce((sum, d) => sum + d.queued, 0),
      failed: done.reduce((sum, d) => sum + d.failed, 0),
      rejected: done.reduce((sum, d) => sum + d.rejected, 0),
      warmUpS,
      rss: {
        atWarmUpMiB: first.rssMiB,
        endMiB: last.rssMiB,
        maxMiB: Math.max(...after.map((s) => s.rssMiB)),
        growthPercent: round(((last.rssMiB - first.rssMiB) / first.rssMiB) * 100),
      },
      heapUsed: {
        atWarmUpMiB: first.heapUsedMiB,
        endMiB: last.heapUsedMiB,
        maxMiB: Math.max(...after.map((s) => s.heapUsedMiB)),
      },
      heapTotal: { atWarmUpMiB: first.heapTotalMiB, endMiB: last.heapTotalMiB },
      external: { atWarmUpMiB: first.externalMiB, endMiB: last.externalMiB },
      fds: {
        minAfterWarmUp: Math.min(...after.map((s) => s.fds)),
        maxAfterWarmUp: Math.max(...after.map((s) => s.fds)),
        atStart: fdsAtStart,
        atEnd: fdsAtEnd,
      },
      eventLoopLagP99Ms: {
        median: median(after.map((s) => s.lagP99Ms)),
        max: Math.max(...after.map((s) => s.lagP99Ms)),
      },
      ackLatencyMs: {
        p50: round(Math.max(...done.map((d) => d.latencyP50Ms ?? 0)), 2),
        p99: round(Math.max(...done.map((d) => d.latencyP99Ms ?? 0)), 2),
        worstWindowP99: round(
          Math.max(
            ...soak.flatMap((p) =>
              p.lines.flatMap((l) => (l.kind === 'stats' && l.latencyP99Ms !== null ? [l.latencyP99Ms] : [])),
            ),
          ),
          2,
        ),
      },
      samples,
    };
  } finally {
    for (const p of producers) p.child.kill('SIGKILL');
    await daemon.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
