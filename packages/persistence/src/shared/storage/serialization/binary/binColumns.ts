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
  private readonly int32Buffers: Int32Array[] = [];
  // The last view handed out per slot: blocks of one size follow each other (a live-written
  // day is a run of one-candle blocks), and a typed-array view costs as much to create as
  // decoding a small group.
  private readonly floatViews: Float64Array[] = [];
  private readonly byteViews: Uint8Array[] = [];
  private readonly int8Views: Int8Array[] = [];
  private readonly int32Views: Int32Array[] = [];

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

  int32(slot: number, length: number): Int32Array {
    const view = this.int32Views[slot];
    if (view !== undefined && view.length === length) return view;
    let buffer = this.int32Buffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Int32Array(Math.max(length, 1024));
      this.int32Buffers[slot] = buffer;
    }
    const fresh = buffer.subarray(0, length);
    this.int32Views[slot] = fresh;
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

/**
 * Shared by the bin table (float slots 0-13, int8 slots 0-6, byte slots 7-12)
 * and the payload encoder (see BinarySerializer.ts: float slots 14+, int8
 * slots 7+, byte slots 13+, int32 slots).
 */
export const SCRATCH = new ScratchBuffers();

const NO_INTEGERS = new Float64Array(0);

/** Where a table's values and presence flags live (its working columns are always scratch). */
export type TableMemory =
  /** Scratch, flags cleared: a decoder that copies out what it keeps. */
  | 'scratch'
  /** Fresh memory the caller keeps (a decoder returning the columns). */
  | 'owned'
  /** Scratch, nothing cleared: an encoder that sets every value, flag and exponent itself. */
  | 'filled-by-caller';

/**
 * How one bin field is predicted (see the format document): `kind` of the
 * integer columns `a` and `b`, per candle, when every `gates` coverage is 2
 * (all bins present) and both inputs are integer groups. Resolved once per
 * field and block, so that the per-candle test reads typed arrays only.
 */
class BinPredictor {
  constructor(
    private readonly kind: Prediction['kind'],
    private readonly aInts: Float64Array,
    private readonly aExponents: Int8Array,
    private readonly bInts: Float64Array,
    private readonly bExponents: Int8Array,
    private readonly gates: readonly Uint8Array[],
    /** One reused prediction: encodeGroup/decodeGroup consume it before the next candle asks. */
    private readonly reused: Prediction,
  ) {}

  /** The prediction for candle c, or undefined. */
  at(c: number): Prediction | undefined {
    const gates = this.gates;
    for (let g = 0; g < gates.length; g += 1) if (gates[g]![c] !== 2) return undefined;
    const ea = this.aExponents[c]!;
    const eb = this.bExponents[c]!;
    if (ea < 0 || eb < 0) return undefined;
    const prediction = this.reused;
    prediction.kind = this.kind;
    prediction.a = this.aInts;
    prediction.ea = ea;
    prediction.b = this.bInts;
    prediction.eb = eb;
    return prediction;
  }
}

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
   * `memory` says where the values and presence flags live: with 'owned',
   * fresh memory (one buffer of values and one of flags, a view per field)
   * that the caller may keep: a decoder that returns the columns decodes
   * straight into them instead of copying them out of the scratch buffers
   * afterwards. An encoder ('filled-by-caller') sets every value, flag and
   * coverage itself, and `encodeBinColumns` every exponent, so nothing is
   * cleared first (ten `fill` calls were a visible part of a one-candle block).
   */
  constructor(
    readonly binStarts: Int32Array,
    readonly candleCount: number,
    memory: TableMemory = 'scratch',
  ) {
    const binCount = binStarts[candleCount]!;
    this.values = BinTable.valueColumns(binCount, memory === 'owned');
    this.present = BinTable.presenceColumns(binCount, memory);
    this.ints = BinTable.integerColumns(binCount);
    this.exponents = BinTable.exponentColumns(candleCount, memory !== 'filled-by-caller');
    this.coverage = BinTable.coverageColumns(candleCount);
  }

  // Built without closures or loops over field names: one table per block, and a one-candle
  // block is mostly fixed costs.
  private static valueColumns(binCount: number, owned: boolean): Record<BinField, Float64Array> {
    if (owned) {
      const values = new Float64Array(BIN_FIELDS.length * binCount);
      return {
        tp: values.subarray(0, binCount),
        bv: values.subarray(binCount, 2 * binCount),
        sv: values.subarray(2 * binCount, 3 * binCount),
        v: values.subarray(3 * binCount, 4 * binCount),
        bq: values.subarray(4 * binCount, 5 * binCount),
        sq: values.subarray(5 * binCount, 6 * binCount),
        q: values.subarray(6 * binCount, 7 * binCount),
      };
    }
    return {
      tp: SCRATCH.floats(0, binCount),
      bv: SCRATCH.floats(1, binCount),
      sv: SCRATCH.floats(2, binCount),
      v: SCRATCH.floats(3, binCount),
      bq: SCRATCH.floats(4, binCount),
      sq: SCRATCH.floats(5, binCount),
      q: SCRATCH.floats(6, binCount),
    };
  }

  private static presenceColumns(
    binCount: number,
    memory: TableMemory,
  ): Record<OptionalBinField, Uint8Array> {
    if (memory === 'owned') {
      const flags = new Uint8Array(OPTIONAL_BIN_FIELDS.length * binCount);
      return {
        bq: flags.subarray(0, binCount),
        sq: flags.subarray(binCount, 2 * binCount),
        q: flags.subarray(2 * binCount, 3 * binCount),
      };
    }
    const bq = SCRATCH.bytes(7, binCount);
    const sq = SCRATCH.bytes(8, binCount);
    const q = SCRATCH.bytes(9, binCount);
    if (memory === 'scratch') {
      bq.fill(0);
      sq.fill(0);
      q.fill(0);
    }
    return { bq, sq, q };
  }

  private static integerColumns(binCount: number): Record<BinField, Float64Array> {
    return {
      tp: SCRATCH.floats(7, binCount),
      bv: SCRATCH.floats(8, binCount),
      sv: SCRATCH.floats(9, binCount),
      v: SCRATCH.floats(10, binCount),
      bq: SCRATCH.floats(11, binCount),
      sq: SCRATCH.floats(12, binCount),
      q: SCRATCH.floats(13, binCount),
    };
  }

  private static exponentColumns(candleCount: number, cleared: boolean): Record<BinField, Int8Array> {
    const exponents = {
      tp: SCRATCH.int8(0, candleCount),
      bv: SCRATCH.int8(1, candleCount),
      sv: SCRATCH.int8(2, candleCount),
      v: SCRATCH.int8(3, candleCount),
      bq: SCRATCH.int8(4, candleCount),
      sq: SCRATCH.int8(5, candleCount),
      q: SCRATCH.int8(6, candleCount),
    };
    if (cleared) {
      exponents.tp.fill(-1);
      exponents.bv.fill(-1);
      exponents.sv.fill(-1);
      exponents.v.fill(-1);
      exponents.bq.fill(-1);
      exponents.sq.fill(-1);
      exponents.q.fill(-1);
    }
    return exponents;
  }

  private static coverageColumns(candleCount: number): Record<OptionalBinField, Uint8Array> {
    return {
      bq: SCRATCH.bytes(10, candleCount),
      sq: SCRATCH.bytes(11, candleCount),
      q: SCRATCH.bytes(12, candleCount),
    };
  }

  get binCount(): number {
    return this.binStarts[this.candleCount]!;
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

  /** One reused prediction for every predictor of this table. */
  private readonly reused: Prediction = { kind: PREDICT_SUM, a: NO_INTEGERS, ea: 0, b: NO_INTEGERS, eb: 0 };

  /**
   * How `field` is predicted in each candle (see the format document), or
   * undefined when it never is. Optional fields are only predicted in
   * candles where they and their inputs cover every bin, so element indexes
   * line up.
   */
  predictorOf(field: BinField): BinPredictor | undefined {
    const { ints, exponents, coverage, reused } = this;
    switch (field) {
      case 'v':
        return new BinPredictor(PREDICT_SUM, ints.bv, exponents.bv, ints.sv, exponents.sv, [], reused);
      case 'bq':
        return new BinPredictor(
          PREDICT_PRODUCT,
          ints.tp,
          exponents.tp,
          ints.bv,
          exponents.bv,
          [coverage.bq],
          reused,
        );
      case 'sq':
        return new BinPredictor(
          PREDICT_PRODUCT,
          ints.tp,
          exponents.tp,
          ints.sv,
          exponents.sv,
          [coverage.sq],
          reused,
        );
      case 'q':
        return new BinPredictor(
          PREDICT_SUM,
          ints.bq,
          exponents.bq,
          ints.sq,
          exponents.sq,
          [coverage.q, coverage.bq, coverage.sq],
          reused,
        );
      default:
        return undefined;
    }
  }

  /** Bin indexes of candle c where the optional field is present (for partly covered candles). */
  presentBins(field: OptionalBinField, c: number): number[] {
    const indexes: number[] = [];
    for (let b = this.binStarts[c]!; b < this.binStarts[c + 1]!; b += 1)
      if (this.present[field][b]) indexes.push(b);
    return indexes;
  }
}

/**
 * Writes the bin columns: for each field, one group per candle holding at
 * least one value of it. Sets every candle's exponent of every field (-1 for
 * a candle without an integer group of it): later predictions read them.
 */
export function encodeBinColumns(writer: ByteWriter, table: BinTable): void {
  const starts = table.binStarts;
  const candles = table.candleCount;
  for (let f = 0; f < BIN_FIELDS.length; f += 1) {
    const field = BIN_FIELDS[f]!;
    // The exponent of this field's previous group, here or in the previous block: encodeGroup's guess.
    let hint = BIN_FIELD_HINTS[f]!;
    // Per field, not per candle: a field-named lookup per candle was a megamorphic load.
    const kind = field === 'tp' ? KIND_DELTA : KIND_PLAIN;
    const values = table.values[field];
    const ints = table.ints[field];
    const exponents = table.exponents[field];
    const coverage = field === 'bq' || field === 'sq' || field === 'q' ? table.coverage[field] : undefined;
    const predictor = table.predictorOf(field);
    for (let c = 0; c < candles; c += 1) {
      exponents[c] = -1;
      const first = starts[c]!;
      const count = starts[c + 1]! - first;
      if (count === 0) continue;
      const covered = coverage === undefined ? 2 : coverage[c]!;
      if (covered === 0) continue;
      if (covered === 1) {
        // Partly present: a compacted group without prediction (rare).
        const compact = Float64Array.from(table.presentBins(field as OptionalBinField, c), (b) => values[b]!);
        encodeGroup(writer, compact, new Float64Array(compact.length), 0, compact.length, kind);
        continue;
      }
      const exponent = encodeGroup(writer, values, ints, first, count, kind, predictor?.at(c), hint);
      exponents[c] = exponent;
      if (exponent >= 0) hint = exponent;
    }
    BIN_FIELD_HINTS[f] = hint;
  }
}

/** Per bin field (BIN_FIELDS order), the exponent of its last group encoded. */
const BIN_FIELD_HINTS = new Int8Array(BIN_FIELDS.length);

/** Reads what `encodeBinColumns` wrote into `table` (whose `present` and `coverage` are already set). */
export function decodeBinColumns(reader: ByteReader, table: BinTable): void {
  const starts = table.binStarts;
  const candles = table.candleCount;
  for (const field of BIN_FIELDS) {
    const values = table.values[field];
    const ints = table.ints[field];
    const exponents = table.exponents[field];
    const coverage = field === 'bq' || field === 'sq' || field === 'q' ? table.coverage[field] : undefined;
    const predictor = table.predictorOf(field);
    for (let c = 0; c < candles; c += 1) {
      const first = starts[c]!;
      const count = starts[c + 1]! - first;
      if (count === 0) continue;
      const covered = coverage === undefined ? 2 : coverage[c]!;
      if (covered === 0) continue;
      if (covered === 1) {
        const bins = table.presentBins(field as OptionalBinField, c);
        const compact = new Float64Array(bins.length);
        decodeGroup(reader, compact, new Float64Array(bins.length), 0, bins.length);
        bins.forEach((b, k) => {
          values[b] = compact[k]!;
        });
        continue;
      }
      exponents[c] = decodeGroup(reader, values, ints, first, count, predictor?.at(c));
    }
  }
}
