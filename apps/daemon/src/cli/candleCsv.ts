import { CANDLE_WIRE_FIELDS, type FootprintCandleDTO, type PriceBinDTO } from '@flowtrace/core';

/**
 * CSV of candles: one row per candle, the DTO's own field names as the header,
 * in wire order, and the footprint bins as a JSON array in the `aggs` column.
 * Numbers are written in JavaScript's shortest round-trip form (and `-0` as
 * `-0`), so importing the CSV gives back exactly the same candles.
 */
export const CANDLE_CSV_COLUMNS = CANDLE_WIRE_FIELDS;

function numberText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function quote(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** JSON of the bins, keeping `-0` (plain JSON.stringify writes it as 0). */
function binsJson(bins: readonly PriceBinDTO[]): string {
  return JSON.stringify(bins, (_key, value: unknown) =>
    Object.is(value, -0) ? '__NEG_ZERO__' : value,
  ).replace(/"__NEG_ZERO__"/g, '-0');
}

export function candleCsvHeader(): string {
  return CANDLE_CSV_COLUMNS.join(',');
}

export function candleToCsvRow(candle: FootprintCandleDTO): string {
  return CANDLE_CSV_COLUMNS.map((column) => {
    const value = candle[column];
    if (column === 'aggs') return quote(binsJson(candle.aggs));
    if (typeof value === 'number') return numberText(value);
    return quote(String(value));
  }).join(',');
}

/** Splits one CSV record (RFC 4180 quoting; records never span lines here because JSON has no raw newlines). */
export function splitCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else field += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** Columns without which no row can hold a candle: its series, open time and bins. */
const KEY_COLUMNS = ['ex', 's', 'i', 't', 'aggs'] as const;

/**
 * Why `columns` (a CSV's first record) is not a header of candle fields, or
 * undefined when it is one. A file without a header would otherwise lose its
 * first candle as the "header" and report every other row as missing fields;
 * a repeated name would keep only its last column.
 */
export function csvHeaderProblem(columns: readonly string[]): string | undefined {
  const missing = KEY_COLUMNS.filter((column) => !columns.includes(column));
  if (missing.length > 0)
    return `no ${missing.join(', ')} column(s) (is the header row missing? "flowtrace export" writes ${candleCsvHeader()})`;
  const repeated = columns.filter((column, index) => columns.indexOf(column) !== index);
  if (repeated.length > 0) return `column(s) named twice: ${[...new Set(repeated)].join(', ')}`;
  return undefined;
}

/** Parses a CSV row back into an (unvalidated) DTO-shaped object, given the header's columns. */
export function csvRowToObject(columns: readonly string[], line: string): Record<string, unknown> {
  const fields = splitCsvRecord(line);
  if (fields.length !== columns.length) {
    throw new Error(`expected ${columns.length} fields, found ${fields.length}`);
  }
  const out: Record<string, unknown> = {};
  columns.forEach((column, index) => {
    const text = fields[index] ?? '';
    if (column === 'aggs') out.aggs = JSON.parse(text) as unknown;
    else if (column === 'x') out.x = parseBoolean(column, text);
    else if (['e', 'tz', 'ex', 'a', 's', 'i'].includes(column)) out[column] = text;
    else if ((CANDLE_CSV_COLUMNS as readonly string[]).includes(column))
      out[column] = parseNumber(column, text);
    else out[column] = text === '-0' ? -0 : Number(text);
  });
  return out;
}

/**
 * A number cell as the export writes it (JavaScript's number syntax, decimal).
 * Number() alone would read an empty cell as 0, so a candle with a blank open
 * time or volume would be stored at 1970 or with no volume instead of refused.
 */
function parseNumber(column: string, text: string): number {
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
    throw new Error(`column ${column}: "${text}" is not a number`);
  }
  return Number(text);
}

/** `true` or `false`, as the export writes it; anything else (yes, 1, blank) would have been read as false. */
function parseBoolean(column: string, text: string): boolean {
  if (text !== 'true' && text !== 'false')
    throw new Error(`column ${column}: "${text}" is not true or false`);
  return text === 'true';
}
