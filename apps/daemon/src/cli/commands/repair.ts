import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { DroppedRegion, RepairedFile } from '@flowtrace/persistence/shared/storage';
import { CliError } from '../CliError';
import { openFtcdWriter } from '../openStore';
import type { Output } from '../output';
import { rejectExtraPositionals } from '../positionals';

export const repairHelp = `Usage: flowtrace repair <store> [--dry-run] [--format text|json]

Repairs the damaged partition files of a .ftcd store: every file the store
quarantines (corruption before its last block, docs/formats/ftcd.md) and every
file with a block that does not decode (what "flowtrace verify" reports). Each
is rewritten with all its whole blocks (CRC valid and decodable), in file order,
so reads return exactly what they returned before, and its partition takes
saves again. A file whose header is unusable (nothing of it was readable) is
moved aside, and its partition starts empty. The original is always kept
beside the file, byte for byte, as <file>.damaged-<UTC time>.

The candles of a damaged block are lost unless a producer still holds them:
the daemon answered saves into a quarantined partition with a retryable error,
so publishers queued them and the queue retries them once the daemon is
restarted on the repaired store. The report lists each dropped block's candle
count and open-time span, for a backfill.

Takes the writer's lock: stop the daemon first (exit 1 while it runs).
Crash-safe: the original stays at its path until its fsync'd copy replaces it.
--dry-run reports what would be done and changes nothing.
Exit code 0 when the store is healthy afterwards (or a dry run), 1 on failure.`;

export async function repairCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'dry-run': { type: 'boolean', default: false }, format: { type: 'string', default: 'text' } },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  if (values.format !== 'text' && values.format !== 'json')
    throw new CliError('--format must be text or json');
  const store = await openFtcdWriter(
    baseDir,
    'only .ftcd stores are repaired (for SQLite stores see docs/operations.md)',
  );
  try {
    const dryRun = values['dry-run'];
    const report = await store.repair({ dryRun, checkEveryBlock: true });
    if (values.format === 'json') out.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      for (const file of report.files) out.write(describeFile(baseDir, file, dryRun));
      const lost = report.files.reduce(
        (sum, file) => sum + file.dropped.reduce((n, region) => n + (region.candleCount ?? 0), 0),
        0,
      );
      out.write(
        report.files.length === 0
          ? 'nothing to repair: no damaged partition file\n'
          : `${dryRun ? 'would repair' : 'repaired'} ${report.files.length} file(s); ${lost} candle(s) in dropped blocks${dryRun ? ' (dry run: nothing changed)' : ''}\n`,
      );
    }
    return 0;
  } catch (error) {
    throw new CliError((error as Error).message, 1);
  } finally {
    await store.close();
  }
}

function describeFile(baseDir: string, file: RepairedFile, dryRun: boolean): string {
  const name = relative(baseDir, file.path);
  const lines: string[] = [];
  const done = dryRun ? 'would be ' : '';
  if (file.action === 'set-aside') {
    const why = file.problems[0]
      ? `${file.problems[0].code}: ${file.problems[0].message}`
      : 'unusable header';
    lines.push(`${name}: ${done}set aside (${why})`);
  } else {
    lines.push(
      `${name}: ${done}rewritten with ${file.blocks} block(s), ${file.candles} candle(s) (${file.bytesBefore} -> ${file.bytesAfter} bytes)`,
    );
  }
  for (const region of file.dropped) lines.push(`  dropped ${describeRegion(region)}`);
  if (file.damagedCopy) lines.push(`  original kept as ${relative(baseDir, file.damagedCopy)}`);
  return `${lines.join('\n')}\n`;
}

function describeRegion(region: DroppedRegion): string {
  const where = `offset ${region.offset}, ${region.bytes} bytes, ${region.reason}`;
  if (region.candleCount === undefined) return `${where}: ${region.message}`;
  const first = isoOrNumber(region.firstOpenTime!);
  const span =
    region.firstOpenTime === region.lastOpenTime ? first : `${first} .. ${isoOrNumber(region.lastOpenTime!)}`;
  return `${where}: ${region.candleCount} candle(s), open times ${span}`;
}

/** A block header written by a faulty writer may hold a time no Date can show. */
function isoOrNumber(time: number): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}
