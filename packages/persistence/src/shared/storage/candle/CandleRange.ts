import type { FootprintCandleDTO } from '@flowtrace/core';
import {
  BIN_FIELDS,
  type BinField,
  CANDLE_NUMBER_FIELDS,
  CANDLE_TEXT_FIELDS,
  type CandleColumns,
  type CandleNumberField,
  type CandleTextField,
  CandleColumns as Columns,
} from '../serialization/binary/CandleColumns';

/**
 * The result of a range query as a read-only view over decoded columns: no
 * candle object exists until `candle(i)` (or iteration, `toArray()`) builds
 * one. A chart or an aggregation reading a few fields of a day of 50-bin
 * candles touches typed arrays only; as objects the same day is ~600,000 heap
 * objects (every double field of an object is boxed), which the garbage
 * collector then has to trace. Rows are in query order.
 */
export class CandleRange implements Iterable<FootprintCandleDTO> {
  private constructor(
    private readonly sources: readonly CandleColumns[],
    private readonly rows: Int32Array,
  ) {}

  /** A view of `rows[i]` of `sources[i]` for each i (same lengths). */
  static of(sources: readonly CandleColumns[], rows: Int32Array): CandleRange {
    if (sources.length !== rows.length) throw new RangeError('CandleRange: one source per row');
    return new CandleRange(sources, rows);
  }

  /** A view over copies of `candles` (adapters without a columnar read path). */
  static fromCandles(candles: readonly FootprintCandleDTO[]): CandleRange {
    const columns = Columns.from(candles);
    const rows = new Int32Array(candles.length);
    for (let index = 0; index < rows.length; index += 1) rows[index] = index;
    return new CandleRange(new Array<CandleColumns>(candles.length).fill(columns), rows);
  }

  get length(): number {
    return this.rows.length;
  }

  openTime(index: number): number {
    return this.number(index, 't');
  }

  number(index: number, field: CandleNumberField): number {
    this.check(index);
    const column = this.sources[index]!.numbers[field];
    // A name that is not a field (from JavaScript, or `toString` inherited by the record) would
    // read undefined or throw a bare TypeError.
    if (!(column instanceof Float64Array)) throw unknownField('number', field, CANDLE_NUMBER_FIELDS);
    return column[this.rows[index]!]!;
  }

  text(index: number, field: CandleTextField): string {
    this.check(index);
    const column = this.sources[index]!.text[field];
    if (!Array.isArray(column)) throw unknownField('text', field, CANDLE_TEXT_FIELDS);
    return column[this.rows[index]!]!;
  }

  /** The candle's `x` (closed) flag. */
  closed(index: number): boolean {
    this.check(index);
    return this.sources[index]!.x[this.rows[index]!] === 1;
  }

  binCount(index: number): number {
    this.check(index);
    const starts = this.sources[index]!.binStarts;
    const row = this.rows[index]!;
    return starts[row + 1]! - starts[row]!;
  }

  /** Field of the candle's bin `bin` (0-based, stored order); undefined for an absent optional field. */
  binNumber(index: number, bin: number, field: BinField): number | undefined {
    const count = this.binCount(index);
    if (!(bin >= 0 && bin < count)) throw new RangeError(`Bin ${bin} out of range (0..${count - 1})`);
    const source = this.sources[index]!;
    if (!(source.bins[field] instanceof Float64Array)) throw unknownField('bin', field, BIN_FIELDS);
    const at = source.binStarts[this.rows[index]!]! + bin;
    if ((field === 'bq' || field === 'sq' || field === 'q') && source.present[field][at] !== 1)
      return undefined;
    return source.bins[field][at]!;
  }

  /** A fresh candle object for row `index`. */
  candle(index: number): FootprintCandleDTO {
    this.check(index);
    return this.sources[index]!.candle(this.rows[index]!);
  }

  toArray(): FootprintCandleDTO[] {
    const candles = new Array<FootprintCandleDTO>(this.rows.length);
    for (let index = 0; index < candles.length; index += 1)
      candles[index] = this.sources[index]!.candle(this.rows[index]!);
    return candles;
  }

  *[Symbol.iterator](): Iterator<FootprintCandleDTO> {
    for (let index = 0; index < this.rows.length; index += 1) yield this.candle(index);
  }

  private check(index: number): void {
    if (!(index >= 0 && index < this.rows.length && Number.isInteger(index)))
      throw new RangeError(`Row ${index} out of range (0..${this.rows.length - 1})`);
  }
}

function unknownField(kind: string, field: unknown, fields: readonly string[]): RangeError {
  return new RangeError(
    `${JSON.stringify(field)} is not a ${kind} field of a candle; they are ${fields.join(', ')}`,
  );
}

/** Collects (columns, row) pairs for a `CandleRange`. */
export class CandleRangeBuilder {
  private readonly sources: CandleColumns[] = [];
  private rows = new Int32Array(64);

  get length(): number {
    return this.sources.length;
  }

  push(columns: CandleColumns, row: number): void {
    const at = this.sources.length;
    if (at === this.rows.length) {
      const grown = new Int32Array(at * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    this.sources.push(columns);
    this.rows[at] = row;
  }

  build(): CandleRange {
    return CandleRange.of(this.sources, this.rows.slice(0, this.sources.length));
  }
}
