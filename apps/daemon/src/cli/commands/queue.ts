import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ListedDeadLetter, SQLiteQueue } from '@flowtrace/ipc/features/sqlite-queue';
import { CliError } from '../CliError';
import { type Output, renderTable } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { formatTime } from '../time';

export const queueHelp = `Usage: flowtrace queue <queue.db> [--format table|json] [--limit N]
       flowtrace queue <queue.db> --requeue <id> [--requeue <id>…] | --requeue-all
       flowtrace queue <queue.db> --drop <id> [--drop <id>…]

The fallback queue the producers write and the daemon drains ({dataDir}/queue.db
by default): how many messages are pending, delayed for a retry, in flight,
dead-lettered and processed, and the dead letters themselves (oldest first, at
most --limit, default 100; json includes their payloads). Safe while the daemon
and the producers run.

A dead letter is a message the queue gave up on: a payload that is not JSON,
or one delivered many times without an outcome (a consumer that kept crashing
on it). Invalid candles are not dead letters: they are in the rejected-candles
log. Once the cause is fixed, --requeue puts dead letters back (the running
daemon takes them at its next poll) and --drop deletes them for good. Exit 1
when a named id is not a dead letter.`;

const FORMATS = ['table', 'json'] as const;

export async function queueCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      limit: { type: 'string', default: '100' },
      requeue: { type: 'string', multiple: true },
      'requeue-all': { type: 'boolean', default: false },
      drop: { type: 'string', multiple: true },
    },
  });
  const [path] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!path) throw new CliError('missing <queue.db>');
  const format = values.format ?? (out.isTTY ? 'table' : 'json');
  if (!(FORMATS as readonly string[]).includes(format))
    throw new CliError(`--format must be one of ${FORMATS.join(', ')}; got "${format}"`);
  const limit = Number(values.limit);
  if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit) || limit < 1)
    throw new CliError(`--limit must be a whole number from 1; got "${values.limit}"`);
  const requeue = values.requeue ?? [];
  const drop = values.drop ?? [];
  const actions = [requeue.length > 0, values['requeue-all'], drop.length > 0].filter(Boolean).length;
  if (actions > 1) throw new CliError('--requeue, --requeue-all and --drop go one at a time');
  if (!existsSync(path) || !statSync(path).isFile())
    throw new CliError(`queue ${path} does not exist or is not a file`, 1);
  // Read-only first: it refuses a file that is not a current queue without touching it (a
  // read-write open would create a missing database, or add the queue's tables to another one).
  // Looking needs no write access to the file (SQLite's WAL files aside: see docs/cli.md); only the
  // actions reopen it for writing.
  const reader = openQueue(path, true);
  const queue = actions === 0 ? reader : (reader.close(), openQueue(path, false));
  try {
    if (values['requeue-all']) {
      out.write(
        `requeued ${queue.requeueAllDeadLetters()} dead letter(s); the daemon takes them at its next poll\n`,
      );
      return 0;
    }
    if (requeue.length > 0 || drop.length > 0) {
      const ids = requeue.length > 0 ? requeue : drop;
      const done =
        requeue.length > 0
          ? ids.filter((id) => queue.requeueDeadLetter(id))
          : ids.filter((id) => queue.deleteDeadLetters([id]) === 1);
      const verb = requeue.length > 0 ? 'requeued' : 'dropped';
      // Nothing done: only the error below says so; "requeued 0" on stdout would read as a result.
      if (done.length > 0) out.write(`${verb} ${done.length} dead letter(s): ${done.join(', ')}\n`);
      const missed = ids.filter((id) => !done.includes(id));
      if (missed.length === 0) return 0;
      throw new CliError(
        `not dead letters in ${path} (unknown, pending or processed): ${missed.join(', ')}`,
        1,
      );
    }
    const stats = queue.stats();
    const letters = queue.listDeadLetters(limit);
    if (format === 'json') {
      out.write(`${JSON.stringify({ path, stats, deadLetters: letters }, null, 2)}\n`);
      return 0;
    }
    const oldest =
      stats.oldestPendingAgeMs === null
        ? ''
        : `; oldest unprocessed ${formatAge(stats.oldestPendingAgeMs)} old`;
    out.write(
      `queue ${path}: ${stats.pending} pending (${stats.delayed} waiting for a retry), ${stats.inFlight} in flight, ` +
        `${stats.dead} dead letter(s), ${stats.processed} processed kept${oldest}\n`,
    );
    if (letters.length > 0) {
      out.write(renderTable(letters.map(deadLetterRow)));
      if (stats.dead > letters.length) out.write(`(${stats.dead - letters.length} more: --limit)\n`);
    }
    return 0;
  } finally {
    queue.close();
  }
}

function openQueue(path: string, readOnly: boolean): SQLiteQueue {
  try {
    return new SQLiteQueue({ dbPath: path, readOnly });
  } catch (error) {
    // QueueUnavailableError: "Cannot open queue <path> read-only: <why>".
    throw new CliError((error as Error).message, 1);
  }
}

function deadLetterRow(letter: ListedDeadLetter): Record<string, string | number> {
  return {
    id: letter.id,
    type: letter.type,
    published: formatTime(letter.timestamp),
    'dead since': formatTime(letter.deadAt),
    attempts: letter.attempts,
    // As stored: a payload that is not JSON is listed as its text, which JSON would quote and escape.
    'payload bytes': letter.payloadBytes,
    reason: letter.lastError ?? '',
  };
}

function formatAge(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
