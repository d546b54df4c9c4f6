import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { isTimeframeName, type TimeframeName } from '@flowtrace/core';
import { CliError } from '../CliError';
import { openStore, storeProblemWarnings } from '../openStore';
import { type Output, type Warn, writeCandles } from '../output';
import { Progress } from '../progress';
import { parseTime } from '../time';
import { parseFormat } from './query';

export const exportHelp = `Usage: flowtrace export <store> [--exchange <ex>] [--symbol <sym>] [--timeframe <tf>]
                        [--from <time>] [--to <time>] [--format jsonl|csv] [--out <file>]

Streams a whole store, or the series matching the filters, as JSON lines (one
FootprintCandle DTO per line, bins included) or CSV (DTO field names as header,
bins as JSON in the "aggs" column). Memory stays bounded whatever the size.
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
      format: { type: 'string', default: 'jsonl' },
      out: { type: 'string' },
    },
  });
  const [baseDir] = positionals;
  if (!baseDir) throw new CliError('missing <store>');
  if (values.timeframe !== undefined && !isTimeframeName(values.timeframe)) {
    throw new CliError(`unknown timeframe "${values.timeframe}"`);
  }
  const format = parseFormat(values.format, out, ['jsonl', 'csv']);
  const file = values.out === undefined ? undefined : createWriteStream(values.out);
  const target: Output = file ? { isTTY: false, write: (text) => void file.write(text) } : out;
  const progress = new Progress(process.stderr.isTTY === true && file !== undefined);

  const { store } = await openStore(baseDir, { readOnly: true });
  let count = 0;
  let warnings: string[] = [];
  try {
    const candles = store.iterate({
      exchange: values.exchange,
      symbol: values.symbol,
      timeframe: values.timeframe as TimeframeName | undefined,
      startTime: values.from === undefined ? undefined : parseTime(values.from, '--from'),
      endTime: values.to === undefined ? undefined : parseTime(values.to, '--to'),
    });
    async function* counted() {
      for await (const candle of candles) {
        count++;
        if (count % 1000 === 0) progress.update(`exported ${count.toLocaleString('en-US')} candles`);
        yield candle;
      }
    }
    await writeCandles(counted(), format, target);
    warnings = storeProblemWarnings(store);
  } finally {
    await store.close();
    if (file)
      await new Promise<void>((resolve, reject) =>
        file.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
  }
  progress.done(`exported ${count.toLocaleString('en-US')} candles`);
  // After the progress line, so that a redrawn line does not overwrite them.
  for (const warning of warnings) warn(warning);
  return 0;
}
