import type { FootprintCandleDTO } from '@flowtrace/core';
import { candleCsvHeader, candleToCsvRow } from './candleCsv';
import { formatTime } from './time';

export type CandleFormat = 'table' | 'jsonl' | 'csv';

export interface Output {
  write(text: string): void;
  /** Whether stdout is a terminal (progress and tables for people) or a pipe (quiet, machine-readable). */
  isTTY: boolean;
  /** The reader went away (stdout's EPIPE): writes are dropped, and a command that streams stops. */
  readonly closed?: boolean;
  /** While the reader is behind, settles once it caught up (or went away); otherwise undefined. */
  drained?(): Promise<void> | undefined;
}

/** Prints one warning line on stderr; runCli prefixes it once with `flowtrace <command>: warning: `. */
export type Warn = (message: string) => void;

export function renderTable(rows: readonly Record<string, string | number | boolean>[]): string {
  if (rows.length === 0) return '(none)\n';
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => String(r[c]))))].join('\n')}\n`;
}

export function candleTableRow(c: FootprintCandleDTO): Record<string, string | number | boolean> {
  return {
    open: formatTime(c.t),
    o: c.o,
    h: c.h,
    l: c.l,
    c: c.c,
    volume: c.v,
    delta: c.d,
    trades: c.n,
    bins: c.aggs.length,
    complete: c.x,
  };
}

/**
 * Writes candles as they stream, in the chosen format; tables are buffered in
 * pages of 1,000 rows. Waits while the reader is behind, and stops when it
 * went away (`| head`): the count is of the candles read until then.
 */
export async function writeCandles(
  candles: AsyncIterable<FootprintCandleDTO> | Iterable<FootprintCandleDTO>,
  format: CandleFormat,
  out: Output,
): Promise<number> {
  let count = 0;
  let page: Record<string, string | number | boolean>[] = [];
  if (format === 'csv') out.write(`${candleCsvHeader()}\n`);
  for await (const candle of candles) {
    if (out.closed) break;
    count++;
    if (format === 'jsonl') out.write(`${JSON.stringify(candle)}\n`);
    else if (format === 'csv') out.write(`${candleToCsvRow(candle)}\n`);
    else {
      page.push(candleTableRow(candle));
      if (page.length === 1000) {
        out.write(renderTable(page));
        page = [];
      }
    }
    const behind = out.drained?.();
    if (behind) await behind;
  }
  if (format === 'table' && (page.length > 0 || count === 0)) out.write(renderTable(page));
  return count;
}
