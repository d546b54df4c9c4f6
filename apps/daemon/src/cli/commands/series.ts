import { parseArgs } from 'node:util';
import { CliError } from '../CliError';
import { openStore, storeProblemWarnings } from '../openStore';
import { type Output, renderTable, type Warn } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { formatTime } from '../time';

export const seriesHelp = `Usage: flowtrace series <store> [--format table|json]

Lists every stored series (exchange, symbol, timeframe) with its first and last
open time and candle count. Safe while the daemon writes (opens read-only).
Default format: table on a terminal, json when piped.`;

const SERIES_FORMATS = ['table', 'json'] as const;

export async function seriesCommand(argv: string[], out: Output, warn: Warn): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' } },
  });
  const [baseDir] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!baseDir) throw new CliError('missing <store>');
  // Like query: a table for people on a terminal, machine-readable JSON when piped.
  const format = values.format ?? (out.isTTY ? 'table' : 'json');
  if (!(SERIES_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`--format must be one of ${SERIES_FORMATS.join(', ')}; got "${format}"`);
  }
  const { store, kind } = await openStore(baseDir, { readOnly: true });
  try {
    const series = await store.listSeries();
    if (format === 'json') {
      out.write(`${JSON.stringify(series, null, 2)}\n`);
    } else {
      out.write(
        renderTable(
          series.map((s) => ({
            exchange: s.exchange,
            symbol: s.symbol,
            timeframe: s.timeframe,
            first: formatTime(s.firstOpenTime),
            last: formatTime(s.lastOpenTime),
            candles: s.count,
          })),
        ),
      );
      if (out.isTTY) out.write(`${series.length} series in ${kind} store ${baseDir}\n`);
    }
    for (const warning of storeProblemWarnings(store)) warn(warning);
  } finally {
    await store.close();
  }
  return 0;
}
