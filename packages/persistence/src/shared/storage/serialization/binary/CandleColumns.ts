import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';
import { PlainBin, PlainCandle, PlainFullBin } from '../../candle/plainObjects';

/** Number fields of a candle (everything but text, `x` and the bins). */
export const CANDLE_NUMBER_FIELDS = [
  't',
  'vi',
  'ct',
  'o',
  'h',
  'l',
  'c',
  'n',
  'dMax',
  'dMin',
  'tv',
  'f',
  'ls',
  'bv',
  'sv',
  'v',
  'bq',
  'sq',
  'q',
  'd',
] as const;
export type CandleNumberField = (typeof CANDLE_NUMBER_FIELDS)[number];

export const CANDLE_TEXT_FIELDS = ['e', 'tz', 'ex', 'a', 's', 'i'] as const;
export type CandleTextField = (typeof CANDLE_TEXT_FIELDS)[number];

export const BIN_FIELDS = ['tp', 'bv', 'sv', 'v', 'bq', 'sq', 'q'] as const;
export type BinField = (typeof BIN_FIELDS)[number];
export const OPTIONAL_BIN_FIELDS = ['bq', 'sq', 'q'] as const;
export type OptionalBinField = (typeof OPTIONAL_BIN_FIELDS)[number];

type NumberColumns = Record<CandleNumberField, Float64Array>;
type TextColumns = Record<CandleTextField, string[]>;
type BinColumns = Record<BinField, Float64Array>;
type PresenceColumns = Record<OptionalBinField, Uint8Array>;

const MIN_CAPACITY = 16;
/** Bytes of typed arrays per candle row: its number columns, `x` flag and bin start. */
export const CANDLE_ROW_BYTES = CANDLE_NUMBER_FIELDS.length * 8 + 1 + 4;
/** Bytes of typed arrays per bin: its seven float64 columns and three presence flags. */
export const BIN_ROW_BYTES = BIN_FIELDS.length * 8 + OPTIONAL_BIN_FIELDS.length;

/**
 * Candles held column by column: one Float64Array per number field, one per
 * bin field (all bins of all candles, candle r's bins at
 * `binStarts[r]..binStarts[r+1]`), presence flags for the optional bin
 * fields. A 50-bin candle as objects is ~400 heap objects (every double field
 * is boxed); as columns it is a few slots in a handful of typed arrays, which
 * is what keeps the garbage collector out of the write path (candles are
 * copied into columns when a save is called, then encoded from them) and of
 * cached or streamed reads (a candle object is built only when asked for).
 */
export class CandleColumns {
  private constructor(
    private rows: number,
    readonly numbers: NumberColumns,
    readonly text: TextColumns,
    private flags: Uint8Array,
    private starts: Int32Array,
    readonly bins: BinColumns,
    readonly present: PresenceColumns,
  ) {}

  /** Empty columns to `append` to; capacities grow as needed. */
  static create(candleCapacity = MIN_CAPACITY, binCapacity = candleCapacity * 32): CandleColumns {
    const candles = Math.max(candleCapacity, 1);
    const bins = Math.max(binCapacity, 1);
    return new CandleColumns(
      0,
      numberColumns(candles),
      textColumns(),
      new Uint8Array(candles),
      new Int32Array(candles + 1),
      binColumns(bins),
      presenceColumns(bins),
    );
  }

  /** Columns holding a copy of `candles`, in order. */
  static from(candles: readonly FootprintCandleDTO[]): CandleColumns {
    let bins = 0;
    for (const candle of candles) bins += candle.aggs.length;
    const columns = CandleColumns.create(candles.length, bins);
    for (const candle of candles) columns.append(candle);
    return columns;
  }

  /** Wraps fully decoded columns (owned by the new instance). */
  static wrap(
    count: number,
    numbers: NumberColumns,
    text: TextColumns,
    x: Uint8Array,
    binStarts: Int32Array,
    bins: BinColumns,
    present: PresenceColumns,
  ): CandleColumns {
    return new CandleColumns(count, numbers, text, x, binStarts, bins, present);
  }

  get count(): number {
    return this.rows;
  }

  get binStarts(): Int32Array {
    return this.starts;
  }

  get x(): Uint8Array {
    return this.flags;
  }

  get binCount(): number {
    return this.starts[this.rows]!;
  }

  /** Approximate memory held (for cache budgets): 7 float64 + 3 flag bytes per bin, 20 float64 + 6 string slots per candle. */
  get byteSize(): number {
    return 256 + this.binCount * 59 + this.rows * (20 * 8 + 6 * 8 + 1 + 4);
  }

  /** Bytes of the typed arrays allocated (capacity, not rows in use). */
  get capacityBytes(): number {
    return this.flags.length * CANDLE_ROW_BYTES + this.bins.tp.length * BIN_ROW_BYTES;
  }

  /** Forgets every row, keeping the arrays for the next rows to be appended. */
  clear(): void {
    this.rows = 0;
    for (const field of CANDLE_TEXT_FIELDS) this.text[field].length = 0;
  }

  openTime(row: number): number {
    return this.numbers.t[row]!;
  }

  /** Grows the capacity (once) for `candles` more rows holding `bins` more bins in all. */
  reserve(candles: number, bins: number): void {
    const rows = this.rows + candles;
    if (rows > this.flags.length) this.growCandles(rows);
    const binTotal = this.starts[this.rows]! + bins;
    if (binTotal > this.bins.tp.length) this.growBins(binTotal);
  }

  /** Copies `candle` in as the next row; returns its row index. */
  append(candle: FootprintCandleDTO): number {
    const row = this.rows;
    const aggs = candle.aggs;
    const first = this.starts[row]!;
    const last = first + aggs.length;
    // Row r needs flags[r] and starts[r + 1] (starts has one slot more than flags).
    if (row >= this.flags.length) this.growCandles(row + 1);
    if (last > this.bins.tp.length) this.growBins(last);
    // Unrolled: a loop over field names makes every access a megamorphic keyed load.
    const n = this.numbers;
    n.t[row] = candle.t;
    n.vi[row] = candle.vi;
    n.ct[row] = candle.ct;
    n.o[row] = candle.o;
    n.h[row] = candle.h;
    n.l[row] = candle.l;
    n.c[row] = candle.c;
    n.n[row] = candle.n;
    n.dMax[row] = candle.dMax;
    n.dMin[row] = candle.dMin;
    n.tv[row] = candle.tv;
    n.f[row] = candle.f;
    n.ls[row] = candle.ls;
    n.bv[row] = candle.bv;
    n.sv[row] = candle.sv;
    n.v[row] = candle.v;
    n.bq[row] = candle.bq;
    n.sq[row] = candle.sq;
    n.q[row] = candle.q;
    n.d[row] = candle.d;
    const text = this.text;
    text.e[row] = candle.e;
    text.tz[row] = candle.tz;
    text.ex[row] = candle.ex;
    text.a[row] = candle.a;
    text.s[row] = candle.s;
    text.i[row] = candle.i;
    this.flags[row] = candle.x ? 1 : 0;
    const { tp, bv, sv, v, bq, sq, q } = this.bins;
    const present = this.present;
    for (let k = 0; k < aggs.length; k += 1) {
      const bin = aggs[k]!;
      const b = first + k;
      tp[b] = bin.tp;
      bv[b] = bin.bv;
      sv[b] = bin.sv;
      v[b] = bin.v;
      // Absent optional values stay 0 under a 0 flag: readers consult the flag first.
      const binBq = bin.bq;
      const binSq = bin.sq;
      const binQ = bin.q;
      bq[b] = binBq ?? 0;
      present.bq[b] = binBq === undefined ? 0 : 1;
      sq[b] = binSq ?? 0;
      present.sq[b] = binSq === undefined ? 0 : 1;
      q[b] = binQ ?? 0;
      present.q[b] = binQ === undefined ? 0 : 1;
    }
    this.starts[row + 1] = last;
    this.rows = row + 1;
    return row;
  }

  /** A fresh candle object (wire field order) for `row`. */
  candle(row: number): FootprintCandleDTO {
    const first = this.starts[row]!;
    const last = this.starts[row + 1]!;
    const { tp, bv, sv, v, bq, sq, q } = this.bins;
    const present = this.present;
    const aggs = new Array<PriceBinDTO>(last - first);
    for (let b = first; b < last; b += 1) {
      const hasBq = present.bq[b] === 1;
      const hasSq = present.sq[b] === 1;
      const hasQ = present.q[b] === 1;
      let bin: PriceBinDTO;
      // Constructors, not literals: see plainObjects.ts (V8 pretenuring).
      if (hasBq && hasSq && hasQ) {
        bin = new PlainFullBin(tp[b]!, bv[b]!, sv[b]!, v[b]!, bq[b]!, sq[b]!, q[b]!);
      } else {
        bin = new PlainBin(tp[b]!, bv[b]!, sv[b]!, v[b]!);
        if (hasBq) bin.bq = bq[b]!;
        if (hasSq) bin.sq = sq[b]!;
        if (hasQ) bin.q = q[b]!;
      }
      aggs[b - first] = bin;
    }
    return new PlainCandle(this.text, this.numbers, row, aggs, this.flags[row] === 1);
  }

  /**
   * Whether `row` and `other`'s `otherRow` are the same candle as a reader
   * sees it (the rules of `candlesEqual`: every number with `Object.is`, bins
   * in order, an absent optional bin field differs from a present one).
   */
  rowEquals(row: number, other: CandleColumns, otherRow: number): boolean {
    for (const field of CANDLE_NUMBER_FIELDS) {
      if (!Object.is(this.numbers[field][row], other.numbers[field][otherRow])) return false;
    }
    for (const field of CANDLE_TEXT_FIELDS) {
      if (this.text[field][row] !== other.text[field][otherRow]) return false;
    }
    if (this.flags[row] !== other.flags[otherRow]) return false;
    const first = this.starts[row]!;
    const count = this.starts[row + 1]! - first;
    const otherFirst = other.starts[otherRow]!;
    if (other.starts[otherRow + 1]! - otherFirst !== count) return false;
    for (const field of BIN_FIELDS) {
      const mine = this.bins[field];
      const theirs = other.bins[field];
      const optional = field === 'bq' || field === 'sq' || field === 'q';
      for (let k = 0; k < count; k += 1) {
        if (optional) {
          const flag = this.present[field][first + k];
          if (flag !== other.present[field][otherFirst + k]) return false;
          if (flag === 0) continue;
        }
        if (!Object.is(mine[first + k], theirs[otherFirst + k])) return false;
      }
    }
    return true;
  }

  private growCandles(needed: number): void {
    const capacity = Math.max(needed, this.flags.length * 2, MIN_CAPACITY);
    for (const field of CANDLE_NUMBER_FIELDS) this.numbers[field] = grown(this.numbers[field], capacity);
    this.flags = grown(this.flags, capacity);
    this.starts = grown(this.starts, capacity + 1);
  }

  private growBins(needed: number): void {
    const capacity = Math.max(needed, this.bins.tp.length * 2, MIN_CAPACITY);
    const bins = binColumns(capacity);
    for (const field of BIN_FIELDS) {
      bins[field].set(this.bins[field]);
      this.bins[field] = bins[field];
    }
    const present = presenceColumns(capacity);
    for (const field of OPTIONAL_BIN_FIELDS) {
      present[field].set(this.present[field]);
      this.present[field] = present[field];
    }
  }
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}

/*
 * The bin and presence columns are views into ONE buffer each: a save of a
 * few candles costs two allocations there instead of ten (each typed array
 * with its own backing store is slow to allocate and is external memory the
 * garbage collector tracks). The number columns are separate arrays; views of
 * one buffer measure the same (decode → DTO 139k/s vs 134k/s). An earlier 4x
 * slowdown blamed on views was V8 pretenuring the decoder's object literals
 * (see storage/candle/plainObjects.ts).
 */

function numberColumns(capacity: number): NumberColumns {
  const columns = {} as NumberColumns;
  for (const field of CANDLE_NUMBER_FIELDS) columns[field] = new Float64Array(capacity);
  return columns;
}

function textColumns(): TextColumns {
  return { e: [], tz: [], ex: [], a: [], s: [], i: [] };
}

function binColumns(capacity: number): BinColumns {
  const buffer = new Float64Array(BIN_FIELDS.length * capacity);
  const columns = {} as BinColumns;
  BIN_FIELDS.forEach((field, k) => {
    columns[field] = buffer.subarray(k * capacity, (k + 1) * capacity);
  });
  return columns;
}

function presenceColumns(capacity: number): PresenceColumns {
  const buffer = new Uint8Array(3 * capacity);
  return {
    bq: buffer.subarray(0, capacity),
    sq: buffer.subarray(capacity, 2 * capacity),
    q: buffer.subarray(2 * capacity, 3 * capacity),
  };
}
