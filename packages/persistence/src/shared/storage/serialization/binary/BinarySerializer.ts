import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { FtcdDecodeError } from '../../errors/StorageErrors';
import { ByteReader } from './ByteReader';
import { ByteWriter } from './ByteWriter';
import { BinTable, decodeBinColumns, encodeBinColumns, SCRATCH } from './binColumns';
import {
  CandleColumns,
  type CandleNumberField,
  OPTIONAL_BIN_FIELDS,
  type OptionalBinField,
} from './CandleColumns';
import {
  decodeGroup,
  encodeGroup,
  KIND_DELTA,
  KIND_PLAIN,
  PREDICT_DIFFERENCE,
  PREDICT_SCALED,
  PREDICT_SUM,
  type Prediction,
} from './numberGroup';
import {
  decodeFlagColumn,
  decodeFlagColumnInto,
  decodeTextColumn,
  encodeTextColumn,
  writeFlagColumn,
} from './textColumns';

/** A candle as a block holds it: exactly the wire DTO (every field, optional bin fields when present). */
export type BinaryCandle = FootprintCandleDTO;

/** Codec ids of block payloads (docs/formats/ftcd.md, "Codecs"). */
export const CODEC_COLUMNAR_V1 = 1;
/** The columnar payload compressed with raw DEFLATE (RFC 1951); used when it saves at least 10 %. */
export const CODEC_COLUMNAR_V1_DEFLATE = 2;

export interface EncodedBlock {
  codec: number;
  payload: Uint8Array;
}

/** Candle-level number columns written before the bins, in payload order, with the integer kind each prefers. */
const CANDLE_COLUMNS = [
  ['vi', KIND_PLAIN],
  ['ct', KIND_DELTA],
  ['o', KIND_DELTA],
  ['h', KIND_DELTA],
  ['l', KIND_DELTA],
  ['c', KIND_DELTA],
  ['n', KIND_PLAIN],
  ['dMax', KIND_PLAIN],
  ['dMin', KIND_PLAIN],
  ['tv', KIND_PLAIN],
  ['f', KIND_DELTA],
  ['ls', KIND_DELTA],
] as const;

/** Candle-level volume columns written after the bins, predicted from them (see the format document). */
const TOTAL_COLUMNS = ['bv', 'sv', 'v', 'bq', 'sq', 'q', 'd'] as const;
type TotalField = (typeof TOTAL_COLUMNS)[number];
const TOTAL_SLOT: Readonly<Record<TotalField, number>> = { bv: 0, sv: 1, v: 2, bq: 3, sq: 4, q: 5, d: 6 };
/** Scratch slots of the totals' working memory (binColumns.ts uses float slots 0-13, int8 slots 0-6). */
const TOTAL_INTS_FIRST_SLOT = 14;
const BIN_SUMS_FIRST_SLOT = 21;
const BIN_SUM_EXPONENTS_FIRST_SLOT = 7;

const TEXT_COLUMNS = ['e', 'tz', 'ex', 'a', 's', 'i'] as const;

/**
 * The `.ftcd` block payload codec (docs/formats/ftcd.md): columnar and exact.
 * Exact by construction, checked value by value while encoding: an integer
 * group is used only when every value satisfies `r / 10^e` is `x` (`Object.is`)
 * and every stored integer stays in the range where the reader's arithmetic is
 * exact (see numberGroup.ts); anything else is stored as CONST or raw float64.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the public API (seed) is BinarySerializer.encode/decode
export class BinarySerializer {
  /** Payload bytes for `candles` (kept in the given order, duplicates included). */
  static encode(candles: readonly BinaryCandle[]): Uint8Array {
    return encodeCandles(candles).slice();
  }

  /** Payload bytes for rows picked from columns: candle k is `sources[k]`'s row `rows[k]`. */
  static encodeRows(sources: readonly CandleColumns[], rows: ArrayLike<number>): Uint8Array {
    return encodePayload(sources, rows).slice();
  }

  /** Encodes a block payload and picks its codec (compressed when that saves >= 10 %). */
  static encodeBlock(candles: readonly BinaryCandle[], allowCompression = true): EncodedBlock {
    return compressOwned(encodeCandles(candles), allowCompression);
  }

  /** `encodeBlock` for rows picked from columns (see `encodeRows`). */
  static encodeRowsBlock(
    sources: readonly CandleColumns[],
    rows: ArrayLike<number>,
    allowCompression = true,
  ): EncodedBlock {
    return compressOwned(encodePayload(sources, rows), allowCompression);
  }

  /**
   * `encodeRowsBlock` for a caller that copies the payload at once (the block
   * framing does): an uncompressed payload is then a view of the encoder's
   * buffer, valid only until the next encode, instead of a copy of its own.
   */
  static encodeRowsBlockView(
    sources: readonly CandleColumns[],
    rows: ArrayLike<number>,
    allowCompression = true,
  ): EncodedBlock {
    return BinarySerializer.compress(encodePayload(sources, rows), allowCompression);
  }

  /** Picks the codec of a columnar payload: compressed when that saves >= 10 %. */
  static compress(payload: Uint8Array, allowCompression = true): EncodedBlock {
    if (allowCompression && payload.length >= 64) {
      // Run-length matches only (Z_RLE): half the CPU of level 1's match search (2.4 vs 5.3 µs
      // per 50-bin candle, as much as the columnar encoding itself) for ~2 % in size (244 vs 239 B).
      // The columns leave few long repeats for LZ77 to find; most of the gain is Huffman coding.
      const compressed = deflateRawSync(payload, deflateOptionsFor(payload.length));
      if (compressed.length <= payload.length * 0.9)
        return { codec: CODEC_COLUMNAR_V1_DEFLATE, payload: compressed };
    }
    return { codec: CODEC_COLUMNAR_V1, payload };
  }

  /** The columnar payload of a block stored with `codec`. */
  static unwrap(codec: number, stored: Uint8Array): Uint8Array {
    if (codec === CODEC_COLUMNAR_V1) return stored;
    if (codec === CODEC_COLUMNAR_V1_DEFLATE) {
      try {
        return inflateRawSync(stored, { chunkSize: inflateChunkSize(stored.length) });
      } catch (error) {
        throw new FtcdDecodeError('Block payload does not inflate', { cause: error });
      }
    }
    throw new FtcdDecodeError(`Unknown block codec ${codec}`);
  }

  static decodeBlock(codec: number, stored: Uint8Array): BinaryCandle[] {
    return decodePayload(BinarySerializer.unwrap(codec, stored));
  }

  /** A block's columns, building candle objects only on demand (streaming reads). */
  static decodeBlockColumns(codec: number, stored: Uint8Array): CandleColumns {
    return decodeColumns(BinarySerializer.unwrap(codec, stored));
  }

  static decode(payload: Uint8Array): BinaryCandle[] {
    return decodePayload(payload);
  }

  /** Only the open times (the first column): what an index needs, without decoding the rest. */
  static decodeOpenTimes(payload: Uint8Array): Float64Array {
    return decodeOpenTimes(payload, payload.length);
  }

  /**
   * The open times of a block stored with `codec`. They are the start of the
   * payload, so a compressed block is inflated only as far as they need: a
   * prefix of its DEFLATE stream, longer each time the times do not fit yet.
   * Indexing a file of large blocks thus costs a fraction of decoding it.
   * `maxCount` bounds the count read (the block header's candle count).
   */
  static decodeBlockOpenTimes(codec: number, stored: Uint8Array, maxCount: number): Float64Array {
    if (codec === CODEC_COLUMNAR_V1_DEFLATE) {
      for (let take = OPEN_TIMES_FIRST_PREFIX; take < stored.length; take *= 4) {
        let prefix: Uint8Array;
        try {
          // Z_SYNC_FLUSH: a cut stream yields what it holds instead of "unexpected end of file".
          prefix = inflateRawSync(stored.subarray(0, take), { finishFlush: constants.Z_SYNC_FLUSH });
        } catch (error) {
          throw new FtcdDecodeError('Block payload does not inflate', { cause: error });
        }
        try {
          return decodeOpenTimes(prefix, maxCount);
        } catch (error) {
          // The times end beyond this prefix: take a longer one.
          if (!(error instanceof FtcdDecodeError)) throw error;
        }
      }
    }
    const payload = BinarySerializer.unwrap(codec, stored);
    return decodeOpenTimes(payload, Math.min(maxCount, payload.length));
  }
}

/**
 * Output buffer size for inflating `storedLength` bytes: about what they
 * inflate to (columns deflate to about half). zlib's default 16 KiB buffer is
 * allocated per call, which was most of inflating a one-candle block; a larger
 * block inflates in fewer pieces to concatenate. Too small only costs another
 * piece.
 */
function inflateChunkSize(storedLength: number): number {
  return Math.min(256 * 1024, Math.max(1024, 2 ** Math.ceil(Math.log2(storedLength * 3))));
}

/** Compressed bytes inflated first when only a block's open times are needed. */
const OPEN_TIMES_FIRST_PREFIX = 512;

/** The open times at the start of `payload` (a whole payload, or a prefix of one holding at most `maxCount` candles). */
function decodeOpenTimes(payload: Uint8Array, maxCount: number): Float64Array {
  const reader = new ByteReader(payload);
  const count = readCount(reader, maxCount);
  const times = new Float64Array(count);
  decodeGroup(reader, times, new Float64Array(count), 0, count);
  return times;
}

/**
 * zlib options for compressing `length` bytes: level 1, `Z_RLE`, and state
 * sized to the payload. zlib's defaults size its state for a 32 KiB window
 * (about 270 KiB allocated and cleared per call) and its output for 16 KiB
 * chunks, which was most of the cost of compressing a live block of one or a
 * few candles (a one-candle 50-bin block: 27 µs, 17 µs sized). The stream
 * compresses as well: `Z_RLE` only ever refers one byte back, and the symbol
 * buffer (2^(memLevel + 6) symbols) still holds the whole payload, so it is
 * one DEFLATE block as with the defaults.
 */
export function deflateOptionsFor(length: number): ZlibOptions {
  // The window must hold the payload plus zlib's look-ahead (MIN_LOOKAHEAD, 262 bytes).
  const windowBits = Math.max(9, Math.min(15, Math.ceil(Math.log2(length + 262))));
  return {
    level: 1,
    strategy: constants.Z_RLE,
    windowBits,
    memLevel: Math.min(8, windowBits - 6),
    // One output chunk: Z_RLE output is at most a few bytes longer than its input.
    chunkSize: Math.max(64, length + 64),
  };
}

/** `compress` of a payload view into the shared writer: the result owns its bytes. */
function compressOwned(view: Uint8Array, allowCompression: boolean): EncodedBlock {
  const block = BinarySerializer.compress(view, allowCompression);
  return block.payload === view ? { codec: block.codec, payload: view.slice() } : block;
}

/** `encodePayload` of candle objects, in order (a view of PAYLOAD_WRITER). */
function encodeCandles(candles: readonly BinaryCandle[]): Uint8Array {
  const columns = CandleColumns.from(candles);
  return encodePayload(new Array<CandleColumns>(candles.length).fill(columns), identityRows(candles.length));
}

function identityRows(count: number): Int32Array {
  const rows = new Int32Array(count);
  for (let index = 0; index < count; index += 1) rows[index] = index;
  return rows;
}

/** The candle count that starts a payload; more than `maxCount` (a candle takes at least a byte) is corrupt. */
function readCount(reader: ByteReader, maxCount: number): number {
  const count = reader.varint();
  if (count > maxCount) throw new FtcdDecodeError(`Implausible candle count ${count}`);
  return count;
}

/**
 * The payload being encoded: one buffer for every block (encoding is
 * synchronous and never re-entered), instead of a fresh one sized for the
 * worst case per block. Callers copy what they keep.
 */
const PAYLOAD_WRITER = new ByteWriter(64 * 1024);

/**
 * Encodes rows picked from columns (into PAYLOAD_WRITER; returns a view of it): candle k of the payload is
 * `sources[k]`'s row `rows[k]` (a commit cycle gathers rows of many saves).
 */
function encodePayload(sources: readonly CandleColumns[], rows: ArrayLike<number>): Uint8Array {
  if (sources.length !== rows.length) throw new RangeError('encodeRows: one source per row');
  const count = rows.length;
  const writer = PAYLOAD_WRITER;
  writer.reset();
  // Plain loops, module-level helpers and reused working memory: a one-candle block (a live
  // save) is mostly fixed costs.
  const column = SCRATCH.floats(CANDLE_COLUMN_SLOT, count);
  const ints = SCRATCH.floats(CANDLE_INTS_SLOT, count);

  writer.varint(count);
  gatherColumn(column, sources, rows, 't');
  encodeGroup(writer, column, ints, 0, count, KIND_DELTA);
  const text = TEXT_SCRATCH;
  for (const field of TEXT_COLUMNS) {
    gatherText(text, sources, rows, field);
    encodeTextColumn(writer, text, count);
  }
  const flags = SCRATCH.bytes(FLAGS_SLOT, count);
  let set = 0;
  for (let index = 0; index < count; index += 1) {
    const flag = sources[index]!.x[rows[index]!]!;
    flags[index] = flag;
    set += flag;
  }
  writeFlagColumn(writer, flags, count, set);
  for (let k = 0; k < CANDLE_COLUMN_FIELDS.length; k += 1) {
    gatherColumn(column, sources, rows, CANDLE_COLUMN_FIELDS[k]!);
    const exponent = encodeGroup(
      writer,
      column,
      ints,
      0,
      count,
      CANDLE_COLUMN_KINDS[k]!,
      undefined,
      HINTS[k],
    );
    if (exponent >= 0) HINTS[k] = exponent;
  }

  const binStarts = SCRATCH.int32(BIN_STARTS_SLOT, count + 1);
  binStarts[0] = 0;
  for (let index = 0; index < count; index += 1) {
    const source = sources[index]!;
    const row = rows[index]!;
    const bins = source.binStarts[row + 1]! - source.binStarts[row]!;
    binStarts[index + 1] = binStarts[index]! + bins;
    writer.varint(bins);
  }
  const table = new BinTable(binStarts, count, 'filled-by-caller');
  const presentBins = gatherBins(table, sources, rows);
  writeFlagColumn(writer, table.present.bq, table.binCount, presentBins.bq);
  writeFlagColumn(writer, table.present.sq, table.binCount, presentBins.sq);
  writeFlagColumn(writer, table.present.q, table.binCount, presentBins.q);
  encodeBinColumns(writer, table);
  const totals = new TotalsCodec(table);
  for (let k = 0; k < TOTAL_COLUMNS.length; k += 1) {
    const field = TOTAL_COLUMNS[k]!;
    gatherColumn(column, sources, rows, field);
    const hint = TOTAL_HINTS_FIRST + k;
    const exponent = encodeGroup(
      writer,
      column,
      totals.ints(field),
      0,
      count,
      KIND_PLAIN,
      totals.prediction(field),
      HINTS[hint],
    );
    totals.record(field, exponent);
    if (exponent >= 0) HINTS[hint] = exponent;
  }
  return writer.written();
}

/** Scratch slots of the payload encoder (binColumns.ts, SCRATCH, lists who uses which). */
const CANDLE_COLUMN_SLOT = 28;
const CANDLE_INTS_SLOT = 29;
const FLAGS_SLOT = 13;
const BIN_STARTS_SLOT = 0;
/**
 * The exponent of each candle number column in the last block encoded
 * (CANDLE_COLUMNS, then TOTAL_COLUMNS): the guess `encodeGroup` tries first.
 */
const HINTS = new Int8Array(CANDLE_COLUMNS.length + TOTAL_COLUMNS.length);
const TOTAL_HINTS_FIRST = CANDLE_COLUMNS.length;
/** The text of one column of the block being encoded (rows past the block's count are stale). */
const TEXT_SCRATCH: string[] = [];

/** CANDLE_COLUMNS as two arrays: no destructuring per column and block. */
const CANDLE_COLUMN_FIELDS: readonly CandleNumberField[] = CANDLE_COLUMNS.map(([field]) => field);
const CANDLE_COLUMN_KINDS: readonly (typeof KIND_PLAIN | typeof KIND_DELTA)[] = CANDLE_COLUMNS.map(
  ([, kind]) => kind,
);

/**
 * column[k] = the `field` of `sources[k]`'s row `rows[k]`. The column array is
 * looked up once per run of rows from one source (usually the whole block):
 * a lookup by field name per value is a megamorphic property load.
 */
function gatherColumn(
  column: Float64Array,
  sources: readonly CandleColumns[],
  rows: ArrayLike<number>,
  field: CandleNumberField,
): void {
  let source: CandleColumns | undefined;
  let values = column;
  for (let index = 0; index < rows.length; index += 1) {
    if (sources[index] !== source) {
      source = sources[index]!;
      values = source.numbers[field];
    }
    column[index] = values[rows[index]!]!;
  }
}

/** `gatherColumn` of a text field, into `text`. */
function gatherText(
  text: string[],
  sources: readonly CandleColumns[],
  rows: ArrayLike<number>,
  field: (typeof TEXT_COLUMNS)[number],
): void {
  let source: CandleColumns | undefined;
  let values: readonly string[] = text;
  for (let index = 0; index < rows.length; index += 1) {
    if (sources[index] !== source) {
      source = sources[index]!;
      values = source.text[field];
    }
    text[index] = values[rows[index]!]!;
  }
}

/**
 * Copies the bins of the picked rows into `table` (values, presence flags)
 * and sets its coverage, counting the flags as it copies them; returns how
 * many of each optional field are present.
 */
function gatherBins(
  table: BinTable,
  sources: readonly CandleColumns[],
  rows: ArrayLike<number>,
): Record<OptionalBinField, number> {
  const { tp: toTp, bv: toBv, sv: toSv, v: toV, bq: toBq, sq: toSq, q: toQ } = table.values;
  const { bq: presentBq, sq: presentSq, q: presentQ } = table.present;
  const { bq: coverBq, sq: coverSq, q: coverQ } = table.coverage;
  const starts = table.binStarts;
  let totalBq = 0;
  let totalSq = 0;
  let totalQ = 0;
  for (let index = 0; index < rows.length; index += 1) {
    const source = sources[index]!;
    const row = rows[index]!;
    const from = source.binStarts[row]!;
    const to = source.binStarts[row + 1]!;
    // Plain loops: a subarray() view per field and candle costs more than the copy.
    const shift = starts[index]! - from;
    const { tp, bv, sv, v, bq, sq, q } = source.bins;
    const { bq: hasBq, sq: hasSq, q: hasQ } = source.present;
    let countBq = 0;
    let countSq = 0;
    let countQ = 0;
    for (let b = from; b < to; b += 1) {
      const at = b + shift;
      toTp[at] = tp[b]!;
      toBv[at] = bv[b]!;
      toSv[at] = sv[b]!;
      toV[at] = v[b]!;
      toBq[at] = bq[b]!;
      toSq[at] = sq[b]!;
      toQ[at] = q[b]!;
      const flagBq = hasBq[b]!;
      const flagSq = hasSq[b]!;
      const flagQ = hasQ[b]!;
      presentBq[at] = flagBq;
      presentSq[at] = flagSq;
      presentQ[at] = flagQ;
      countBq += flagBq;
      countSq += flagSq;
      countQ += flagQ;
    }
    const bins = to - from;
    coverBq[index] = coverageOf(countBq, bins);
    coverSq[index] = coverageOf(countSq, bins);
    coverQ[index] = coverageOf(countQ, bins);
    totalBq += countBq;
    totalSq += countSq;
    totalQ += countQ;
  }
  return { bq: totalBq, sq: totalSq, q: totalQ };
}

/** A candle's coverage of an optional field (see BinTable.coverage): 0 none, 1 partly, 2 every bin. */
function coverageOf(present: number, bins: number): number {
  return present === 0 ? 0 : present === bins ? 2 : 1;
}

function decodePayload(payload: Uint8Array): BinaryCandle[] {
  // Every candle is built before the next decode reuses the scratch columns: no copies needed.
  const block = decodeColumns(payload, false);
  const candles = new Array<BinaryCandle>(block.count);
  for (let index = 0; index < block.count; index += 1) candles[index] = block.candle(index);
  return candles;
}

/**
 * Decodes a payload into columns (typed arrays, no per-candle objects); each
 * candle object is built only when asked for. Streaming readers build a candle
 * right before handing it out, so the objects die young instead of being
 * promoted by the garbage collector while a whole block waits to be consumed.
 */
function decodeColumns(payload: Uint8Array, ownColumns = true): CandleColumns {
  const reader = new ByteReader(payload);
  const count = readCount(reader, payload.length);
  const scratch = new Float64Array(count);
  const n = {} as Record<CandleNumberField, Float64Array>;
  const times = new Float64Array(count);
  decodeGroup(reader, times, scratch, 0, count);
  n.t = times;
  const text = {} as Record<(typeof TEXT_COLUMNS)[number], string[]>;
  for (const field of TEXT_COLUMNS) text[field] = decodeTextColumn(reader, count);
  const x = decodeFlagColumn(reader, count);
  for (const [field] of CANDLE_COLUMNS) {
    const values = new Float64Array(count);
    decodeGroup(reader, values, scratch, 0, count);
    n[field] = values;
  }
  const binStarts = new Int32Array(count + 1);
  for (let index = 0; index < count; index += 1) {
    const total = binStarts[index]! + reader.varint();
    if (total > payload.length) throw new FtcdDecodeError(`Implausible bin count ${total}`);
    binStarts[index + 1] = total;
  }
  // Columns that outlive this call (cache, streaming) must not share the codec's scratch buffers:
  // they are decoded into memory of their own, one buffer of values and one of flags (a live-written
  // block holds one candle, and ten small backing stores per block were a large part of reading such
  // a day).
  const table = new BinTable(binStarts, count, ownColumns ? 'owned' : 'scratch');
  for (const field of OPTIONAL_BIN_FIELDS)
    table.computeFieldCoverage(field, decodeFlagColumnInto(reader, table.present[field]));
  decodeBinColumns(reader, table);
  const totals = new TotalsCodec(table);
  for (const field of TOTAL_COLUMNS) {
    const values = new Float64Array(count);
    totals.record(field, decodeGroup(reader, values, totals.ints(field), 0, count, totals.prediction(field)));
    n[field] = values;
  }
  if (reader.remaining !== 0)
    throw new FtcdDecodeError(`${reader.remaining} unexpected bytes after the last column`);

  return CandleColumns.wrap(count, n, text, x, binStarts, table.values, table.present);
}

/** The columns of one decoded block; `candle(index)` builds a fresh DTO. */
export type DecodedBlock = CandleColumns;

/**
 * Predictions of the candle totals: bv, sv, bq, sq from the sums of their bin
 * columns (per candle, at each candle's bin exponent), v = bv + sv,
 * q = bq + sq, d = bv − sv.
 */
class TotalsCodec {
  /** Per total field (TOTAL_COLUMNS order): its integers, and the exponent of its group (-1: none). */
  private readonly integers: Float64Array[] = [];
  private readonly exponents = [-1, -1, -1, -1, -1, -1, -1];

  constructor(private readonly table: BinTable) {}

  ints(field: TotalField): Float64Array {
    const slot = TOTAL_SLOT[field];
    let ints = this.integers[slot];
    if (!ints) {
      // Working memory only: the prediction inputs of later totals, never handed out.
      ints = SCRATCH.floats(TOTAL_INTS_FIRST_SLOT + slot, this.table.candleCount);
      this.integers[slot] = ints;
    }
    return ints;
  }

  record(field: TotalField, exponent: number): void {
    this.exponents[TOTAL_SLOT[field]] = exponent;
  }

  prediction(field: TotalField): Prediction | undefined {
    switch (field) {
      case 'bv':
      case 'sv':
      case 'bq':
      case 'sq':
        return this.binSums(field);
      case 'v':
        return this.combine(PREDICT_SUM, 'bv', 'sv');
      case 'q':
        return this.combine(PREDICT_SUM, 'bq', 'sq');
      default:
        return this.combine(PREDICT_DIFFERENCE, 'bv', 'sv');
    }
  }

  private combine(kind: Prediction['kind'], left: TotalField, right: TotalField): Prediction | undefined {
    const ea = this.exponents[TOTAL_SLOT[left]]!;
    const eb = this.exponents[TOTAL_SLOT[right]]!;
    if (ea < 0 || eb < 0) return undefined;
    return { kind, a: this.ints(left), ea, b: this.ints(right), eb };
  }

  /** Per candle: the sum of the bin integers and their exponent (0 and 0 when the bins give none). */
  private binSums(field: 'bv' | 'sv' | 'bq' | 'sq'): Prediction {
    const { table } = this;
    const count = table.candleCount;
    const slot = TOTAL_SLOT[field];
    const sums = SCRATCH.floats(BIN_SUMS_FIRST_SLOT + slot, count);
    const exponents = SCRATCH.int8(BIN_SUM_EXPONENTS_FIRST_SLOT + slot, count);
    const ints = table.ints[field];
    const binExponents = table.exponents[field];
    const coverage = field === 'bq' || field === 'sq' ? table.coverage[field] : undefined;
    const starts = table.binStarts;
    let largest = 0;
    for (let c = 0; c < count; c += 1) {
      const exponent = binExponents[c]!;
      if (exponent < 0 || (coverage !== undefined && coverage[c] !== 2)) {
        // No prediction from the bins: predicted as 0 (the slots are reused, so set explicitly).
        sums[c] = 0;
        exponents[c] = 0;
        continue;
      }
      const end = starts[c + 1]!;
      let sum = 0;
      for (let b = starts[c]!; b < end; b += 1) sum += ints[b]!;
      sums[c] = sum;
      exponents[c] = exponent;
      if (exponent > largest) largest = exponent;
    }
    return { kind: PREDICT_SCALED, a: sums, ea: largest, b: sums, eb: 0, exponents };
  }
}
