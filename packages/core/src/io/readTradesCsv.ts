import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { compareDecimals, decimalFromNumber, decimalFromString } from '../decimal/ExactDecimal';
import { FlowTraceCoreError } from '../errors/FlowTraceCoreError';
import { MAX_EPOCH_MS } from '../trade/epochRange';
import type { Trade } from '../trade/Trade';

/** A trade CSV could not be read; `line` is the 1-based line number when a row is at fault. */
export class TradeCsvError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_INVALID_TRADE_CSV';

  constructor(
    readonly path: string,
    readonly line: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}${line === undefined ? '' : `:${line}`}: ${reason}`, options);
  }
}

/** The column names of the shared data layout (`timestamp,price,quantity,side,tradeId`). */
export const TRADE_CSV_COLUMNS = ['timestamp', 'price', 'quantity', 'side', 'tradeId'] as const;

const GZIP_MAGIC = [0x1f, 0x8b];
const INTEGER = /^-?\d+$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;

/**
 * Streams the trades of a CSV file with the header
 * `timestamp,price,quantity,side,tradeId` (columns in any order, extra
 * columns ignored). `timestamp` is epoch ms, `side` is the taker side
 * (`buy` | `sell`). Gzip is detected by the `.gz` extension or the gzip
 * magic bytes. A bad row stops the stream with a `TradeCsvError` naming its
 * line; rows before it have already been yielded. Breaking out of the loop
 * closes the file.
 */
export async function* readTradesCsv(path: string): AsyncGenerator<Trade> {
  const input = await openTradeStream(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let columns: ColumnIndexes | undefined;
  try {
    for await (const rawLine of lines) {
      lineNumber += 1;
      const line = lineNumber === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine;
      if (line.trim() === '') continue;
      if (columns === undefined) {
        columns = parseHeader(path, lineNumber, line);
        continue;
      }
      yield parseRow(path, lineNumber, line, columns);
    }
  } catch (error) {
    if (error instanceof TradeCsvError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TradeCsvError(path, lineNumber + 1, `cannot read: ${reason}`, { cause: error });
  } finally {
    lines.close();
    input.destroy();
  }
  if (columns === undefined)
    throw new TradeCsvError(path, undefined, 'file is empty: expected a header line');
}

async function openTradeStream(path: string): Promise<Readable> {
  let gzip = path.endsWith('.gz');
  if (!gzip) {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(path, 'r');
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      gzip = bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    } catch (error) {
      throw new TradeCsvError(path, undefined, `cannot open: ${(error as Error).message}`, { cause: error });
    } finally {
      await handle?.close();
    }
  }
  const file = createReadStream(path);
  if (!gzip) return file;
  const gunzip = createGunzip();
  // Errors of the file stream (e.g. ENOENT) must surface through the stream readline consumes.
  file.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => file.destroy());
  return file.pipe(gunzip);
}

interface ColumnIndexes {
  timestamp: number;
  price: number;
  quantity: number;
  side: number;
  tradeId: number;
  count: number;
}

function parseHeader(path: string, lineNumber: number, line: string): ColumnIndexes {
  const names = line.split(',').map((name) => name.trim());
  const indexes: Partial<Record<(typeof TRADE_CSV_COLUMNS)[number], number>> = {};
  for (const column of TRADE_CSV_COLUMNS) {
    const index = names.indexOf(column);
    if (index < 0) {
      throw new TradeCsvError(
        path,
        lineNumber,
        `header lacks column "${column}" (expected ${TRADE_CSV_COLUMNS.join(',')})`,
      );
    }
    indexes[column] = index;
  }
  return { ...(indexes as Record<(typeof TRADE_CSV_COLUMNS)[number], number>), count: names.length };
}

function parseRow(path: string, lineNumber: number, line: string, columns: ColumnIndexes): Trade {
  const fields = line.split(',');
  if (fields.length !== columns.count) {
    throw new TradeCsvError(path, lineNumber, `expected ${columns.count} fields, found ${fields.length}`);
  }
  const field = (index: number) => (fields[index] ?? '').trim();
  const fail = (reason: string): never => {
    throw new TradeCsvError(path, lineNumber, reason);
  };
  const timestampText = field(columns.timestamp);
  const time = Number(timestampText);
  if (!INTEGER.test(timestampText) || !Number.isSafeInteger(time))
    fail(`timestamp "${timestampText}" is not integer epoch ms`);
  // Epoch ms reach 1e14 in the year 5138; exchange dumps in microseconds (Binance spot since 2025)
  // or nanoseconds are 1,000 or 1,000,000 times larger, and would date candles millennia ahead.
  if (Math.abs(time) >= MAX_EPOCH_MS)
    fail(
      `timestamp "${timestampText}" is not epoch ms (it looks like microseconds or nanoseconds: convert to ms)`,
    );
  const priceText = field(columns.price);
  const price = Number(priceText);
  if (!DECIMAL.test(priceText) || !(price > 0)) fail(`price "${shown(priceText)}" is not a positive decimal`);
  const priceProblem = explainInexact(priceText, price);
  if (priceProblem !== undefined) fail(`price "${shown(priceText)}" ${priceProblem}`);
  const quantityText = field(columns.quantity);
  if (!DECIMAL.test(quantityText)) fail(`quantity "${shown(quantityText)}" is not a non-negative decimal`);
  const quantity = Number(quantityText);
  const quantityProblem = explainInexact(quantityText, quantity);
  if (quantityProblem !== undefined) fail(`quantity "${shown(quantityText)}" ${quantityProblem}`);
  const side = field(columns.side);
  if (side !== 'buy' && side !== 'sell') fail(`side "${side}" is neither "buy" nor "sell"`);
  const tradeIdText = field(columns.tradeId);
  const tradeId = Number(tradeIdText);
  if (!INTEGER.test(tradeIdText) || !Number.isSafeInteger(tradeId) || tradeId < 0) {
    fail(`tradeId "${tradeIdText}" is not a non-negative integer`);
  }
  return { time, price, quantity, isBuyerMaker: side === 'sell', tradeId };
}

/** A field's text for a message, cut short when it is long. */
function shown(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Decimals of up to 15 significant digits always survive the trip through a double. */
const ALWAYS_EXACT_DIGITS = 15;

/**
 * Why the double read from `text` (a DECIMAL) does not stand for that decimal, or undefined when it does.
 * Volumes are summed from the decimal each double's shortest string shows, so a value the double
 * cannot hold would be changed silently (too many digits) or lost (too large).
 */
function explainInexact(text: string, value: number): string | undefined {
  if (!Number.isFinite(value)) return 'is too large for a double';
  const significant = text.replace('.', '').replace(/^0+/, '').length;
  if (significant <= ALWAYS_EXACT_DIGITS) return undefined;
  if (compareDecimals(decimalFromString(text), decimalFromNumber(value)) === 0) return undefined;
  return `has more digits than a double holds (it would be read as ${value})`;
}
