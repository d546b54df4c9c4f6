import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CheckpointFile,
  type MigrationCheckpoint,
  type MigrationProgress,
  type MigrationResult,
  MigrationValidator,
} from '../../src/shared/migration/index';
import { openCandleStore } from '../../src/shared/storage/index';
import { SQLiteFlatBufferStorage } from '../../src/shared/storage/sqlite/SQLiteFlatBufferStorage';
import { syntheticSeries } from './fixtures/syntheticSeries';
import { useTempDirs } from './fixtures/tempDirs';

const tempDir = useTempDirs();
const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../../../..');
const tsxLoaderUrl = pathToFileURL(join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const childScript = join(here, 'fixtures/migrateChild.ts');

const SERIES = [
  { seed: 101, exchange: 'binance', symbol: 'BTCUSDT', timeframe: '1m' },
  { seed: 102, exchange: 'binance', symbol: 'ETHUSDT', timeframe: '1m' },
  { seed: 103, exchange: 'bybit', symbol: 'BTCUSDT', timeframe: '5m' },
  { seed: 104, exchange: 'okx', symbol: 'SOLUSDT', timeframe: '1m' },
] as const;
const PER_SERIES = 250_000;
const TOTAL = SERIES.length * PER_SERIES;
const BATCH = 5000;
const KILL_AT = 450_000;

type ChildLine =
  | { type: 'opened'; health: { status: string; problems: unknown[]; repairs: unknown[] } | null }
  | ({ type: 'progress'; peakRssKb: number; retainedKb?: number } & MigrationProgress)
  | { type: 'result'; result: MigrationResult; peakRssKb: number; markdown: string };

function runChild(
  args: readonly string[],
  onLine: (line: ChildLine, child: ChildProcessWithoutNullStreams) => void,
  nodeArgs: readonly string[] = [],
) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=flowtrace-source', '--import', tsxLoaderUrl, childScript, ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line) onLine(JSON.parse(line) as ChildLine, child);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal, stderr })),
  );
  return { child, exited };
}

describe('1M-candle migration killed with SIGKILL and resumed', () => {
  it('SQLite store → .ftcd store: resume continues from the checkpoint, re-sends at most one batch, validates with zero differences; the migrator memory stays flat', async () => {
    const sourceDir = tempDir();
    const targetDir = tempDir();
    const checkpointPath = join(tempDir(), 'migration.checkpoint.json');
    const seedStarted = performance.now();
    const source = await SQLiteFlatBufferStorage.open({ baseDir: sourceDir });
    for (const series of SERIES) {
      let batch = [];
      for (const candle of syntheticSeries({ ...series, count: PER_SERIES, bins: 2 })) {
        batch.push(candle);
        if (batch.length === 50_000) {
          await source.saveMany(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await source.saveMany(batch);
    }
    expect((await source.listSeries()).reduce((sum, info) => sum + info.count, 0)).toBe(TOTAL);
    await source.close();
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // Run 1: killed with SIGKILL once past KILL_AT candles.
    const firstStarted = performance.now();
    let lastSeen: (MigrationProgress & { peakRssKb: number }) | undefined;
    let earlyPeakKb = 0;
    let killScheduled = false;
    let previousLineAt = 0;
    let batchIntervalMs = 0;
    const first = runChild(
      ['migrate', sourceDir, targetDir, checkpointPath, String(BATCH)],
      (line, child) => {
        if (line.type !== 'progress') return;
        const now = performance.now();
        if (previousLineAt > 0) batchIntervalMs = now - previousLineAt;
        previousLineAt = now;
        lastSeen = line;
        if (line.migrated <= 100_000) earlyPeakKb = line.peakRssKb;
        // Three quarters into the next batch: the kill usually lands while that batch is being committed
        // to the .ftcd files (a torn tail for the store to repair) or just after.
        if (line.migrated >= KILL_AT && !killScheduled) {
          killScheduled = true;
          setTimeout(() => child.kill('SIGKILL'), Math.round(batchIntervalMs * 0.75));
        }
      },
    );
    const killed = await first.exited;
    const firstSeconds = (performance.now() - firstStarted) / 1000;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const checkpoint = new CheckpointFile(checkpointPath).load() as MigrationCheckpoint;
    const checkpointed = checkpoint.series.reduce((sum, entry) => sum + entry.migrated, 0);
    expect(checkpointed).toBeGreaterThanOrEqual(KILL_AT);
    expect(checkpointed).toBeLessThan(TOTAL);
    // The checkpoint never runs ahead of what the target holds durably.
    const afterKill = await openCandleStore({ baseDir: targetDir, useDatabase: false, readOnly: true });
    const heldTotal = (await afterKill.listSeries()).reduce((sum, info) => sum + info.count, 0);
    const held = new Map(
      (await afterKill.listSeries()).map((info) => [
        `${info.exchange}:${info.symbol}:${info.timeframe}`,
        info,
      ]),
    );
    for (const entry of checkpoint.series) {
      const info = held.get(`${entry.exchange}:${entry.symbol}:${entry.timeframe}`);
      expect(info?.count ?? 0).toBeGreaterThanOrEqual(entry.migrated);
      expect(info?.lastOpenTime ?? -1).toBeGreaterThanOrEqual(entry.lastOpenTime);
    }
    await afterKill.close();

    // Run 2: resumes.
    const secondStarted = performance.now();
    let final: Extract<ChildLine, { type: 'result' }> | undefined;
    let reopened: Extract<ChildLine, { type: 'opened' }> | undefined;
    const second = runChild(['migrate', sourceDir, targetDir, checkpointPath, String(BATCH)], (line) => {
      if (line.type === 'result') final = line;
      if (line.type === 'opened') reopened = line;
    });
    const exit = await second.exited;
    const secondSeconds = (performance.now() - secondStarted) / 1000;
    expect(exit.code, exit.stderr).toBe(0);
    const result = final!.result;
    expect(result).toMatchObject({ status: 'completed', resumed: true, runs: 2 });
    expect(result.totals).toMatchObject({
      source: TOTAL,
      migrated: TOTAL,
      migratedThisRun: TOTAL - checkpointed,
    });
    expect(result.totals.read).toBe(TOTAL - checkpointed);
    // Only a batch made durable after the last checkpoint write can be re-sent; it saves as a no-op.
    expect(result.totals.written + result.totals.unchanged).toBe(TOTAL - checkpointed);
    expect(result.totals.unchanged).toBeLessThanOrEqual(BATCH);
    expect(result.series.every((entry) => entry.done && entry.migrated === PER_SERIES)).toBe(true);

    const validateStarted = performance.now();
    const sourceRead = await SQLiteFlatBufferStorage.open({ baseDir: sourceDir, readOnly: true });
    const targetRead = await openCandleStore({ baseDir: targetDir, useDatabase: false, readOnly: true });
    const validation = await new MigrationValidator().validate(sourceRead, targetRead);
    const validateSeconds = (performance.now() - validateStarted) / 1000;
    await sourceRead.close();
    await targetRead.close();
    expect(validation).toMatchObject({
      ok: true,
      compared: TOTAL,
      matched: TOTAL,
      missing: 0,
      extra: 0,
      mismatched: 0,
    });

    const peakMb = Math.max(lastSeen?.peakRssKb ?? 0, final!.peakRssKb) / 1024;
    const migrationSeconds = firstSeconds + secondSeconds;
    console.log(
      `[migration 1M] seed ${seedSeconds.toFixed(1)} s; run 1 killed after ${firstSeconds.toFixed(1)} s ` +
        `(${Math.round(batchIntervalMs * 0.75)} ms after the progress line of ${lastSeen?.migrated}) at ${checkpointed} checkpointed ` +
        `(target held ${heldTotal}); run 2 ${secondSeconds.toFixed(1)} s for ${result.totals.migratedThisRun} ` +
        `(written ${result.totals.written}, unchanged ${result.totals.unchanged}, ${result.rate.toFixed(0)} candles/s in-run); ` +
        `total ${migrationSeconds.toFixed(1)} s = ${(TOTAL / migrationSeconds).toFixed(0)} candles/s incl. process start; ` +
        `peak RSS run 1 at 100k ${(earlyPeakKb / 1024).toFixed(0)} MB, at kill ${((lastSeen?.peakRssKb ?? 0) / 1024).toFixed(0)} MB, run 2 ${(final!.peakRssKb / 1024).toFixed(0)} MB; ` +
        `validation ${validateSeconds.toFixed(1)} s; .ftcd store on reopen: ${JSON.stringify(reopened?.health)}`,
    );
    // The .ftcd store keeps an in-memory index entry per stored key (its design, not the migrator's), so the
    // migrating process grows with the target. Still far below holding the candles (1M candles of 2 bins as
    // objects: ~0.5 GB of heap even with shared bins).
    expect(peakMb).toBeLessThan(1024);

    // The migrator's own memory, without a target index: a dry run streaming 500k candles must not hold what
    // it read. Holding the 400k candles read after the first 100k would take > 200 MB. What stays reachable
    // after a full collection is the exact measure; peak RSS, what the OS sees, only gets a loose bound:
    // V8 grows its heap in one step of tens of MB at a point that depends on the Node version (seen: +59 MB
    // after 100k on Node 22, +73 to +96 MB on Node 24, after which RSS stays flat for 2M candles).
    let dryEarlyKb = 0;
    let dryEarlyRetainedKb = Number.NaN;
    let dryMaxRetainedKb = 0;
    let dryFinal: Extract<ChildLine, { type: 'result' }> | undefined;
    const dry = runChild(
      ['dry-run', sourceDir, '-', '-', String(BATCH)],
      (line) => {
        if (line.type === 'progress' && line.retainedKb !== undefined) {
          if (line.migrated <= 100_000) {
            dryEarlyKb = line.peakRssKb;
            dryEarlyRetainedKb = line.retainedKb;
          } else dryMaxRetainedKb = Math.max(dryMaxRetainedKb, line.retainedKb);
        }
        if (line.type === 'result') dryFinal = line;
      },
      ['--expose-gc'],
    );
    const dryExit = await dry.exited;
    expect(dryExit.code, dryExit.stderr).toBe(0);
    expect(dryFinal!.result.totals).toMatchObject({
      read: 2 * PER_SERIES,
      migrated: 2 * PER_SERIES,
      written: 0,
    });
    console.log(
      `[migration 1M] dry run of 500k: reachable after GC at 100k ${(dryEarlyRetainedKb / 1024).toFixed(1)} MB, ` +
        `at most ${(dryMaxRetainedKb / 1024).toFixed(1)} MB after; peak RSS at 100k ${(dryEarlyKb / 1024).toFixed(0)} MB, ` +
        `at end ${(dryFinal!.peakRssKb / 1024).toFixed(0)} MB (${dryFinal!.result.rate.toFixed(0)} candles/s read)`,
    );
    expect(dryMaxRetainedKb).toBeGreaterThan(0); // measured after 100k too, not only before
    expect((dryMaxRetainedKb - dryEarlyRetainedKb) / 1024).toBeLessThan(16);
    expect((dryFinal!.peakRssKb - dryEarlyKb) / 1024).toBeLessThan(128);
  }, 240_000);
});
