import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  SQLITE_DATABASE_FILE,
  type SQLiteFlatBufferStorage,
  verifyStore,
} from '@flowtrace/persistence/shared/storage';
import Database from 'better-sqlite3';
import { CliError } from '../CliError';
import { detectStoreKind, openStore } from '../openStore';
import type { Output } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { Progress } from '../progress';
import { refuseStoreBelow } from '../storeHint';

export const verifyHelp = `Usage: flowtrace verify <store> [--format text|json]

Full integrity scan of a store. For .ftcd stores: every file's header and every
block's CRC-32C, decoding every block, torn tails and mid-file corruption. For
SQLite stores: PRAGMA integrity_check on every database, the series summaries
(what "flowtrace series" lists) against the candles stored, and a decode of
every stored candle. Prints a summary; exit code 1 on any corruption, 0 when clean.
Reads only, so it is safe while the daemon writes (a block being appended at that
moment can show as a torn tail: run it again to confirm).`;

export async function verifyCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'text' } },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  if (values.format !== 'text' && values.format !== 'json')
    throw new CliError(`--format must be one of text, json; got "${values.format}"`);
  // As the other read commands: verifyStore would check the files of the store below it (it
  // reads every .ftcd file under baseDir) and call clean a directory no store reads there.
  refuseStoreBelow(baseDir);
  const kind = detectStoreKind(baseDir);
  const progress = new Progress(process.stderr.isTTY === true);
  if (kind === 'ftcd') {
    const result = await verifyStore(baseDir);
    if (values.format === 'json') out.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      for (const file of result.unhealthy) {
        out.write(`CORRUPT ${file.path}\n`);
        if (file.headerError) out.write(`  header: ${file.headerError}\n`);
        for (const c of file.corruptions) out.write(`  offset ${c.offset}: ${c.reason}: ${c.message}\n`);
        for (const b of file.blocks.filter((x) => x.status !== 'ok'))
          out.write(`  block ${b.sequence}: ${b.error ?? b.status}\n`);
        if (file.tornTailAt !== undefined) out.write(`  torn tail at offset ${file.tornTailAt}\n`);
      }
      // Every candle a block holds: one saved again with other content is in a newer block too,
      // until compaction drops the older version, so this can exceed what `series` counts.
      out.write(
        `verified ${result.files.length} files, ${result.blocks} blocks holding ${result.candles} candle versions: ${result.healthy ? 'clean' : `${result.unhealthy.length} file(s) CORRUPT`}\n`,
      );
      if (
        result.unhealthy.some(
          (file) =>
            file.headerError || file.corruptions.length > 0 || file.blocks.some((b) => b.status !== 'ok'),
        )
      )
        out.write(`to repair: stop the daemon, then run "flowtrace repair ${baseDir}" (see its --help)\n`);
    }
    return result.healthy ? 0 : 1;
  }

  // SQLite: the database's own integrity check, then every candle decoded.
  const problems: string[] = [];
  const databases =
    kind === 'sqlite'
      ? [join(baseDir, SQLITE_DATABASE_FILE)]
      : readdirSync(baseDir)
          .map((name) => join(baseDir, name, SQLITE_DATABASE_FILE))
          .filter((path) => existsSync(path));
  for (const path of databases) {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      for (const row of rows)
        if (row.integrity_check !== 'ok') problems.push(`${path}: ${row.integrity_check}`);
    } finally {
      db.close();
    }
  }
  let candles = 0;
  const { store } = await openStore(baseDir, { readOnly: true, kind });
  try {
    // What `series` lists must be what the databases hold (a salvaged database may disagree).
    if (hasSeriesSummaries(store)) problems.push(...store.seriesSummaryProblems());
    for await (const _candle of store.iterate()) {
      candles++;
      if (candles % 10_000 === 0) progress.update(`decoded ${candles.toLocaleString('en-US')} candles`);
    }
  } catch (error) {
    problems.push(`decoding candle ${candles + 1}: ${(error as Error).message}`);
  } finally {
    await store.close();
  }
  progress.done();
  const healthy = problems.length === 0;
  if (values.format === 'json')
    out.write(`${JSON.stringify({ baseDir, kind, databases, candles, problems, healthy }, null, 2)}\n`);
  else {
    for (const p of problems) out.write(`CORRUPT ${p}\n`);
    out.write(
      `verified ${databases.length} database(s), ${candles} candles: ${healthy ? 'clean' : 'CORRUPT'}\n`,
    );
  }
  return healthy ? 0 : 1;
}

/** A SQLite store (by its method, not `instanceof`: the class may come from another copy of the package). */
function hasSeriesSummaries(store: object): store is Pick<SQLiteFlatBufferStorage, 'seriesSummaryProblems'> {
  return typeof (store as Partial<SQLiteFlatBufferStorage>).seriesSummaryProblems === 'function';
}
