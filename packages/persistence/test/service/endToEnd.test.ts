import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue } from '@flowtrace/ipc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersistenceApplication } from '../../src/index';
import { runTs } from './childProcess';
import { configIn, makeTempDir, startService, type TempDir, waitFor } from './helpers';

const PRODUCER = join(import.meta.dirname, 'fixtures', 'producer.ts');

/**
 * At scale 1: 100,000 distinct candles in all, plus 5,000 sent over both
 * channels. The second store runs the same mix at a fifth of the size (time budget).
 */
function producers(scale: number) {
  return {
    socket: [
      { symbol: 'SOCKA', seed: 11, count: 30_000 * scale },
      { symbol: 'SOCKB', seed: 12, count: 30_000 * scale },
    ],
    queue: [
      { symbol: 'QUEUEA', seed: 21, count: 20_000 * scale },
      { symbol: 'QUEUEB', seed: 22, count: 20_000 * scale },
      // The first candles of SOCKA again, through the queue: duplicates across channels.
      { symbol: 'SOCKA', seed: 11, count: 5_000 * scale },
    ],
  };
}

function expectedCandles(symbol: string, seed: number, count: number) {
  return generateFootprintCandles({
    seed,
    count,
    bins: 5,
    symbol,
    tickValue: 0.01,
    startPrice: 90,
    emptyRatio: 0,
  });
}

describe.each([
  { store: '.ftcd block files (default)', useDatabase: false, scale: 1 },
  { store: 'SQLite FlatBuffers', useDatabase: true, scale: 0.2 },
])(
  'end to end on $store: producers in child processes over socket and queue at once',
  ({ useDatabase, scale }) => {
    const { socket: SOCKET_PRODUCERS, queue: QUEUE_PRODUCERS } = producers(scale);
    let dir: TempDir;
    let app: PersistenceApplication;

    beforeAll(async () => {
      dir = await makeTempDir();
      ({ app } = await startService(dir.path, {
        storage: { baseDir: join(dir.path, 'candles'), useDatabase },
        batchSize: 1000,
        pollInterval: 20,
      }));
    });

    afterAll(async () => {
      await app?.stop();
      await dir?.remove();
    });

    it('stores every acknowledged candle identical to what was sent, none twice', async () => {
      const config = configIn(dir.path);
      const children = [
        ...SOCKET_PRODUCERS.map((p) =>
          runTs(
            PRODUCER,
            ['socket', config.socketPath, p.symbol, String(p.seed), String(p.count), '128'],
            120_000,
          ),
        ),
        ...QUEUE_PRODUCERS.map((p) =>
          runTs(
            PRODUCER,
            ['queue', config.queuePath, p.symbol, String(p.seed), String(p.count), '1000'],
            120_000,
          ),
        ),
      ];
      const results = await Promise.all(children);
      for (const result of results) {
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
      const socketReports = results
        .slice(0, SOCKET_PRODUCERS.length)
        .map((r) => JSON.parse(r.stdout) as { acked: number });
      expect(socketReports.map((r) => r.acked)).toEqual(SOCKET_PRODUCERS.map((p) => p.count));

      const queuedTotal = QUEUE_PRODUCERS.reduce((sum, p) => sum + p.count, 0);
      const queue = new SQLiteQueue({ dbPath: config.queuePath });
      try {
        await waitFor(() => queue.stats().processed === queuedTotal, 120_000, 'queue drained');
        expect(queue.stats()).toMatchObject({ pending: 0, dead: 0 });
      } finally {
        queue.close();
      }

      const series = await app.storage.listSeries();
      expect(series.map((s) => [s.symbol, s.count]).sort()).toEqual([
        ['QUEUEA', 20_000 * scale],
        ['QUEUEB', 20_000 * scale],
        ['SOCKA', 30_000 * scale],
        ['SOCKB', 30_000 * scale],
      ]);
      for (const p of [...SOCKET_PRODUCERS, ...QUEUE_PRODUCERS.slice(0, 2)]) {
        const stored = await app.storage.findBySymbol(p.symbol, 'binance', '1m');
        const sent = expectedCandles(p.symbol, p.seed, p.count);
        expect(stored.length).toBe(sent.length);
        for (let k = 0; k < sent.length; k++) {
          if (JSON.stringify(stored[k]) !== JSON.stringify(sent[k])) expect(stored[k]).toEqual(sent[k]);
        }
      }
    }, 240_000);
  },
);
