/**
 * A producer process: publishes generated 50-bin candles with HybridPublisher
 * (socket first, fsync'd SQLite queue as fallback) and records every promise it
 * got — acknowledged or durably queued — in its ledger, fsync'd before counting
 * it. The chaos checker trusts nothing else.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { footprintCandleStream } from '@flowtrace/core';
import { HybridPublisher } from '@flowtrace/ipc';
import { generatorOptions, type ProducerConfig, type ProducerLine } from './producerProtocol';
import { percentile } from './stats';

const config = JSON.parse(process.argv[2] ?? '{}') as ProducerConfig;
const publisher = new HybridPublisher({
  socketPath: config.socketPath,
  queuePath: config.queuePath,
  requestTimeoutMs: config.requestTimeoutMs,
  connectTimeout: 1_000,
  reconnectBaseDelayMs: 20,
  reconnectMaxDelayMs: 200,
});
const ledger = openSync(config.ledgerPath, 'a');
const candles = footprintCandleStream(generatorOptions(config, config.count));
const counters = { sent: 0, acked: 0, queued: 0, rejected: 0, failed: 0 };
let stopping = false;
let unflushed: string[] = [];
let flushScheduled = false;
let windowLatencies: number[] = [];
const allLatencies: number[] = [];
const inFlight = new Set<Promise<void>>();

function emit(line: ProducerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Writes the promised keys of this turn in one write and one fsync. */
function flushLedger(): void {
  flushScheduled = false;
  if (unflushed.length === 0) return;
  writeSync(ledger, unflushed.join(''));
  fsyncSync(ledger);
  unflushed = [];
}

function record(index: number, via: 'socket' | 'queue'): void {
  unflushed.push(`${index} ${via}\n`);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLedger);
  }
}

function publishNext(): boolean {
  const next = candles.next();
  if (next.done) return false;
  const index = counters.sent++;
  const started = performance.now();
  const task = publisher
    .publish({ id: `${config.idPrefix}${index}`, type: 'candle:complete', payload: next.value })
    .then(
      (result) => {
        const latency = performance.now() - started;
        windowLatencies.push(latency);
        allLatencies.push(latency);
        if (result.via === 'socket') counters.acked++;
        else counters.queued++;
        record(index, result.via);
      },
      (error: unknown) => {
        // Rejected (not retryable) or failed: never promised, so never in the ledger.
        if ((error as { code?: string }).code === 'FLOWTRACE_PUBLISH_REJECTED') counters.rejected++;
        else counters.failed++;
        process.stderr.write(`publish ${index} failed: ${(error as Error).message}\n`);
      },
    )
    .finally(() => inFlight.delete(task));
  inFlight.add(task);
  return true;
}

async function run(): Promise<void> {
  if (config.waitForSocketMs) await publisher.waitForConnection(config.waitForSocketMs);
  const began = performance.now();
  const statsTimer =
    config.statsEveryMs > 0
      ? setInterval(() => {
          const window = windowLatencies;
          windowLatencies = [];
          emit({
            kind: 'stats',
            at: Date.now(),
            acked: counters.acked,
            queued: counters.queued,
            latencyP50Ms: percentile(window, 0.5),
            latencyP99Ms: percentile(window, 0.99),
            resolvedInWindow: window.length,
          });
        }, config.statsEveryMs)
      : undefined;
  let exhausted = false;
  while (!stopping && !exhausted) {
    if (config.durationMs > 0 && performance.now() - began >= config.durationMs) break;
    // Rate limit: the number of candles due by now, never more than `concurrency` in flight.
    const due =
      config.rate > 0
        ? Math.floor(((performance.now() - began) / 1000) * config.rate)
        : Number.POSITIVE_INFINITY;
    while (!stopping && inFlight.size < config.concurrency && counters.sent < due) {
      if (!publishNext()) {
        exhausted = true;
        break;
      }
    }
    if (inFlight.size >= config.concurrency) await Promise.race(inFlight);
    else await new Promise((resolve) => setTimeout(resolve, config.rate > 0 ? 2 : 0));
  }
  await Promise.allSettled([...inFlight]);
  const publishingMs = performance.now() - began;
  flushLedger();
  closeSync(ledger);
  if (statsTimer) clearInterval(statsTimer);
  await publisher.close();
  emit({
    kind: 'done',
    ...counters,
    latencyP50Ms: percentile(allLatencies, 0.5),
    latencyP99Ms: percentile(allLatencies, 0.99),
    publishingMs,
  });
}

process.on('SIGTERM', () => {
  stopping = true;
});
run().catch((error: unknown) => {
  process.stderr.write(`producer crashed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
