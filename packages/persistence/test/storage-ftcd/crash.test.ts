import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { afterAll, describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { candlesEqual } from '../../src/shared/storage/candle/candlesEqual';
import { verifyStore } from '../../src/shared/storage/ftcd/inspectFtcdFile';
import { expectSameCandles } from '../contract/candleAssertions';
import { crashCycleCandles, crashRoundCandle } from './fixtures/crashCycleCandles';

const WRITER = join(import.meta.dirname, 'fixtures', 'crashWriter.ts');
const CYCLES = 50;

interface KeyHistory {
  /** Latest version (cycle * 1000 + round) whose save of this key resolved, -1 when none. */
  acked: number;
  /** Versions that issued a save of this key. */
  issued: number[];
}

function runWriter(
  baseDir: string,
  cycle: number,
  killAfterMs: number,
  whileRunning: () => Promise<void>,
): Promise<{ lines: string[]; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--conditions=flowtrace-source', '--import', 'tsx', WRITER, baseDir, String(cycle)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let errors = '';
    let timer: NodeJS.Timeout | undefined;
    let exited = false;
    let polling: Promise<void> = Promise.resolve();
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!timer && output.startsWith('R\n')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        // A read-only reader polls the store while the writer appends (and dies).
        polling = (async () => {
          while (!exited) await whileRunning();
        })();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', async (code, signal) => {
      clearTimeout(timer);
      exited = true;
      try {
        await polling;
      } catch (error) {
        reject(error);
        return;
      }
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`writer exited with ${code}: ${errors}`));
      else resolve({ lines: output.split('\n').filter(Boolean), killed: signal === 'SIGKILL' });
    });
  });
}

describe('.ftcd crash safety with real processes and SIGKILL', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged candle across ${CYCLES} kill -9 of a writer mid-save`, async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'flowtrace-crash-'));
    dirs.push(baseDir);
    const history = new Map<string, KeyHistory>();
    const versions = new Map<number, FootprintCandleDTO[]>();
    const keyOf = (candle: FootprintCandleDTO) => `${candle.s}:${candle.t}`;
    let killedMidSave = 0;
    let acknowledged = 0;
    let repairs = 0;
    let readerPolls = 0;
    let compactions = 0;
    const reader = await BinaryStorageAdapter.open({ baseDir, readOnly: true });
    const pollReader = async () => {
      for (const symbol of ['BTCUSDT', 'ETHUSDT']) await reader.findBySymbol(symbol, 'binance', '1m');
      if (reader.problems().length > 0)
        throw new Error(`reader reported ${JSON.stringify(reader.problems())}`);
      readerPolls += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    };

    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      const candles = crashCycleCandles(cycle);
      versions.set(cycle, candles);
      const { lines, killed } = await runWriter(
        baseDir,
        cycle,
        100 + Math.floor(Math.random() * 200),
        pollReader,
      );
      let open = 0;
      for (const line of lines) {
        const [kind, roundText, fromText, toText] = line.split(' ');
        if (kind === 'C') compactions += Number(roundText);
        if (kind !== 'I' && kind !== 'A') continue;
        if (kind === 'I') open += 1;
        else open -= 1;
        for (let index = Number(fromText); index < Number(toText); index += 1) {
          const key = keyOf(candles[index]!);
          const entry = history.get(key) ?? { acked: -1, issued: [] };
          const version = cycle * 1000 + Number(roundText);
          if (kind === 'I') entry.issued.push(version);
          else {
            entry.acked = Math.max(entry.acked, version);
            acknowledged += 1;
          }
          history.set(key, entry);
        }
      }
      if (killed && open > 0) killedMidSave += 1;

      // Restart: no corruption, every acknowledged candle intact (or a newer issued version), writable again.
      const store = await BinaryStorageAdapter.open({ baseDir });
      try {
        expect(store.problems()).toEqual([]);
        repairs += store.health().repairs.length;
        for (const symbol of ['BTCUSDT', 'ETHUSDT']) {
          const stored = await store.findBySymbol(symbol, 'binance', '1m');
          // The reader that watched the crash sees exactly what the restarted writer sees.
          expectSameCandles(await reader.findBySymbol(symbol, 'binance', '1m'), stored);
          const byKey = new Map(stored.map((candle) => [keyOf(candle), candle]));
          for (const [key, entry] of history) {
            if (!key.startsWith(`${symbol}:`)) continue;
            const candle = byKey.get(key);
            if (entry.acked < 0 && !candle) continue;
            expect(candle, `acknowledged candle ${key} missing after cycle ${cycle}`).toBeDefined();
            const allowed = entry.issued.filter((issuedBy) => issuedBy >= Math.max(entry.acked, 0));
            const matches = allowed.some((issuedBy) =>
              versions
                .get(Math.floor(issuedBy / 1000))!
                .some(
                  (version) =>
                    keyOf(version) === key &&
                    candlesEqual(crashRoundCandle(version, issuedBy % 1000), candle!),
                ),
            );
            expect(
              matches,
              `candle ${key} after cycle ${cycle} is not a version saved at or after its last ack`,
            ).toBe(true);
          }
        }
        const probe = {
          ...crashCycleCandles(cycle)[0]!,
          s: 'PROBE',
          t: Date.UTC(2025, 0, 1) + cycle * 60_000,
        };
        expect(await store.save(probe)).toEqual({ written: 1, unchanged: 0 });
      } finally {
        await store.close();
      }
    }
    expect(reader.problems()).toEqual([]);
    await reader.close();
    const verification = await verifyStore(baseDir);
    expect(verification.unhealthy).toEqual([]);
    console.info(
      `crash test: ${CYCLES} SIGKILLs, ${killedMidSave} with saves in flight, ${acknowledged} candle acks checked, ${repairs} torn tails repaired, ${readerPolls} read-only polls during writes, ${compactions} partition files replaced by compaction`,
    );
    // The writer compacted while it saved (and the reader read): files were replaced under both.
    expect(compactions).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(0);
    expect(readerPolls).toBeGreaterThan(CYCLES);
    expect(killedMidSave).toBeGreaterThanOrEqual(CYCLES - 2);
  }, 240_000);
});
