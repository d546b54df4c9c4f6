import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { isTimeframeName, TIMEFRAME_NAMES, type TimeframeName } from '@flowtrace/core';
import {
  type CandleStoragePort,
  InMemoryCandleStorage,
} from '@flowtrace/persistence/features/candlePersistence';
import {
  LegacyFtcdDirectorySource,
  LegacySqliteCandleReader,
  MigrationReporter,
  type MigrationSource,
  MigrationValidator,
  REPORT_FORMATS,
  type ReportFormat,
  StorageMigrator,
} from '@flowtrace/persistence/shared/migration';
import {
  FTCD_EXTENSION,
  LEGACY_SQLITE_EXCHANGE_FILE,
  LEGACY_SQLITE_FILE,
  PARTITION_GRANULARITIES,
  type PartitionGranularity,
  storeLayoutsIn,
} from '@flowtrace/persistence/shared/storage';
import { CliError } from '../CliError';
import { TargetDirectory } from '../directories';
import { openStore, type StoreKind, storedCandles } from '../openStore';
import type { Output, Warn } from '../output';
import { Progress } from '../progress';

export const migrateHelp = `Usage: flowtrace migrate --from <kind>:<path> --to <kind>:<path> [options]

Copies every candle from one store to another in durable batches, with bounded
memory, then compares source and target candle by candle.

Kinds:
  ftcd:<dir>                .ftcd block-file store
  sqlite:<dir>              FlatBuffers in SQLite, one database
  sqlite-by-exchange:<dir>  FlatBuffers in SQLite, one database per exchange
  legacy-ftcd:<dir>         original FlowTrace .ftcd files (<dir>/candles/*.ftcd), source only
  legacy-sqlite:<dir>       original FlowTrace candles database (<dir>/flowtrace-candles.db), source only
  legacy-sqlite-by-exchange:<dir>  original per-exchange databases (<dir>/<exchange>/candles.db), source only

Options:
  --checkpoint <file>       resume from (and record progress in) this file; a
                            killed migration run again with it continues where it stopped
  --batch-size <n>          candles per durable batch (default 1000)
  --partitioning <tf>=<g>[,...]  an ftcd target's partition granularity per
                            timeframe, g one of day, month, year (e.g. 1m=month,1h=year):
                            how to repartition a store (its series keep the granularity
                            they were created with)
  --dry-run                 read, validate and count; write nothing
  --exchange/--symbol/--timeframe <v>  only the matching series
  --on-invalid skip|stop    a candle failing validation is skipped and reported (default) or stops the run
  --validate full|sample:<n>|none      compare source and target afterwards (default full)
  --tolerance <r>           relative number tolerance of the comparison (default 0: exact)
  --report <file>           write a report; its format from --report-format (json, markdown, html, csv)

A --from store that holds no candles of its kind but data of another kind, and a
--to directory that already holds another kind's data, are refused (exit 2).

A run that fails before anything reached the target removes what it created
(the --to directory, or a new database in a directory that was there); one
that fails later keeps what it migrated: run it again to continue.

A source's own problems (legacy rows that do not decode or duplicate a key, the
later row being read; damaged .ftcd files) are listed and reported: what they
concern is not migrated, and the exit code is 1.

Exit code: 0 when the migration completed, the source reported no problem and
the comparison found no difference; 1 otherwise; 2 on a usage error.`;

type EndpointKind = StoreKind | 'legacy-ftcd' | 'legacy-sqlite' | 'legacy-sqlite-by-exchange';
type Endpoint = { kind: EndpointKind; path: string };

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();
const subdirectories = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name));

/**
 * Which kinds of candle data a directory visibly holds, by their files: so that
 * a wrong kind is refused instead of reading nothing (a `.ftcd` reader finds no
 * series in a SQLite store and would "migrate" 0 candles) or writing a second
 * store beside the first (which then hides it from auto-detection).
 */
function kindsFound(dir: string): EndpointKind[] {
  if (!isDirectory(dir)) return [];
  // The stores' own layouts, as openCandleStore checks them; then the original platform's files.
  const found: EndpointKind[] = storeLayoutsIn(dir);
  const exchanges = subdirectories(dir);
  const legacyFiles = join(dir, 'candles');
  if (isDirectory(legacyFiles) && readdirSync(legacyFiles).some((name) => name.endsWith(FTCD_EXTENSION))) {
    found.push('legacy-ftcd');
  }
  if (existsSync(join(dir, LEGACY_SQLITE_FILE))) found.push('legacy-sqlite');
  if (exchanges.some((sub) => existsSync(join(sub, LEGACY_SQLITE_EXCHANGE_FILE)))) {
    found.push('legacy-sqlite-by-exchange');
  }
  return found;
}

function parseEndpoint(text: string | undefined, flag: string): Endpoint {
  if (!text) throw new CliError(`${flag} <kind>:<path> is required`);
  const at = text.indexOf(':');
  const kind = text.slice(0, at);
  const path = text.slice(at + 1);
  const kinds = [
    'ftcd',
    'sqlite',
    'sqlite-by-exchange',
    'legacy-ftcd',
    'legacy-sqlite',
    'legacy-sqlite-by-exchange',
  ];
  if (at <= 0 || !kinds.includes(kind) || path === '') {
    throw new CliError(`${flag} must be <kind>:<path> with kind one of ${kinds.join(', ')}; got "${text}"`);
  }
  return { kind, path } as Endpoint;
}

/**
 * Where a path leads: its real path when it exists (symlinks and `..`
 * resolved), else the absolute path it names.
 */
function location(path: string): string {
  // A target not created yet: its nearest existing ancestor resolved, the rest as given.
  let existing = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(existing), ...rest);
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return resolve(path);
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

/**
 * The same directory as source and target, however spelt (`X`, `./X/`, a
 * symlink): a usage error, said before anything is opened. A store migrated
 * into itself "succeeds" by comparing it with itself. Whatever the kinds
 * (checked after foreignTarget, whose message says more when they differ).
 */
function refuseSameDirectory(from: Endpoint, to: Endpoint): void {
  const source = location(from.path);
  const target = location(to.path);
  const relation =
    source === target
      ? 'are the same directory'
      : isInside(target, source)
        ? 'would put the target inside the source'
        : isInside(source, target)
          ? 'would put the source inside the target'
          : undefined;
  if (relation === undefined) return;
  throw new CliError(
    `--from ${from.kind}:${from.path} and --to ${to.kind}:${to.path} ${relation}: ` +
      'migrate copies a store into another, separate one',
  );
}

/** Whether `dir` lies below `ancestor` (both absolute, resolved). */
function isInside(dir: string, ancestor: string): boolean {
  return dir.startsWith(ancestor.endsWith(sep) ? ancestor : ancestor + sep);
}

/** `1m=month,1h=year` → `{ '1m': 'month', '1h': 'year' }`, every entry checked. */
function parsePartitioning(text: string): Partial<Record<TimeframeName, PartitionGranularity>> {
  const partitioning: Partial<Record<TimeframeName, PartitionGranularity>> = {};
  for (const entry of text.split(',')) {
    const [timeframe, granularity, extra] = entry.trim().split('=');
    if (extra !== undefined || !isTimeframeName(timeframe)) {
      throw new CliError(
        `--partitioning entry "${entry}" must be <timeframe>=<granularity> with timeframe one of ${TIMEFRAME_NAMES.join(', ')}`,
      );
    }
    if (!(PARTITION_GRANULARITIES as readonly string[]).includes(granularity ?? '')) {
      throw new CliError(
        `--partitioning ${timeframe}=${granularity ?? ''}: granularity must be one of ${PARTITION_GRANULARITIES.join(', ')}`,
      );
    }
    partitioning[timeframe] = granularity as PartitionGranularity;
  }
  return partitioning;
}

async function openSource(endpoint: Endpoint): Promise<{ source: MigrationSource; close(): Promise<void> }> {
  switch (endpoint.kind) {
    case 'legacy-ftcd':
      return { source: new LegacyFtcdDirectorySource({ baseDir: endpoint.path }), close: async () => {} };
    case 'legacy-sqlite':
    case 'legacy-sqlite-by-exchange': {
      const reader = await LegacySqliteCandleReader.open({
        baseDir: endpoint.path,
        organizeByExchange: endpoint.kind === 'legacy-sqlite-by-exchange',
      });
      return { source: reader, close: () => reader[Symbol.asyncDispose]() };
    }
    default: {
      const { store } = await openStore(endpoint.path, { readOnly: true, kind: endpoint.kind });
      return { source: store, close: () => store.close() };
    }
  }
}

/**
 * A source directory holding another kind's data and none of its own: the
 * kind is wrong. Checked before opening it, because most readers fail to open
 * a directory without their files (`sqlite:` on a .ftcd store: "does not
 * exist", exit 1) rather than list no series.
 */
function refuseForeignSource(from: Endpoint): void {
  const found = kindsFound(from.path);
  if (found.length > 0 && !found.includes(from.kind)) throw foreignSourceError(from, found);
}

/** A store source with no series of its kind, in a directory holding another kind's candles: the kind is wrong. */
async function refuseEmptyForeignSource(from: Endpoint, source: MigrationSource): Promise<void> {
  if ((await source.listSeries()).length > 0) return;
  const foreign = kindsFound(from.path).filter((kind) => kind !== from.kind);
  if (foreign.length > 0) throw foreignSourceError(from, foreign);
}

function foreignSourceError(from: Endpoint, foreign: readonly EndpointKind[]): CliError {
  return new CliError(
    `--from ${from.kind}:${from.path} holds no ${from.kind} candles, but ${foreign.join(' and ')} data; ` +
      `did you mean --from ${foreign[0]}:${from.path}?`,
  );
}

export async function migrateCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      checkpoint: { type: 'string' },
      'batch-size': { type: 'string', default: '1000' },
      partitioning: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      exchange: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      'on-invalid': { type: 'string', default: 'skip' },
      validate: { type: 'string', default: 'full' },
      tolerance: { type: 'string', default: '0' },
      report: { type: 'string' },
      'report-format': { type: 'string', default: 'markdown' },
    },
  });
  const from = parseEndpoint(values.from, '--from');
  const to = parseEndpoint(values.to, '--to');
  if (to.kind.startsWith('legacy')) throw new CliError('legacy formats can be read, not written');
  const partitioning = values.partitioning === undefined ? undefined : parsePartitioning(values.partitioning);
  if (partitioning && to.kind !== 'ftcd')
    throw new CliError('--partitioning applies to an ftcd: target only');
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000)
    throw new CliError('--batch-size must be an integer from 1 to 1,000,000');
  if (values['on-invalid'] !== 'skip' && values['on-invalid'] !== 'stop')
    throw new CliError('--on-invalid must be skip or stop');
  const validate = values.validate;
  const sampleMatch = /^sample:(\d+)$/.exec(validate);
  if (validate !== 'full' && validate !== 'none' && !sampleMatch)
    throw new CliError('--validate must be full, sample:<n> or none');
  const tolerance = Number(values.tolerance);
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 1)
    throw new CliError('--tolerance must be between 0 and 1');
  const reportFormat = values['report-format'] as ReportFormat;
  if (!(REPORT_FORMATS as readonly string[]).includes(reportFormat)) {
    throw new CliError(`--report-format must be one of ${REPORT_FORMATS.join(', ')}`);
  }

  const foreignTarget = kindsFound(to.path).filter((kind) => kind !== to.kind);
  if (foreignTarget.length > 0 && !values['dry-run']) {
    throw new CliError(
      `--to ${to.kind}:${to.path}: the directory already holds ${foreignTarget.join(' and ')} data; ` +
        'writing another kind of store beside it would hide one of them, choose an empty or same-kind directory',
    );
  }
  refuseSameDirectory(from, to);
  refuseForeignSource(from);
  const source = await openSource(from);
  let target: CandleStoragePort | undefined;
  let directory: TargetDirectory | undefined;
  let exitCode: number | undefined;
  const progress = new Progress(process.stderr.isTTY === true);
  try {
    await refuseEmptyForeignSource(from, source.source);
    // A dry run writes nothing, so it needs no target on disk (it may not exist yet).
    if (values['dry-run']) target = await InMemoryCandleStorage.open();
    else {
      directory = TargetDirectory.prepare(to.path, `the --to directory`);
      target = (
        await openStore(to.path, { readOnly: false, create: true, kind: to.kind as StoreKind, partitioning })
      ).store;
    }
    const migrator = new StorageMigrator({
      source: source.source,
      target,
      batchSize,
      checkpointPath: values.checkpoint,
      dryRun: values['dry-run'],
      onInvalidCandle: values['on-invalid'],
      filter: { exchange: values.exchange, symbol: values.symbol, timeframe: values.timeframe },
      onProgress: (p) =>
        progress.update(
          `${p.series} (${p.seriesIndex + 1}/${p.seriesCount}): ${p.migrated.toLocaleString('en-US')}${p.total ? ` of ${p.total.toLocaleString('en-US')}` : ''} candles, ${Math.round(p.rate).toLocaleString('en-US')}/s`,
        ),
    });
    const result = await migrator.migrate();
    progress.done();
    out.write(
      `migration ${result.status}${result.resumed ? ` (resumed, run ${result.runs})` : ''}${result.dryRun ? ' [dry run]' : ''}: ${result.totals.migrated} of ${result.totals.source} candles in ${result.totals.series} series, ${result.totals.read} read in this run${result.dryRun ? '' : ` (${result.totals.written} written, ${result.totals.unchanged} already identical in the target)`}, ${(result.durationMs / 1000).toFixed(1)} s\n`,
    );
    const invalid = result.totals.invalid;
    if (invalid > 0) out.write(`${invalid} invalid candle(s) skipped (see the report)\n`);
    // Left out by the source itself: no comparison can see them missing, so they fail the run.
    const leftOut = result.sourceProblems;
    if (leftOut.length > 0) {
      out.write(`${leftOut.length} problem(s) in the source: what they concern was not migrated\n`);
      for (const problem of leftOut.slice(0, 10))
        out.write(`  ${problem.rule} ${problem.key}: ${problem.message}\n`);
    }

    let validation: Awaited<ReturnType<MigrationValidator['validate']>> | undefined;
    if (validate !== 'none' && !values['dry-run'] && result.status === 'completed') {
      const validator = new MigrationValidator({
        relativeTolerance: tolerance,
        ...(sampleMatch ? { sample: { size: Number(sampleMatch[1]), seed: 1 } } : {}),
      });
      validation = await validator.validate(source.source, target);
      out.write(
        `validation (${validation.mode}): ${validation.compared} compared, ${validation.matched} identical, ${validation.missing} missing, ${validation.extra} extra, ${validation.mismatched} mismatched\n`,
      );
      for (const d of validation.differences.slice(0, 10)) {
        out.write(
          `  ${d.kind} ${d.key}${d.fields.length > 0 ? `: ${d.fields.map((f) => f.path).join(', ')}` : ''}\n`,
        );
      }
    }
    if (values.report) {
      await new MigrationReporter().write(values.report, reportFormat, result, validation);
      out.write(`report written to ${values.report} (${reportFormat})\n`);
    }
    exitCode =
      result.status === 'completed' &&
      (validation === undefined || validation.ok) &&
      result.sourceProblems.length === 0
        ? 0
        : 1;
    return exitCode;
  } finally {
    // Counted while the target is open; a failed run is settled once it is closed (its lock released).
    const stored = exitCode !== 0 && target && directory ? await storedCandles(target) : undefined;
    await target?.close();
    await source.close();
    // A target that did not open may be another writer's (the daemon's lock): only empty directories go.
    if (exitCode !== 0 && !target) directory?.removeCreatedIfEmpty();
    if (directory && stored !== undefined) {
      const keep = [values.checkpoint, values.report].filter((file) => file !== undefined);
      settleFailedTarget(directory, stored, { threw: exitCode === undefined, keep, warn });
    }
  }
}

/**
 * A run that failed (an error, or exit 1). With nothing stored in the target,
 * what the run added is removed (see TargetDirectory.undo): an empty
 * directory or database left behind would be taken for a store, and a retry
 * with another kind refused. With candles stored they are kept, whoever
 * wrote them: a retry continues from them, and deleting them could lose data
 * that was there before.
 */
function settleFailedTarget(
  directory: TargetDirectory,
  stored: number,
  how: { threw: boolean; keep: readonly string[]; warn: Warn },
): void {
  if (stored > 0) {
    if (how.threw) {
      how.warn(
        `${directory.path} keeps what was migrated before the error (it holds ${stored} candle(s)); run the ` +
          'migration again to continue (with --checkpoint it resumes where it stopped; without, the candles ' +
          'already there are saved again, as no-ops)',
      );
    }
    return;
  }
  try {
    if (directory.undo(how.keep)) {
      const removed = directory.removedDirectory;
      how.warn(
        removed === undefined
          ? `nothing was migrated: removed what this run created in ${directory.path}`
          : `nothing was migrated: removed ${removed}, which this run created`,
      );
    }
  } catch (error) {
    how.warn(
      `nothing was migrated, but what this run created in ${directory.path} could not be removed: ${(error as Error).message}`,
    );
  }
}
