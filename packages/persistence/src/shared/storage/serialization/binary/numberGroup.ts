import { FtcdDecodeError } from '../../errors/StorageErrors';
import type { ByteReader } from './ByteReader';
import type { ByteWriter } from './ByteWriter';

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
const MAX_STORED = 2 ** 52 - 1;

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

function predictAt(prediction: Prediction, j: number, exponent: number): number {
  const { a, b, ea, eb } = prediction;
  switch (prediction.kind) {
    case PREDICT_SUM:
      return a[j]! * POW10[exponent - ea]! + b[j]! * POW10[exponent - eb]!;
    case PREDICT_PRODUCT:
      return a[j]! * b[j]! * POW10[exponent - ea - eb]!;
    case PREDICT_DIFFERENCE:
      return a[j]! * POW10[exponent - ea]! - b[j]! * POW10[exponent - eb]!;
    default:
      return a[j]! * POW10[exponent - prediction.exponents![j]!]!;
  }
}

function scaledAt(x: number, exponent: number): number {
  return Math.round(x * POW10[exponent]!) + 0;
}

function exactAt(x: number, exponent: number): boolean {
  const r = scaledAt(x, exponent);
  if (!(Math.abs(r) <= MAX_INT)) return false;
  return Object.is(exponent === 0 ? r : r / POW10[exponent]!, x);
}

/** Smallest exponent >= floor at which every value is an exact scaled integer, or -1. */
function findExponent(values: ArrayLike<number>, start: number, end: number): number {
  let exponent = 0;
  for (let j = start; j < end; j += 1) {
    const x = values[j]!;
    while (!exactAt(x, exponent)) {
      exponent += 1;
      if (exponent > MAX_EXPONENT) return -1;
    }
  }
  return exponent;
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
 * ints[start..] and return the exponent; CONST and RAW return -1.
 */
export function encodeGroup(
  writer: ByteWriter,
  values: ArrayLike<number>,
  ints: Float64Array,
  start: number,
  count: number,
  preferred: typeof KIND_PLAIN | typeof KIND_DELTA,
  prediction?: Prediction,
): number {
  const end = start + count;
  const natural = findExponent(values, start, end);
  if (natural >= 0) {
    if (prediction) {
      const exponent = Math.max(natural, minExponentOf(prediction));
      if (
        exponent <= MAX_EXPONENT &&
        integersAt(values, ints, start, end, exponent) &&
        writePredicted(writer, ints, start, end, exponent, prediction)
      ) {
        return exponent;
      }
    }
    if (integersAt(values, ints, start, end, natural)) {
      // DELTA only when every difference is storable exactly; else PLAIN when every integer is.
      if (preferred === KIND_DELTA && storable(ints, start, end, true))
        return writeIntegers(writer, ints, start, end, natural, KIND_DELTA);
      if (storable(ints, start, end, false))
        return writeIntegers(writer, ints, start, end, natural, KIND_PLAIN);
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

/** Whether every integer (or, with `delta`, every difference from the previous one) is within MAX_STORED. */
function storable(ints: Float64Array, start: number, end: number, delta: boolean): boolean {
  let previous = 0;
  for (let j = start; j < end; j += 1) {
    const r = ints[j]!;
    // A computed |r − previous| <= 2^52−1 implies the exact difference was representable.
    if (!(Math.abs(delta ? r - previous : r) <= MAX_STORED)) return false;
    previous = r;
  }
  return true;
}

function writeIntegers(
  writer: ByteWriter,
  ints: Float64Array,
  start: number,
  end: number,
  exponent: number,
  kind: typeof KIND_PLAIN | typeof KIND_DELTA,
): number {
  writer.u8((kind << 5) | exponent);
  if (kind === KIND_DELTA) {
    let previous = 0;
    for (let j = start; j < end; j += 1) {
      const r = ints[j]!;
      writer.zigzag(r - previous);
      previous = r;
    }
  } else {
    for (let j = start; j < end; j += 1) writer.zigzag(ints[j]!);
  }
  return exponent;
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
  for (let j = start; j < end; j += 1) {
    const p = predictAt(prediction, j, exponent);
    const residual = ints[j]! - p;
    // The reader computes the same p (same inputs, same operations) and adds the residual.
    if (!(Math.abs(residual) <= MAX_STORED) || p + residual !== ints[j]) return false;
  }
  writer.u8((KIND_PREDICTED << 5) | exponent);
  for (let j = start; j < end; j += 1) writer.zigzag(ints[j]! - predictAt(prediction, j, exponent));
  return true;
}

/**
 * Reads one group of `count` values into out[start..]; integer kinds also
 * fill ints[start..] and return their exponent, CONST and RAW return -1.
 */
export function decodeGroup(
  reader: ByteReader,
  out: Float64Array | number[],
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
    const value = reader.f64();
    for (let j = start; j < end; j += 1) out[j] = value;
    return -1;
  }
  if (kind === KIND_RAW) {
    for (let j = start; j < end; j += 1) out[j] = reader.f64();
    return -1;
  }
  if (exponent > MAX_EXPONENT) throw new FtcdDecodeError(`Bad exponent ${exponent}`);
  if (kind === KIND_PLAIN) {
    for (let j = start; j < end; j += 1) ints[j] = reader.zigzag();
  } else if (kind === KIND_DELTA) {
    let previous = 0;
    for (let j = start; j < end; j += 1) {
      previous += reader.zigzag();
      ints[j] = previous;
    }
  } else if (kind === KIND_PREDICTED) {
    if (!prediction || minExponentOf(prediction) > exponent) {
      throw new FtcdDecodeError('PREDICTED group without a usable prediction');
    }
    for (let j = start; j < end; j += 1) ints[j] = predictAt(prediction, j, exponent) + reader.zigzag();
  } else {
    throw new FtcdDecodeError(`Unknown group kind ${kind}`);
  }
  if (exponent === 0) for (let j = start; j < end; j += 1) out[j] = ints[j]!;
  else {
    const scale = POW10[exponent]!;
    for (let j = start; j < end; j += 1) out[j] = ints[j]! / scale;
  }
  return exponent;
}
