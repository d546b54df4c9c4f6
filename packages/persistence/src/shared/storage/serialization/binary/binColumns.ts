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

  floats(slot: number, length: number): Float64Array {
    let buffer = this.floatBuffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Float64Array(Math.max(length, 1024));
      this.floatBuffers[slot] = buffer;
    }
    return buffer.subarray(0, length);
  }

  int8(slot: number, length: number): Int8Array {
    let buffer = this.int8Buffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Int8Array(Math.max(length, 1024));
      this.int8Buffers[slot] = buffer;
    }
    return buffer.subarray(0, length);
  }

  bytes(slot: number, length: number): Uint8Array {
    let buffer = this.byteBuffers[slot];
    if (!buffer || buffer.length < length) {
      buffer = new Uint8Array(Math.max(length, 1024));
      this.byteBuffers[slot] = buffer;
    }
    return buffer.subarray(0, length);
  }
}

const SCRATCH = new ScratchBuffers();

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

  constructor(
    readonly binStarts: Int32Array,
    readonly candleCount: number,
  ) {
    const binCount = binStarts[candleCount]!;
    const floats = (slot: number) => SCRATCH.floats(slot, binCount);
    const exps = (slot: number) => SCRATCH.int8(slot, candleCount).fill(-1);
    this.values = {
      tp: floats(0),
      bv: floats(1),
      sv: floats(2),
      v: floats(3),
      bq: floats(4),
      sq: floats(5),
      q: floats(6),
    };
    this.ints = {
      tp: floats(7),
      bv: floats(8),
      sv: floats(9),
      v: floats(10),
      bq: floats(11),
      sq: floats(12),
      q: floats(13),
    };
    this.exponents = {
      tp: exps(0),
      bv: exps(1),
      sv: exps(2),
      v: exps(3),
      bq: exps(4),
      sq: exps(5),
      q: exps(6),
    };
    const flags = (slot: number) => SCRATCH.bytes(slot, binCount).fill(0);
    this.present = { bq: flags(7), sq: flags(8), q: flags(9) };
    const cover = (slot: number) => SCRATCH.bytes(slot, candleCount);
    this.coverage = { bq: cover(10), sq: cover(11), q: cover(12) };
  }

  get binCount(): number {
    return this.binStarts[this.candleCount]!;
  }

  /** Recomputes `coverage` from `present`. */
  computeCoverage(): void {
    for (const field of OPTIONAL_BIN_FIELDS) {
      const present = this.present[field];
      for (let c = 0; c < this.candleCount; c += 1) {
        const first = this.binStarts[c]!;
        const last = this.binStarts[c + 1]!;
        let count = 0;
        for (let b = first; b < last; b += 1) count += present[b]!;
        this.coverage[field][c] = count === 0 ? 0 : count === last - first ? 2 : 1;
      }
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
  private readonly reused: Prediction = {
    kind: PREDICT_SUM,
    a: new Float64Array(0),
    ea: 0,
    b: new Float64Array(0),
    eb: 0,
  };

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
