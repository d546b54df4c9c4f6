import type { ByteReader } from './ByteReader';
import type { ByteWriter } from './ByteWriter';
import { BIN_FIELDS, type BinField, OPTIONAL_BIN_FIELDS, type OptionalBinField } from './CandleColumns';
import {
  decodeGroup,
  encodeGroup,
  KIND_DELTA,
  KIND_PLAIN,
  PREDICT_PRODUCT,
  PREDICT_SUM,
  type Prediction,
} from './numberGroup';
import type { FlagColumnShape } from './textColumns';

export { BIN_FIELDS, type BinField, OPTIONAL_BIN_FIELDS, type OptionalBinField };

/**
 * Reusable working memory of the codec. Encoding and decoding are synchronous
 * and never re-entered, so one set of buffers serves every call; allocating
 * ~100 KB of typed arrays per block made the garbage collector dominate.
 * Views handed out are only valid until the next encode/decode.
 */
class ScratchBuffers {
  private readonly floatBuffers: Float64Array[] = [];
  private readonly byteBuffers: Uint8Array[] = [];
  private readonly int8Buffers: Int8Array[] = [];
  // The last view handed out per slot: blocks of one size follow each other (a live-written
  // day is a run of one-candle blocks), and a typed-array view costs as much to create as
  // decoding a small group.
  private readonly floatViews: Float64Array[] = [];
  private readonly byteViews: Uint8Array[] = [];
  private readonly int8Views: Int8Array[] = [];

  floats(slot: number, length: number): Float64Array {
    const view = this.floatViews[slot];
    if (view !== undefined && view.length === length) return view;
    let buffer = this.floatBuffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Float64Array(Math.max(length, 1024));
      this.floatBuffers[slot] = buffer;
    }
    const fresh = buffer.subarray(0, length);
    this.floatViews[slot] = fresh;
    return fresh;
  }

  int8(slot: number, length: number): Int8Array {
    const view = this.int8Views[slot];
    if (view !== undefined && view.length === length) return view;
    let buffer = this.int8Buffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Int8Array(Math.max(length, 1024));
      this.int8Buffers[slot] = buffer;
    }
    const fresh = buffer.subarray(0, length);
    this.int8Views[slot] = fresh;
    return fresh;
  }

  bytes(slot: number, length: number): Uint8Array {
    const view = this.byteViews[slot];
    if (view !== undefined && view.length === length) return view;
    let buffer = this.byteBuffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Uint8Array(Math.max(length, 1024));
      this.byteBuffers[slot] = buffer;
    }
    const fresh = buffer.subarray(0, length);
    this.byteViews[slot] = fresh;
    return fresh;
  }
}

/** Shared by the bin table (float slots 0-13) and the candle totals (float slots 14+, int8 slots 7+). */
export const SCRATCH = new ScratchBuffers();

const NO_INTEGERS = new Float64Array(0);

/**
 * Every bin of a block flattened, one Float64Array per field (indexed by bin),
 * with presence flags for the optional fields and the integer form of each
 * field (for predictions). `binStarts[c]..binStarts[c+1]` are candle c's bins.
 */
export class BinTable {
  readonly values: Record<BinField, Float64Array>;
  readonly ints: Record<BinField, Float64Array>;
  /** Per candle and field: the exponent of its integer group, -1 when none. */
  readonly exponents: Record<BinField, Int8Array>;
  readonly present: Record<OptionalBinField, Uint8Array>;
  /** Per candle and optional field: 0 none, 1 partly, 2 every bin present. */
  readonly coverage: Record<OptionalBinField, Uint8Array>;

  /**
   * With `owned`, the values and presence flags are fresh memory (one buffer
   * of values and one of flags, a view per field) that the caller may keep:
   * a decoder that returns the columns decodes straight into them instead of
   * copying them out of the scratch buffers afterwards.
   */
  constructor(
    readonly binStarts: Int32Array,
    readonly candleCount: number,
    owned = false,
  ) {
    // Built without closures: one table per block, and a one-candle block is mostly this.
    const binCount = binStarts[candleCount]!;
    if (owned) {
      const values = new Float64Array(BIN_FIELDS.length * binCount);
      const flags = new Uint8Array(OPTIONAL_BIN_FIELDS.length * binCount);
      this.values = {
        tp: values.subarray(0, binCount),
        bv: values.subarray(binCount, 2 * binCount),
        sv: values.subarray(2 * binCount, 3 * binCount),
        v: values.subarray(3 * binCount, 4 * binCount),
        bq: values.subarray(4 * binCount, 5 * binCount),
        sq: values.subarray(5 * binCount, 6 * binCount),
        q: values.subarray(6 * binCount, 7 * binCount),
      };
      this.present = {
        bq: flags.subarray(0, binCount),
        sq: flags.subarray(binCount, 2 * binCount),
        q: flags.subarray(2 * binCount, 3 * binCount),
      };
    } else {
      this.values = {
        tp: SCRATCH.floats(0, binCount),
        bv: SCRATCH.floats(1, binCount),
        sv: SCRATCH.floats(2, binCount),
        v: SCRATCH.floats(3, binCount),
        bq: SCRATCH.floats(4, binCount),
        sq: SCRATCH.floats(5, binCount),
        q: SCRATCH.floats(6, binCount),
      };
      this.present = {
        bq: SCRATCH.bytes(7, binCount).fill(0),
        sq: SCRATCH.bytes(8, binCount).fill(0),
        q: SCRATCH.bytes(9, binCount).fill(0),
      };
    }
    this.ints = {
      tp: SCRATCH.floats(7, binCount),
      bv: SCRATCH.floats(8, binCount),
      sv: SCRATCH.floats(9, binCount),
      v: SCRATCH.floats(10, binCount),
      bq: SCRATCH.floats(11, binCount),
      sq: SCRATCH.floats(12, binCount),
      q: SCRATCH.floats(13, binCount),
    };
    this.exponents = {
      tp: SCRATCH.int8(0, candleCount).fill(-1),
      bv: SCRATCH.int8(1, candleCount).fill(-1),
      sv: SCRATCH.int8(2, candleCount).fill(-1),
      v: SCRATCH.int8(3, candleCount).fill(-1),
      bq: SCRATCH.int8(4, candleCount).fill(-1),
      sq: SCRATCH.int8(5, candleCount).fill(-1),
      q: SCRATCH.int8(6, candleCount).fill(-1),
    };
    this.coverage = {
      bq: SCRATCH.bytes(10, candleCount),
      sq: SCRATCH.bytes(11, candleCount),
      q: SCRATCH.bytes(12, candleCount),
    };
  }

  get binCount(): number {
    return this.binStarts[this.candleCount]!;
  }

  /** Recomputes `coverage` from `present`. */
  computeCoverage(): void {
    for (const field of OPTIONAL_BIN_FIELDS) this.computeFieldCoverage(field, 'mixed');
  }

  /**
   * Sets `coverage[field]` from `present[field]`; `shape` says when the flags
   * are known to be all clear or all set, so they need not be counted.
   */
  computeFieldCoverage(field: OptionalBinField, shape: FlagColumnShape): void {
    const present = this.present[field];
    const coverage = this.coverage[field];
    const starts = this.binStarts;
    for (let c = 0; c < this.candleCount; c += 1) {
      const first = starts[c]!;
      const last = starts[c + 1]!;
      if (shape !== 'mixed' || first === last) {
        coverage[c] = shape === 'all' && first !== last ? 2 : 0;
        continue;
      }
      let count = 0;
      for (let b = first; b < last; b += 1) count += present[b]!;
      coverage[c] = count === 0 ? 0 : count === last - first ? 2 : 1;
    }
  }

  /**
   * The prediction of `field` for candle c (see the format document), or
   * undefined. Optional fields are only predicted in candles where they and
   * their inputs cover every bin, so element indexes line up.
   */
  predictionFor(field: BinField, c: number): Prediction | undefined {
    switch (field) {
      case 'v':
        return this.make(PREDICT_SUM, 'bv', 'sv', c);
      case 'bq':
        return this.coverage.bq[c] === 2 ? this.make(PREDICT_PRODUCT, 'tp', 'bv', c) : undefined;
      case 'sq':
        return this.coverage.sq[c] === 2 ? this.make(PREDICT_PRODUCT, 'tp', 'sv', c) : undefined;
      case 'q':
        return this.coverage.q[c] === 2 && this.coverage.bq[c] === 2 && this.coverage.sq[c] === 2
          ? this.make(PREDICT_SUM, 'bq', 'sq', c)
          : undefined;
      default:
        return undefined;
    }
  }

  /** One reused prediction: encodeGroup/decodeGroup consume it before the next candle asks (no allocation per candle). */
  private readonly reused: Prediction = { kind: PREDICT_SUM, a: NO_INTEGERS, ea: 0, b: NO_INTEGERS, eb: 0 };

  private make(kind: Prediction['kind'], a: BinField, b: BinField, c: number): Prediction | undefined {
    const ea = this.exponents[a][c]!;
    const eb = this.exponents[b][c]!;
    if (ea < 0 || eb < 0) return undefined;
    const prediction = this.reused;
    prediction.kind = kind;
    prediction.a = this.ints[a];
    prediction.ea = ea;
    prediction.b = this.ints[b];
    prediction.eb = eb;
    return prediction;
  }

  /** Bin indexes of candle c where the optional field is present (for partly covered candles). */
  presentBins(field: OptionalBinField, c: number): number[] {
    const indexes: number[] = [];
    for (let b = this.binStarts[c]!; b < this.binStarts[c + 1]!; b += 1)
      if (this.present[field][b]) indexes.push(b);
    return indexes;
  }
}

/** Writes the bin columns: for each field, one group per candle holding at least one value of it. */
export function encodeBinColumns(writer: ByteWriter, table: BinTable): void {
  for (const field of BIN_FIELDS) {
    const kind = field === 'tp' ? KIND_DELTA : KIND_PLAIN;
    const optional = field === 'bq' || field === 'sq' || field === 'q';
    const values = table.values[field];
    for (let c = 0; c < table.candleCount; c += 1) {
      const first = table.binStarts[c]!;
      const count = table.binStarts[c + 1]! - first;
      if (count === 0) continue;
      const coverage = optional ? table.coverage[field][c]! : 2;
      if (coverage === 0) continue;
      if (coverage === 1) {
        // Partly present: a compacted group without prediction (rare).
        const compact = Float64Array.from(table.presentBins(field as OptionalBinField, c), (b) => values[b]!);
        encodeGroup(writer, compact, new Float64Array(compact.length), 0, compact.length, kind);
        continue;
      }
      table.exponents[field][c] = encodeGroup(
        writer,
        values,
        table.ints[field],
        first,
        count,
        kind,
        table.predictionFor(field, c),
      );
    }
  }
}

/** Reads what `encodeBinColumns` wrote into `table` (whose `present` and `coverage` are already set). */
export function decodeBinColumns(reader: ByteReader, table: BinTable): void {
  for (const field of BIN_FIELDS) {
    const optional = field === 'bq' || field === 'sq' || field === 'q';
    const values = table.values[field];
    for (let c = 0; c < table.candleCount; c += 1) {
      const first = table.binStarts[c]!;
      const count = table.binStarts[c + 1]! - first;
      if (count === 0) continue;
      const coverage = optional ? table.coverage[field][c]! : 2;
      if (coverage === 0) continue;
      if (coverage === 1) {
        const bins = table.presentBins(field as OptionalBinField, c);
        const compact = new Float64Array(bins.length);
        decodeGroup(reader, compact, new Float64Array(bins.length), 0, bins.length);
        bins.forEach((b, k) => {
          values[b] = compact[k]!;
        });
        continue;
      }
      table.exponents[field][c] = decodeGroup(
        reader,
        values,
        table.ints[field],
        first,
        count,
        table.predictionFor(field, c),
      );
    }
  }
}
