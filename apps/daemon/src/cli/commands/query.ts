import { parseArgs } from 'node:util';
import { isTimeframeName } from '@flowtrace/core';
import { CliError } from '../CliError';
import { openStore, storeProblemWarnings } from '../openStore';
import { type CandleFormat, type Output, type Warn, writeCandles } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { checkNameOptions } from '../seriesOptions';
import { parseTimeRange } from '../time';

export const queryHelp = `Usage: flowtrace query <store> --exchange <ex> --symbol <sym> --timeframe <tf>
                       [--from <time>] [--to <time>] [--limit <n>] [--order asc|desc]
                       [--format table|jsonl|csv]

Prints the candles of one series whose open time is within [from, to] (both
inclusive; a --from later than --to is a usage error). Times are epoch
milliseconds or ISO-8601 (UTC when no zone is given).
Default format: table on a terminal, jsonl when piped.`;

export function parseFormat(
  value: string | undefined,
  out: Output,
  allowed: readonly CandleFormat[],
): CandleFormat {
  const format = value ?? (out.isTTY ? 'table' : 'jsonl');
  if (!(allowed as readonly string[]).includes(format)) {
    throw new CliError(`--format must be one of ${allowed.join(', ')}; got "${format}"`);
  }
  return format as CandleFormat;
}

export async function queryCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      exchange: { type: 'string' },
      symbol: { type: 'string' },
      timeframe: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      order: { type: 'string', default: 'asc' },
      format: { type: 'string' },
    },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  const { exchange, symbol, timeframe } = values;
  if (!exchange || !symbol || !timeframe)
    throw new CliError('--exchange, --symbol and --timeframe are required');
  checkNameOptions({ exchange, symbol });
  if (!isTimeframeName(timeframe)) throw new CliError(`unknown timeframe "${timeframe}"`);
  if (values.order !== 'asc' && values.order !== 'desc') throw new CliError('--order must be asc or desc');
  let limit: number | undefined;
  if (values.limit !== undefined) {
    // As `queue --limit`: digits only (Number() takes "1e3", "0x10", " 5"), and 0 is refused
    // rather than printing nothing, which would read as an empty series.
    limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || !Number.isSafeInteger(limit) || limit < 1)
      throw new CliError(`--limit must be a whole number from 1; got "${values.limit}"`);
  }
  const format = parseFormat(values.format, out, ['table', 'jsonl', 'csv']);
  const { startTime, endTime } = parseTimeRange(values.from, values.to);

  const { store } = await openStore(baseDir, { readOnly: true });
  try {
    const candles = await store.findBySymbol(symbol, exchange, timeframe, {
      startTime,
      endTime,
      limit,
      order: values.order,
    });
    await writeCandles(candles, format, out);
    for (const warning of storeProblemWarnings(store)) warn(warning);
  } finally {
    await store.close();
  }
  return 0;
}
