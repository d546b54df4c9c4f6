import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type FootprintCandleDTO, validateFootprintCandle } from '@flowtrace/core';
import { CliError } from '../CliError';
import { csvRowToObject, splitCsvRecord } from '../candleCsv';
import { openStore } from '../openStore';
import type { Output } from '../output';
import { Progress } from '../progress';

export const importHelp = `Usage: flowtrace import <store> <file> [--format jsonl|csv] [--batch-size <n>] [--database]

Reads candles exported by "flowtrace export" (JSON lines or CSV; chosen by the
file's extension unless --format says) and saves them durably into <store>
(created as a .ftcd store when missing; --database for FlatBuffers in SQLite).
Every candle is validated first: invalid lines are reported with their line
number and reasons and are not stored; the valid ones are. Exit code 1 when any
line was invalid. Saving a candle that is already stored unchanged is a no-op.`;

const MAX_REPORTED = 20;

export async function importCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      'batch-size': { type: 'string', default: '1000' },
      database: { type: 'boolean', default: false },
    },
  });
  const [baseDir, file] = positionals;
  if (!baseDir || !file) throw new CliError('usage: flowtrace import <store> <file>');
  const format = values.format ?? (file.endsWith('.csv') ? 'csv' : 'jsonl');
  if (format !== 'csv' && format !== 'jsonl') throw new CliError('--format must be jsonl or csv');
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new CliError('--batch-size must be a positive integer');

  const { store } = await openStore(baseDir, {
    readOnly: false,
    create: true,
    kind: values.database ? 'sqlite' : undefined,
  });
  const progress = new Progress(process.stderr.isTTY === true);
  let lineNumber = 0;
  let imported = 0;
  let written = 0;
  const invalid: string[] = [];
  let invalidCount = 0;
  let batch: FootprintCandleDTO[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await store.saveMany(batch);
    imported += batch.length;
    written += result.written;
    batch = [];
    progress.update(`imported ${imported.toLocaleString('en-US')} candles`);
  };
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
    let columns: string[] | undefined;
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      if (format === 'csv' && columns === undefined) {
        columns = splitCsvRecord(line);
        continue;
      }
      let parsed: unknown;
      try {
        parsed = format === 'csv' ? csvRowToObject(columns ?? [], line) : JSON.parse(line);
      } catch (error) {
        invalidCount++;
        if (invalid.length < MAX_REPORTED)
          invalid.push(`line ${lineNumber}: unreadable: ${(error as Error).message}`);
        continue;
      }
      const result = validateFootprintCandle(parsed, { strict: false });
      if (!result.ok) {
        invalidCount++;
        if (invalid.length < MAX_REPORTED) {
          invalid.push(
            `line ${lineNumber}: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          );
        }
        continue;
      }
      batch.push(result.candle);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    await store.close();
  }
  progress.done();
  out.write(
    `imported ${imported} candles (${written} written, ${imported - written} already stored) from ${file}\n`,
  );
  if (invalidCount > 0) {
    out.write(`${invalidCount} invalid line(s) not imported:\n${invalid.map((l) => `  ${l}`).join('\n')}\n`);
    if (invalidCount > invalid.length) out.write(`  … and ${invalidCount - invalid.length} more\n`);
    return 1;
  }
  return 0;
}
