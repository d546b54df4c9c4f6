import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type FootprintCandleDTO, formatIssue, validateFootprintCandle } from '@flowtrace/core';
import { CliError } from './CliError';
import { csvHeaderProblem, csvRowToObject, splitCsvRecord } from './candleCsv';

/**
 * Reading the candle files "flowtrace export" writes (JSON lines or CSV), for
 * the commands that take them: `import` (into a store) and `publish` (to the
 * running daemon). Both read, validate and report invalid lines the same way.
 */
export type CandleFileFormat = 'jsonl' | 'csv';

/** Lines listed at most in a report; the others are counted ("… and N more"). */
const MAX_REPORTED = 20;

/** Lines to report: how many, and the first MAX_REPORTED of them. */
export interface ReportedLines {
  count: number;
  listed: string[];
}

/** The lines that held no valid candle, with their reasons. */
export type InvalidLines = ReportedLines;

/** Counts `text` in `lines`, listing it while fewer than MAX_REPORTED are. */
export function reportLine(lines: ReportedLines, text: string): void {
  lines.count++;
  if (lines.listed.length < MAX_REPORTED) lines.listed.push(text);
}

/** `heading:` then the listed lines indented, and how many more there were; empty when none. */
export function linesReport(lines: ReportedLines, heading: string): string {
  if (lines.count === 0) return '';
  const more = lines.count - lines.listed.length;
  return (
    `${heading}:\n${lines.listed.map((l) => `  ${l}`).join('\n')}\n` +
    (more > 0 ? `  … and ${more} more\n` : '')
  );
}

/** `--format`, or the file's extension when it is not given (`.csv`: CSV, anything else JSON lines). */
export function candleFileFormat(file: string, format: string | undefined): CandleFileFormat {
  const chosen = format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
  if (chosen !== 'csv' && chosen !== 'jsonl') throw new CliError('--format must be jsonl or csv');
  return chosen;
}

/** Opens the file to read (exit 1 when it cannot be read, or is a directory). */
export async function openCandleFile(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    if ((await handle.stat()).isDirectory()) throw new Error('it is a directory');
    return handle;
  } catch (error) {
    await handle?.close();
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, 1);
  }
}

/**
 * Reads `input` line by line and hands each valid candle to `onCandle`, in
 * file order with its line number (awaited when it returns a promise: a caller that writes in
 * batches keeps memory bounded). Each candle is validated first
 * (validateFootprintCandle, not strict); a line that does not parse or
 * validate is counted and, up to MAX_REPORTED, listed with its line number
 * and reasons. Blank lines are skipped; CSV's first line is its header. The
 * file is closed once read, or when `onCandle` throws.
 */
export async function readCandleFile(
  input: FileHandle,
  format: CandleFileFormat,
  onCandle: (candle: FootprintCandleDTO, lineNumber: number) => Promise<void> | undefined,
): Promise<InvalidLines> {
  const invalid: InvalidLines = { count: 0, listed: [] };
  const reject = (text: string) => reportLine(invalid, text);
  const stream = input.createReadStream();
  try {
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    let columns: string[] | undefined;
    for await (const read of lines) {
      lineNumber++;
      const line = lineNumber === 1 ? withoutByteOrderMark(read) : read;
      if (line.trim() === '') continue;
      if (format === 'csv' && columns === undefined) {
        columns = splitCsvRecord(line);
        const problem = csvHeaderProblem(columns);
        if (problem !== undefined)
          throw new CliError(
            `line ${lineNumber} is not a CSV header of candle fields: ${problem}; nothing read`,
            1,
          );
        continue;
      }
      let parsed: unknown;
      try {
        parsed = format === 'csv' ? csvRowToObject(columns ?? [], line) : JSON.parse(line);
      } catch (error) {
        reject(`line ${lineNumber}: unreadable: ${(error as Error).message}`);
        continue;
      }
      const result = validateFootprintCandle(parsed, { strict: false });
      if (!result.ok) {
        reject(`line ${lineNumber}: ${result.issues.map(formatIssue).join('; ')}`);
        continue;
      }
      const pending = onCandle(result.candle, lineNumber);
      if (pending !== undefined) await pending;
    }
  } finally {
    // Read to the end, the stream closed the file already; stopped early, this closes it.
    stream.destroy();
  }
  return invalid;
}

/**
 * The report of the invalid lines on stdout, after the command's summary
 * (`not <done>`: "not imported", "not published"); empty when there was none.
 */
export function invalidLinesReport(invalid: InvalidLines, done: string): string {
  return linesReport(invalid, `${invalid.count} invalid line(s) not ${done}`);
}

/**
 * A UTF-8 byte order mark opening the file: Windows tools write one (Notepad,
 * Excel's "CSV UTF-8"), and readline keeps it as U+FEFF at the start of the
 * first line, where it made the JSON unreadable and the CSV header's first
 * column "\uFEFFe": `e` was dropped and its default stored in its place.
 */
function withoutByteOrderMark(line: string): string {
  return line.startsWith('\uFEFF') ? line.slice(1) : line;
}
