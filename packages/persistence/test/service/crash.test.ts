import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { HybridPublisher, SQLiteQueue } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCandleStore } from '../../src/shared/storage/index';
import { PACKAGE_DIR } from './childProcess';
import { makeTempDir, smallCandles, type TempDir, waitFor } from './helpers';

const SERVER = join(import.meta.dirname, 'fixtures', 'benchServer.ts');

/** The service in a child process (benchServer.ts `service` mode: .ftcd or SQLite store under `dir`). */
async function startServiceProcess(
  dir: string,
  store: 'ftcd' | 'sqlite',
): Promise<{ child: ChildProcessWithoutNullStreams; socketPath: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=flowtrace-source', '--import', 'tsx', SERVER, 'service', dir, store],
    {
      cwd: PACKAGE_DIR,
      stdio: 'pipe',
    },
  );
  const socketPath = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^ready (.+)$/m.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`service exited (${code}) before ready: ${err}`)));
  });
  return { child, socketPath };
}

describe('crash of the service process (SIGKILL)', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it.each([{ store: 'ftcd' as const }, { store: 'sqlite' as const }])(
    '$store store: loses no candle a publisher saw acknowledged or queued, across kill -9 and restart',
    async ({ store: kind }) => {
      const candles = smallCandles(3000, 31);
      let service = await startServiceProcess(dir.path, kind);
      const publisher = new HybridPublisher({
        socketPath: service.socketPath,
        queuePath: join(dir.path, 'queue.db'),
        requestTimeoutMs: 500,
      });
      expect(await publisher.waitForConnection(5000)).toBe(true);
      const safe = new Map<string, FootprintCandleDTO>();
      let next = 0;
      let killed = false;
      const lane = async () => {
        while (next < candles.length) {
          const candle = candles[next++] as FootprintCandleDTO;
          await publisher.publish({ type: 'candle:complete', payload: candle });
          safe.set(`${candle.t}`, candle);
          if (!killed && safe.size >= 1000) {
            killed = true;
            service.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
      expect(killed).toBe(true);
      expect(safe.size).toBe(candles.length);
      const stats = publisher.stats();
      await publisher.close();
      expect(stats.queued).toBeGreaterThan(0);
      expect(stats.failed).toBe(0);

      service = await startServiceProcess(dir.path, kind);
      const queue = new SQLiteQueue({ dbPath: join(dir.path, 'queue.db') });
      try {
        await waitFor(
          () => queue.stats().pending === 0 && queue.stats().inFlight === 0,
          30_000,
          'queue drained',
        );
        expect(queue.stats().dead).toBe(0);
      } finally {
        queue.close();
      }
      service.child.stdin.end('stop\n');
      await new Promise((resolve) => service.child.once('exit', resolve));

      const store = await openCandleStore({
        baseDir: join(dir.path, 'candles'),
        readOnly: true,
        useDatabase: kind === 'sqlite',
      });
      try {
        const stored = await store.findBySymbol('LTCUSDT', 'binance', '1m');
        expect(stored.length).toBe(candles.length);
        expect(stored).toEqual(candles);
      } finally {
        await store.close();
      }
    },
    90_000,
  );
});
