import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { CANDLE_BATCH_MESSAGE_TYPE, HybridPublisher, type PublishResult, SQLiteQueue } from '@flowtrace/ipc';
import {
  InvalidPersistenceConfigError,
  type ResolvedPersistenceConfig,
  resolvePersistenceConfig,
} from '@flowtrace/persistence';
import { DaemonConfigError } from '../../config/errors';
import { loadDaemonConfig } from '../../config/loadDaemonConfig';
import { tallyBatch } from '../batchTally';
import { CliError } from '../CliError';
import {
  candleFileFormat,
  type InvalidLines,
  invalidLinesReport,
  linesReport,
  openCandleFile,
  type ReportedLines,
  readCandleFile,
  reportLine,
} from '../candleFileReader';
import { errorText } from '../errorText';
import type { Output, Warn } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { Progress } from '../progress';

export const publishHelp = `Usage: flowtrace publish <file> [--format jsonl|csv] [--batch-size <n>] [--wait-ms <n>]
                         [--config <path>] [--data-dir <dir>] [--socket-path <path>] [--queue-path <path>]

Hands candles exported by "flowtrace export" (JSON lines or CSV; chosen by the
file's extension unless --format says) to the running daemon, which stores
them: unlike "flowtrace import", no need to stop it. Every candle is validated
first, as import does: invalid lines are reported with their line number and
reasons and are not sent; the valid ones are, in file order, in batches of
--batch-size (default 500). Each batch is acknowledged by the daemon once it
is durable or, when the daemon is not reachable, kept durably in its fallback
queue, which the daemon drains when it runs: nothing is lost either way (a
batch not acknowledged within 10 s is queued too). The
daemon validates the candles again under its own policy (strict mode refuses
what publish accepted with warnings): those it refuses in an acknowledged
batch are counted and listed after the summary (line number, candle id,
reason), and are in its rejected-candles log; candles queued are validated
when the daemon drains them (then only in that log).

The daemon's socket and queue are found as the daemon finds them (--config,
--data-dir, the FLOWTRACE_* variables; data dir ./data by default), unless
--socket-path and --queue-path name them. --wait-ms (default 5000; 0: do not
wait) is how long to wait for the daemon's socket before the candles go to
the queue; a warning on stderr says so when any are queued.

The daemon's queue must exist (the daemon creates it when it first starts)
and be a queue: without it no daemon ran with these paths, and publish
refuses (exit 1, the file untouched) rather than queue candles nobody
drains. Batches are cut to the daemon's maxFrameBytes when its
configuration gives one; a single candle larger than that goes through the
queue.

Exit code 1 when any line was invalid (the valid ones are published), when
the daemon refused any candle, when the file cannot be read, or when the
daemon refused a batch as invalid or the
queue could not be written: the candles handed over until then are safe (the
message says how many); the others were not sent.`;

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_WAIT_MS = 5000;
const MAX_WAIT_MS = 2 ** 31 - 1;
/**
 * A batch not acknowledged within this time goes to the queue. Longer than the
 * publisher's default (2 s): a backfill shares the daemon with live producers,
 * and a batch queued for a slow reply is stored all the same, only later.
 */
const ACK_TIMEOUT_MS = 10_000;

export async function publishCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'batch-size': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
      'wait-ms': { type: 'string', default: String(DEFAULT_WAIT_MS) },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      'socket-path': { type: 'string' },
      'queue-path': { type: 'string' },
    },
  });
  const [file] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!file) throw new CliError('usage: flowtrace publish <file>');
  const format = candleFileFormat(file, values.format);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CliError('--batch-size must be a positive integer');
  const waitMs = Number(values['wait-ms']);
  // Above 2^31 - 1 ms (24.8 days) Node's timers fire at once (TimeoutOverflowWarning).
  if (values['wait-ms'].trim() === '' || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS)
    throw new CliError(`--wait-ms must be an integer from 0 to ${MAX_WAIT_MS}`);
  for (const flag of ['config', 'data-dir', 'socket-path', 'queue-path'] as const) {
    if (values[flag] === '') throw new CliError(`--${flag} is empty; give a path`);
  }
  const { socketPath, queuePath, maxFrameBytes } = daemonPaths(values);
  // The file first: a path that cannot be read must not create a queue.
  const input = await openCandleFile(file);
  // The daemon creates its queue when it starts: no file there means no daemon ever ran with these
  // paths (another working directory, a forgotten --data-dir or variable), and candles queued into
  // a new file would wait for a daemon that never drains it, however "safe" they are.
  if (!existsSync(queuePath)) {
    await input.close();
    throw new CliError(
      `no daemon queue at ${queuePath}: the daemon creates it when it starts, so none ran with these paths. ` +
        "Give the daemon's --config, --data-dir or FLOWTRACE_* variables, or --socket-path and --queue-path",
      1,
    );
  }
  // A file there that is not a queue (the candle database, any SQLite or empty file named by
  // mistake) would be made into one, its candles drained by no daemon: refused untouched.
  try {
    new SQLiteQueue({ dbPath: queuePath, readOnly: true }).close();
  } catch (error) {
    await input.close();
    throw new CliError(
      `${queuePath} is not the daemon's queue, nothing was published: ${errorText(error)}`,
      1,
    );
  }

  let publisher: HybridPublisher;
  try {
    publisher = new HybridPublisher({
      socketPath,
      queuePath,
      requestTimeoutMs: ACK_TIMEOUT_MS,
      // The daemon's frame limit: a batch is cut into parts it reads (a frame above it is refused).
      ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
    });
  } catch (error) {
    await input.close();
    throw new CliError(`cannot publish to the daemon: ${errorText(error)}`, 1);
  }

  const progress = new Progress(process.stderr.isTTY === true);
  let acknowledged = 0;
  let queued = 0;
  const refused: ReportedLines = { count: 0, listed: [] };
  let batch: FootprintCandleDTO[] = [];
  let batchLines: number[] = [];
  let warnedQueued = false;
  const handedOver = () =>
    `${acknowledged + queued + refused.count} candles over (they are safe: ${acknowledged} stored by the daemon, ` +
    `${queued} queued for it in ${queuePath}` +
    (refused.count > 0 ? `; ${refused.count} refused by its validation` : '') +
    ')';
  const flush = async () => {
    if (batch.length === 0) return;
    const candles = batch;
    const lines = batchLines;
    batch = [];
    batchLines = [];
    let result: PublishResult;
    try {
      result = await publisher.publish({ type: CANDLE_BATCH_MESSAGE_TYPE, payload: { candles } });
    } catch (error) {
      throw new CliError(
        `stopped after handing ${handedOver()}; the next ${candles.length} and the rest of ${file} ` +
          `were not published: ${errorText(error)}`,
        1,
      );
    }
    const tally = tallyBatch(result, candles.length);
    acknowledged += tally.stored;
    queued += tally.queued;
    if (tally.queued > 0 && !warnedQueued) {
      warnedQueued = true;
      progress.done();
      warn(
        publisher.stats().connected
          ? `candles went to the daemon's durable queue ${queuePath}, which it drains: connected at ${socketPath}, ` +
              `but not acknowledged within ${ACK_TIMEOUT_MS / 1000} s, or a candle larger than its frames (maxFrameBytes)`
          : `the daemon is not reachable at ${socketPath} (not connected within --wait-ms ${waitMs}): the candles ` +
              `go to its durable queue ${queuePath}, which the daemon drains when it runs`,
      );
    }
    for (const candle of tally.refused) {
      const id = candle.candleId === undefined ? '' : ` (${candle.candleId})`;
      reportLine(refused, `line ${lines[candle.index] ?? '?'}${id}: ${candle.reason}`);
    }
    progress.update(`published ${(acknowledged + queued + refused.count).toLocaleString('en-US')} candles`);
  };
  let invalid: InvalidLines;
  try {
    // Connected within the wait, the batches go over the socket; else they are queued until it
    // connects (the warning comes with the first candles queued, not from the wait itself: a
    // daemon that answers a moment after --wait-ms takes every batch).
    await publisher.waitForConnection(waitMs);
    try {
      invalid = await readCandleFile(input, format, (candle, lineNumber) => {
        batch.push(candle);
        batchLines.push(lineNumber);
        return batch.length >= batchSize ? flush() : undefined;
      });
    } catch (error) {
      if (error instanceof CliError) throw error; // a batch that failed: says what was handed over
      throw new CliError(`reading ${file} failed after handing ${handedOver()}: ${errorText(error)}`, 1);
    }
    await flush();
  } finally {
    progress.done();
    // Waits for nothing in flight (publishes are awaited one at a time); ends the reconnect timers.
    await publisher.close();
  }
  out.write(
    `published ${acknowledged + queued + refused.count} candles from ${file}: ${acknowledged} stored by the daemon, ` +
      `${queued} queued for it (${queuePath})` +
      (refused.count > 0 ? `, ${refused.count} refused by its validation` : '') +
      '\n',
  );
  out.write(invalidLinesReport(invalid, 'published'));
  out.write(
    linesReport(
      refused,
      `${refused.count} candle(s) refused by the daemon's validation (not stored; in its rejected-candles log)`,
    ),
  );
  return invalid.count === 0 && refused.count === 0 ? 0 : 1;
}

/**
 * The daemon's socket and queue: the flags, or where the daemon would have
 * them with the same --config, --data-dir and FLOWTRACE_* variables
 * (loadDaemonConfig, as the daemon resolves them). Configuration errors are
 * usage errors here (exit 2).
 */
function daemonPaths(values: {
  config?: string | undefined;
  'data-dir'?: string | undefined;
  'socket-path'?: string | undefined;
  'queue-path'?: string | undefined;
}): { socketPath: string; queuePath: string; maxFrameBytes: number | undefined } {
  const socketFlag = values['socket-path'];
  const queueFlag = values['queue-path'];
  if (socketFlag !== undefined && queueFlag !== undefined)
    return { socketPath: socketFlag, queuePath: queueFlag, maxFrameBytes: undefined };
  let resolved: ResolvedPersistenceConfig;
  try {
    const { persistence } = loadDaemonConfig(
      {
        configPath: values.config,
        dataDir: values['data-dir'],
        overrides: {},
        printConfig: false,
        help: false,
        version: false,
      },
      process.env,
    );
    // Validated as the daemon validates it at start: a configuration the daemon refuses (an
    // unknown setting, a value out of range) does not name its socket and queue either.
    resolved = resolvePersistenceConfig(persistence);
  } catch (error) {
    if (error instanceof DaemonConfigError || error instanceof InvalidPersistenceConfigError)
      throw new CliError(`the daemon's configuration: ${error.message}`);
    throw error;
  }
  return {
    socketPath: socketFlag ?? resolved.socketPath,
    queuePath: queueFlag ?? resolved.queuePath,
    maxFrameBytes: resolved.maxFrameBytes,
  };
}
