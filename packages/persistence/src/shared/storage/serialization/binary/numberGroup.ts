import { FtcdDecodeError } from '../../errors/StorageErrors';
import type { ByteReader } from './ByteReader';
import { type ByteWriter, MAX_ZIGZAG_SOURCE } from './ByteWriter';

/**
 * One "group" of numbers in a block payload (see docs/formats/ftcd.md,
 * "Number groups"). Mode byte = kind << 5 | exponent. Integer kinds store
 * r_i with value_i = r_i / 10^exponent (exactly `r_i` when exponent is 0).
 */
export const KIND_CONST = 0;
export const KIND_PLAIN = 1;
export const KIND_DELTA = 2;
export const KIND_PREDICTED = 3;
export const KIND_RAW = 4;

export const MAX_EXPONENT = 22;
const MAX_INT = Number.MAX_SAFE_INTEGER;
/**
 * Largest |s| of any integer actually stored (PLAIN value, DELTA difference,
 * PREDICTED residual): its zigzag is then below 2^53, so the writer's
 * arithmetic (differences, zigzag, varint) and the reader's (varint, zigzag,
 * running sums) are all exact. Checking this while encoding is what lets the
 * encoder skip a decode-and-compare pass.
 */
const MAX_STORED = MAX_ZIGZAG_SOURCE;

export const POW10: readonly number[] = Array.from({ length: MAX_EXPONENT + 1 }, (_, e) => 10 ** e);

/**
 * How a PREDICTED group's element j is predicted from two earlier integer
 * columns a and b (same element indexing, exponents ea and eb), at the
 * group's exponent e (see docs/formats/ftcd.md, "Predictions"):
 * SUM: a_j·10^(e−ea) + b_j·10^(e−eb); PRODUCT: a_j·b_j·10^(e−ea−eb).
 */
export const PREDICT_SUM = 1;
export const PREDICT_PRODUCT = 2;
/** a_j·10^(e−ea) − b_j·10^(e−eb). */
export const PREDICT_DIFFERENCE = 3;
/** a_j·10^(e−exponents_j): a per-element exponent (per-candle sums of bin columns). */
export const PREDICT_SCALED = 4;

export interface Prediction {
  kind: typeof PREDICT_SUM | typeof PREDICT_PRODUCT | typeof PREDICT_DIFFERENCE | typeof PREDICT_SCALED;
  a: Float64Array;
  /** Exponent of a (PREDICT_SCALED: the largest of `exponents`). */
  ea: number;
  b: Float64Array;
  eb: number;
  /** PREDICT_SCALED only: exponent of each a_j. */
  exponents?: Int8Array;
}

function minExponentOf(prediction: Prediction): number {
  switch (prediction.kind) {
    case PREDICT_PRODUCT:
      return prediction.ea + prediction.eb;
    case PREDICT_SCALED:
      return prediction.ea;
    default:
      return Math.max(prediction.ea, prediction.eb);
  }
}

/** Set in a `scanExponent` result when ints[] do not hold every value exactly at that exponent. */
const NOT_FILLED = 64;

/**
 * Smallest exponent at which each value, taken in order, is an exact scaled
 * integer (the exponent only rises), or -1; in one pass it also leaves the
 * integers at that exponent in ints[start..end). The result has NOT_FILLED
 * set when a value before the last rise is not exact at the final exponent.
 * `hint` is a guess of the first value's exponent (see `firstExponent`).
 */
function scanExponent(
  values: ArrayLike<number>,
  ints: Float64Array,
  start: number,
  end: number,
  hint: number,
): number {
  let exponent = start < end ? firstExponent(values[start]!, hint) : 0;
  let scale = POW10[exponent]!;
  let raisedAt = start;
  for (let j = start; j < end; j += 1) {
    const x = values[j]!;
    let r = Math.round(x * scale) + 0;
    while (!(Math.abs(r) <= MAX_INT) || !Object.is(exponent === 0 ? r : r / scale, x)) {
      exponent += 1;
      if (exponent > MAX_EXPONENT) return -1;
      scale = POW10[exponent]!;
      r = Math.round(x * scale) + 0;
      raisedAt = j;
    }
    ints[j] = r;
  }
  // Values before the last rise were scaled at a smaller exponent: redo them (usually none or one).
  if (raisedAt > start && !integersAt(values, ints, start, raisedAt, exponent)) return exponent | NOT_FILLED;
  return exponent;
}

/** Below this, |x|·10^e is small enough for `firstExponent`'s argument (with a factor 2 to spare). */
const RISES_EXACTLY_BELOW = 2 ** 49;

/**
 * Where scanning a group that starts with x may start: at `hint` when that
 * is provably the smallest exponent at which x is exact, else at 0. Scanning
 * from 0 raises the exponent one step at a time, a rounding and a division
 * per step, up to eight steps for the quantities of a group's first value;
 * the hint (the exponent of the same column's group in the previous candle
 * or block) is usually right and costs two steps.
 *
 * Why two checks prove it: when x is exact at e (r = round(x·10^e), and
 * r / 10^e gives back x) and 10·|r| < 2^50, x is exact at e + 1 as well:
 * x·10^(e+1) is within 10·|r|·2^-52 < 0.5 of 10·r, so it rounds to 10·r, and
 * 10·r / 10^(e+1) is the same rational as r / 10^e, so it rounds to the same
 * double, x. With |x|·10^(hint−1) < 2^49 that holds at every e < hint − 1, so
 * x exact at some e < hint − 1 would make it exact at hint − 1: not exact at
 * hint − 1 but exact at hint means hint is the smallest, the exponent the
 * scan from 0 would reach.
 */
function firstExponent(x: number, hint: number): number {
  if (!(hint > 0 && hint <= MAX_EXPONENT && Math.abs(x) * POW10[hint - 1]! < RISES_EXACTLY_BELOW)) return 0;
  return exactAt(x, hint) && !exactAt(x, hint - 1) ? hint : 0;
}

/** Whether x is an exact scaled integer at `exponent` (the test of `scanExponent`). */
function exactAt(x: number, exponent: number): boolean {
  const scale = POW10[exponent]!;
  const r = Math.round(x * scale) + 0;
  return Math.abs(r) <= MAX_INT && Object.is(exponent === 0 ? r : r / scale, x);
}

/** Fills ints[start..end) with the integers at `exponent`; false when one value is not exact there. */
function integersAt(
  values: ArrayLike<number>,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
): boolean {
  const scale = POW10[exponent]!;
  for (let j = start; j < end; j += 1) {
    const x = values[j]!;
    const r = Math.round(x * scale) + 0;
    if (!(Math.abs(r) <= MAX_INT) || !Object.is(exponent === 0 ? r : r / scale, x)) return false;
    ints[j] = r;
  }
  return true;
}

function allSame(values: ArrayLike<number>, start: number, end: number): boolean {
  const first = values[start];
  for (let j = start + 1; j < end; j += 1) if (!Object.is(values[j], first)) return false;
  return true;
}

/**
 * Writes values[start, start+count) as one group. Picks, in order: PREDICTED
 * (when a prediction is given and exact), the preferred integer kind, CONST
 * (all equal), RAW float64. Integer kinds leave their integers in
 * ints[start..] and return the exponent; CONST and RAW return -1. `hint`, a
 * guess of the first value's exponent (the exponent this returned for the
 * column's previous group), saves time when right and changes nothing when
 * wrong.
 */
export function encodeGroup(
  writer: ByteWriter,
  values: ArrayLike<number>,
  ints: Float64Array,
  start: number,
  count: number,
  preferred: typeof KIND_PLAIN | typeof KIND_DELTA,
  prediction?: Prediction,
  hint = 0,
): number {
  const end = start + count;
  const scanned = scanExponent(values, ints, start, end, hint);
  if (scanned >= 0) {
    const natural = scanned & ~NOT_FILLED;
    let filled = scanned === natural;
    if (prediction) {
      const exponent = Math.max(natural, minExponentOf(prediction));
      if (
        exponent <= MAX_EXPONENT &&
        (exponent === natural ? filled : integersAt(values, ints, start, end, exponent)) &&
        writePredicted(writer, ints, start, end, exponent, prediction)
      ) {
        return exponent;
      }
      if (exponent !== natural) filled = false;
    }
    if (filled || integersAt(values, ints, start, end, natural)) {
      // DELTA only when every difference is storable exactly; else PLAIN when every integer is
      // (zigzagRun checks while it writes, and writes nothing when one is not).
      if (preferred === KIND_DELTA && writer.zigzagRun((KIND_DELTA << 5) | natural, ints, start, end, true))
        return natural;
      if (writer.zigzagRun((KIND_PLAIN << 5) | natural, ints, start, end, false)) return natural;
    }
  }
  if (count >= 2 && allSame(values, start, end)) {
    writer.u8(KIND_CONST << 5);
    writer.f64(values[start]!);
    return -1;
  }
  writeRawGroup(writer, values, start, count);
  return -1;
}

export function writeRawGroup(
  writer: ByteWriter,
  values: ArrayLike<number>,
  start: number,
  count: number,
): void {
  writer.u8(KIND_RAW << 5);
  for (let j = start; j < start + count; j += 1) writer.f64(values[j]!);
}

/** Residuals r − p; false (nothing written) when one is not exactly representable. */
function writePredicted(
  writer: ByteWriter,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
  prediction: Prediction,
): boolean {
  const residuals = predictionScratch(end);
  return (
    residualsInto(prediction, ints, residuals, start, end, exponent) &&
    writer.zigzagRun((KIND_PREDICTED << 5) | exponent, residuals, start, end, false)
  );
}

let predictionBuffer = new Float64Array(1024);

/** Reused working memory for predictions and residuals (encoding and decoding are synchronous, never re-entered). */
function predictionScratch(length: number): Float64Array {
  if (predictionBuffer.length < length)
    predictionBuffer = new Float64Array(Math.max(length, predictionBuffer.length * 2));
  return predictionBuffer;
}

/**
 * residuals[j] = ints[j] − p_j for j in [start, end), p_j the writer's
 * prediction at `exponent`; false as soon as one residual is not storable
 * exactly (the reader computes the same p_j, with the same operations in the
 * same order, in `addPredictionInto`, and adds the residual: p + residual
 * must give back ints[j] bit for bit). One loop per kind, prediction and
 * check fused: this runs for most bin groups.
 */
function residualsInto(
  prediction: Prediction,
  ints: Float64Array,
  residuals: Float64Array,
  start: number,
  end: number,
  exponent: number,
): boolean {
  const { a, b, ea, eb } = prediction;
  switch (prediction.kind) {
    case PREDICT_SUM: {
      const sa = POW10[exponent - ea]!;
      const sb = POW10[exponent - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = ints[j]!;
        const p = a[j]! * sa + b[j]! * sb;
        const residual = r - p;
        if (!(Math.abs(residual) <= MAX_STORED) || p + residual !== r) return false;
        residuals[j] = residual;
      }
      return true;
    }
    case PREDICT_PRODUCT: {
      const scale = POW10[exponent - ea - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = ints[j]!;
        const p = a[j]! * b[j]! * scale;
        const residual = r - p;
        if (!(Math.abs(residual) <= MAX_STORED) || p + residual !== r) return false;
        residuals[j] = residual;
      }
      return true;
    }
    case PREDICT_DIFFERENCE: {
      const sa = POW10[exponent - ea]!;
      const sb = POW10[exponent - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = ints[j]!;
        const p = a[j]! * sa - b[j]! * sb;
        const residual = r - p;
        if (!(Math.abs(residual) <= MAX_STORED) || p + residual !== r) return false;
        residuals[j] = residual;
      }
      return true;
    }
    default: {
      const exponents = prediction.exponents!;
      for (let j = start; j < end; j += 1) {
        const r = ints[j]!;
        const p = a[j]! * POW10[exponent - exponents[j]!]!;
        const residual = r - p;
        if (!(Math.abs(residual) <= MAX_STORED) || p + residual !== r) return false;
        residuals[j] = residual;
      }
      return true;
    }
  }
}

/**
 * Reads one group of `count` values into out[start..]; integer kinds also
 * fill ints[start..] and return their exponent, CONST and RAW return -1.
 * Decoding is the hot path of every read: each kind runs its own tight loop
 * over a run of varints read in place (no call per value).
 */
export function decodeGroup(
  reader: ByteReader,
  out: Float64Array,
  ints: Float64Array,
  start: number,
  count: number,
  prediction?: Prediction,
): number {
  const mode = reader.u8();
  const kind = mode >> 5;
  const exponent = mode & 0x1f;
  const end = start + count;
  if (kind === KIND_CONST) {
    out.fill(reader.f64(), start, end);
    return -1;
  }
  if (kind === KIND_RAW) {
    for (let j = start; j < end; j += 1) out[j] = reader.f64();
    return -1;
  }
  if (exponent > MAX_EXPONENT) throw new FtcdDecodeError(`Bad exponent ${exponent}`);
  if (kind !== KIND_PLAIN && kind !== KIND_DELTA && kind !== KIND_PREDICTED) {
    throw new FtcdDecodeError(`Unknown group kind ${kind}`);
  }
  if (kind === KIND_PREDICTED && (!prediction || minExponentOf(prediction) > exponent)) {
    throw new FtcdDecodeError('PREDICTED group without a usable prediction');
  }
  readZigzagRun(reader, ints, start, end);
  // One pass after the varints: running sum or prediction, then the scaling (fused, not three passes).
  if (kind === KIND_PLAIN) scaleInto(out, ints, start, end, exponent);
  else if (kind === KIND_DELTA) accumulateInto(out, ints, start, end, exponent);
  else addPredictionInto(out, prediction!, ints, start, end, exponent);
  return exponent;
}

/** out[j] = ints[j] / 10^exponent. */
function scaleInto(
  out: Float64Array,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
): void {
  if (exponent === 0) {
    // A loop, not out.set(ints.subarray()): groups are short, and a view per group costs more.
    for (let j = start; j < end; j += 1) out[j] = ints[j]!;
    return;
  }
  const scale = POW10[exponent]!;
  for (let j = start; j < end; j += 1) out[j] = ints[j]! / scale;
}

/** ints[j] = ints[start] + … + ints[j] (DELTA), and out[j] = ints[j] / 10^exponent. */
function accumulateInto(
  out: Float64Array,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
): void {
  const scale = POW10[exponent]!;
  let previous = 0;
  for (let j = start; j < end; j += 1) {
    previous += ints[j]!;
    ints[j] = previous;
    out[j] = exponent === 0 ? previous : previous / scale;
  }
}

/**
 * ints[j] = p_j + ints[j] for the residuals already in ints, and
 * out[j] = ints[j] / 10^exponent. p_j is computed with the same operations,
 * in the same order, as `residualsInto` (the writer's prediction), so the sums
 * are bit-identical; it is inlined per kind here because this is the hottest
 * loop of every read.
 */
function addPredictionInto(
  out: Float64Array,
  prediction: Prediction,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
): void {
  const { a, b, ea, eb } = prediction;
  const scale = POW10[exponent]!;
  switch (prediction.kind) {
    case PREDICT_SUM: {
      const sa = POW10[exponent - ea]!;
      const sb = POW10[exponent - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = a[j]! * sa + b[j]! * sb + ints[j]!;
        ints[j] = r;
        out[j] = r / scale;
      }
      return;
    }
    case PREDICT_PRODUCT: {
      const sp = POW10[exponent - ea - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = a[j]! * b[j]! * sp + ints[j]!;
        ints[j] = r;
        out[j] = r / scale;
      }
      return;
    }
    case PREDICT_DIFFERENCE: {
      const sa = POW10[exponent - ea]!;
      const sb = POW10[exponent - eb]!;
      for (let j = start; j < end; j += 1) {
        const r = a[j]! * sa - b[j]! * sb + ints[j]!;
        ints[j] = r;
        out[j] = r / scale;
      }
      return;
    }
    default: {
      const exponents = prediction.exponents!;
      for (let j = start; j < end; j += 1) {
        const r = a[j]! * POW10[exponent - exponents[j]!]! + ints[j]!;
        ints[j] = r;
        out[j] = r / scale;
      }
    }
  }
}

/**
 * Reads end − start zigzag varints (LEB128, at most 8 bytes each) into
 * ints[start..end). The first four bytes of a varint (28 bits) use integer
 * bit operations, longer ones exact float arithmetic. Bounds are checked once
 * per run: a read past the array yields `undefined`, which ends a varint, and
 * the final position check rejects the run.
 */
function readZigzagRun(reader: ByteReader, ints: Float64Array, start: number, end: number): void {
  const bytes = reader.bytes;
  const limit = reader.end;
  let position = reader.offset;
  for (let j = start; j < end; j += 1) {
    let byte = bytes[position++]!;
    let raw = byte;
    if (byte >= 0x80) {
      raw = byte & 0x7f;
      byte = bytes[position++]!;
      raw |= (byte & 0x7f) << 7;
      if (byte >= 0x80) {
        byte = bytes[position++]!;
        raw |= (byte & 0x7f) << 14;
        if (byte >= 0x80) {
          byte = bytes[position++]!;
          raw |= (byte & 0x7f) << 21;
          if (byte >= 0x80) {
            let multiplier = 0x10000000;
            for (let length = 4; ; length += 1) {
              if (length === 8) {
                if (position > limit) break;
                throw new FtcdDecodeError('Varint longer than 8 bytes');
              }
              byte = bytes[position++]!;
              raw += (byte & 0x7f) * multiplier;
              if (!(byte >= 0x80)) break;
              multiplier *= 128;
            }
          }
        }
      }
    }
    // Zigzag: bit operations below 2^31; above, exact float arithmetic (values up to 2^53).
    ints[j] = raw < 0x80000000 ? (raw >>> 1) ^ -(raw & 1) : raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }
  if (position > limit) throw new FtcdDecodeError('Block payload ends inside a varint');
  reader.offset = position;
}
