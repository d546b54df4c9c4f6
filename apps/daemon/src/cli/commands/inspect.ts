import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inspectFtcdFile } from '@flowtrace/persistence/shared/storage';
import { CliError } from '../CliError';
import { type Output, renderTable } from '../output';
import { rejectExtraPositionals } from '../positionals';
import { formatTime } from '../time';

export const inspectHelp = `Usage: flowtrace inspect <file.ftcd> [--format table|json]

Shows a .ftcd file's header (format version, exchange, symbol, timeframe,
partition) and every block with its sequence, candle count, time range, codec,
size and CRC-32C status, plus any corruption or torn tail. Reads only; exit
code 1 when the file is not healthy.
Default format: table on a terminal, json when piped.`;

export async function inspectCommand(argv: string[], out: Output): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' } },
  });
  const [file] = positionals;
  rejectExtraPositionals(positionals, 1);
  if (!file) throw new CliError('missing <file.ftcd>');
  const format = values.format ?? (out.isTTY ? 'table' : 'json');
  if (format !== 'table' && format !== 'json')
    throw new CliError(`--format must be one of table, json; got "${format}"`);
  // Reading a directory fails with a bare `EISDIR: illegal operation on a directory, read`.
  if (isDirectory(file))
    throw new CliError(`${file} is a directory, not a .ftcd file (flowtrace verify checks a whole store)`, 1);
  const report = await inspectFtcdFile(file, { decode: true });
  if (format === 'json') {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.healthy ? 0 : 1;
  }
  const h = report.header;
  out.write(
    h
      ? `file ${report.path} (${report.size} bytes): format v${h.version}, ${h.exchange}/${h.symbol}/${h.timeframe}, partition ${h.partition}\n`
      : `file ${report.path} (${report.size} bytes): unreadable header: ${report.headerError ?? 'unknown'}\n`,
  );
  out.write(
    renderTable(
      report.blocks.map((b) => ({
        sequence: b.sequence,
        offset: b.offset,
        bytes: b.totalLength,
        candles: b.candleCount,
        first: formatTime(b.firstOpenTime),
        last: formatTime(b.lastOpenTime),
        codec: b.codec,
        crc: 'ok',
        decode: b.status === 'ok' ? 'ok' : `FAILED: ${b.error ?? ''}`,
      })),
    ),
  );
  for (const c of report.corruptions) out.write(`CORRUPT at offset ${c.offset}: ${c.reason}: ${c.message}\n`);
  if (report.tornTailAt !== undefined)
    out.write(`torn tail (incomplete last block) at offset ${report.tornTailAt}\n`);
  out.write(
    `${report.blocks.length} valid blocks, ${report.candles} candles: ${report.healthy ? 'healthy' : 'NOT healthy'}\n`,
  );
  return report.healthy ? 0 : 1;
}

/** Whether `path` is a directory; anything else (a missing path too) is left to inspectFtcdFile to report. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
