import { isDeepStrictEqual } from 'node:util';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import Database from 'better-sqlite3';
import { runFlowtraceCli } from './daemon';
import { generatorOptions, type ProducerConfig } from './producerProtocol';
import { readLedger } from './producers';

/** `generateFootprintCandles`' default first open time. */
const GENERATOR_START = Date.UTC(2025, 5, 1);

export interface DeliveryReport {
  /** Candles the producers were promised (acknowledged or durably queued). */
  promised: number;
  promisedViaSocket: number;
  promisedViaQueue: number;
  /** Promised candles missing from the store. */
  lost: number;
  /** Stored candles that differ from what was sent (promised or not). */
  corrupted: number;
  /** Keys stored more than once, and series whose listSeries count differs from their distinct keys. */
  duplicates: number;
  storedCandles: number;
  /** Queued promises whose queue row is not processed. */
  queueRowsNotProcessed: number;
  queue: { pending: number; inFlight: number; dead: number; processed: number };
  verifyExitCode: number | null;
  verifyOutput: string;
  problems: string[];
}

/**
 * Compares what the producers' ledgers promised with what the store and the
 * queue hold once the daemon is stopped. Every check counts; nothing is sampled.
 */
export async function checkDelivery(options: {
  producers: readonly ProducerConfig[];
  storeDir: string;
  useDatabase: boolean;
  queuePath: string;
}): Promise<DeliveryReport> {
  const problems: string[] = [];
  const report: DeliveryReport = {
    promised: 0,
    promisedViaSocket: 0,
    promisedViaQueue: 0,
    lost: 0,
    corrupted: 0,
    duplicates: 0,
    storedCandles: 0,
    queueRowsNotProcessed: 0,
    queue: { pending: 0, inFlight: 0, dead: 0, processed: 0 },
    verifyExitCode: null,
    verifyOutput: '',
    problems,
  };
  const note = (problem: string) => {
    if (problems.length < 20) problems.push(problem);
  };

  const store = await openCandleStore({
    baseDir: options.storeDir,
    useDatabase: options.useDatabase,
    readOnly: true,
  });
  const queueDb = new Database(options.queuePath, { readonly: true, fileMustExist: true });
  const processedStmt = queueDb.prepare('SELECT processed FROM message_queue WHERE message_id = ?');
  try {
    const series = await store.listSeries();
    for (const producer of options.producers) {
      const promised = readLedger(producer.ledgerPath);
      const stored = await store.findBySymbol(producer.symbol, producer.exchange, '1m');
      const info = series.find((s) => s.symbol === producer.symbol && s.exchange === producer.exchange);
      const byTime = new Map<number, FootprintCandleDTO>();
      for (const candle of stored) {
        if (byTime.has(candle.t)) {
          report.duplicates++;
          note(`${producer.symbol}: key t=${candle.t} read twice`);
        }
        byTime.set(candle.t, candle);
      }
      if ((info?.count ?? 0) !== byTime.size) {
        report.duplicates++;
        note(`${producer.symbol}: listSeries count ${info?.count} != ${byTime.size} distinct keys`);
      }
      report.storedCandles += byTime.size;
      // Candles are one minute apart from the generator's default start, so the
      // newest stored key tells how many were sent at least.
      let lastIndex = -1;
      for (const index of promised.keys()) lastIndex = Math.max(lastIndex, index);
      if (info) lastIndex = Math.max(lastIndex, (info.lastOpenTime - GENERATOR_START) / 60_000);
      const expected = generateFootprintCandles(generatorOptions(producer, lastIndex + 1));
      const expectedByTime = new Map(expected.map((c) => [c.t, c]));
      for (const candle of byTime.values()) {
        if (!isDeepStrictEqual(candle, expectedByTime.get(candle.t))) {
          report.corrupted++;
          note(`${producer.symbol}: stored candle t=${candle.t} differs from the one sent`);
        }
      }
      for (const [index, via] of promised) {
        report.promised++;
        if (via === 'socket') report.promisedViaSocket++;
        else report.promisedViaQueue++;
        const sent = expected[index];
        if (!sent || !byTime.has(sent.t)) {
          report.lost++;
          note(`${producer.symbol}: promised candle #${index} (${via}) is not stored`);
        }
        if (via === 'queue') {
          const row = processedStmt.get(`${producer.idPrefix}${index}`) as { processed: number } | undefined;
          if (row?.processed !== 1) {
            report.queueRowsNotProcessed++;
            note(
              `${producer.symbol}: queued message #${index} is ${row ? `processed=${row.processed}` : 'absent'}`,
            );
          }
        }
      }
    }
  } finally {
    queueDb.close();
    await store.close();
  }

  const queue = new SQLiteQueue({ dbPath: options.queuePath });
  try {
    const stats = queue.stats();
    report.queue = {
      pending: stats.pending,
      inFlight: stats.inFlight,
      dead: stats.dead,
      processed: stats.processed,
    };
  } finally {
    queue.close();
  }

  const verify = await runFlowtraceCli(['verify', options.storeDir]);
  report.verifyExitCode = verify.code;
  report.verifyOutput = `${verify.stdout}${verify.stderr}`.trim().slice(-2000);
  return report;
}
