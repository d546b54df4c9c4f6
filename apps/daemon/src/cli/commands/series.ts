import { parseArgs } from 'node:util';
import { openStore } from '../openStore';
import { type Output, renderTable } from '../output';
import { formatTime } from '../time';

export const seriesHelp = `Usage: flowtrace series <store> [--format table|json]

Lists every stored series (exchange, symbol, timeframe) with its first and last
open time and candle count. Safe while the daemon writes (opens read-only).`;

export async function seriesCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string', default: 'table' } },
  });
  const [baseDir] = positionals;
  if (!baseDir) throw new Error('series: missing <store>');
  const { store, kind } = await openStore(baseDir, { readOnly: true });
  try {
    const series = await store.listSeries();
    if (values.format === 'json') {
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
  } finally {
    await store.close();
  }
  return 0;
}
