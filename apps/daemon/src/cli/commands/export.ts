import { parseArgs } from 'node:util';
import { isTimeframeName, type TimeframeName } from '@flowtrace/core';
import { CliError } from '../CliError';
import { candleFileFormat } from '../candleFileReader';
import { FileOutput } from '../fileOutput';
import { openStore, storeProblemWarnings } from '../openStore';
import { type Output, type Warn, writeCandles } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { Progress } from '../progress';
import { checkNameOptions } from '../seriesOptions';
import { parseTimeRange } from '../time';
import { parseFormat } from './query';

export const exportHelp = `Usage: flowtrace export <store> [--exchange <ex>] [--symbol <sym>] [--timeframe <tf>]
                        [--from <time>] [--to <time>] [--format jsonl|csv] [--out <file>]

Streams a whole store, or the series matching the filters, as JSON lines (one
FootprintCandle DTO per line, bins included) or CSV (DTO field names as header,
bins as JSON in the "aggs" column): --format, else CSV when --out names a .csv
file, else JSON lines. Memory stays bounded whatever the size.
Re-import with "flowtrace import".`;

export async function exportCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      exchange: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  checkNameOptions(values);
  if (values.timeframe !== undefined && !isTimeframeName(values.timeframe)) {
    throw new CliError(`unknown timeframe "${values.timeframe}"`);
  }
  // As import and publish read a file: CSV when --out names a .csv file, else JSON lines.
  const format = parseFormat(values.format ?? candleFileFormat(values.out ?? '', undefined), out, [
    'jsonl',
    'csv',
  ]);
  const { startTime, endTime } = parseTimeRange(values.from, values.to);

  const { store } = await openStore(baseDir, { readOnly: true });
  // Opened only once the arguments and the store are good: a typo must not empty an earlier export.
  let file: FileOutput | undefined;
  let count = 0;
  let warnings: string[] = [];
  const progress = new Progress(process.stderr.isTTY === true && values.out !== undefined);
  try {
    file = values.out === undefined ? undefined : new FileOutput(values.out);
    const target: Output = file ?? out;
    const candles = store.iterate({
      exchange: values.exchange,
      symbol: values.symbol,
      timeframe: values.timeframe as TimeframeName | undefined,
      startTime,
      endTime,
    });
    async function* counted() {
      for await (const candle of candles) {
        count++;
        if (count % 1000 === 0) progress.update(`exported ${count.toLocaleString('en-US')} candles`);
        yield candle;
      }
    }
    await writeCandles(counted(), format, target);
    file?.commit();
    warnings = storeProblemWarnings(store);
  } finally {
    await store.close();
    file?.close();
  }
  progress.done(`exported ${count.toLocaleString('en-US')} candles`);
  // After the progress line, so that a redrawn line does not overwrite them.
  for (const warning of warnings) warn(warning);
  return 0;
}
