import type { FootprintCandleDTO, PriceBinDTO } from '@flowtrace/core';
import { BIN_PRESENCE, FLOWTRACE_FLATBUFFER_ENCODING_VERSION } from '../../CandleTransformer';
import {
  AGGS_FIELD,
  AGGS_FIELD_COUNT,
  AGGS_INLINE_SIZE,
  AGGS_OFFSET,
  AGGS_STRIDE,
  BATCH_FIELD,
  BATCH_FIELD_COUNT,
  BATCH_INLINE_SIZE,
  BATCH_OFFSET,
  CANDLE_FIELD,
  CANDLE_FIELD_COUNT,
  CANDLE_INLINE_SIZE,
  CANDLE_OFFSET,
  EXACT_INT64,
} from './CandleLayout';
import { FlatBufferUnencodableCandleError } from './FlatBufferErrors';

const TWO_POW_32 = 4294967296;
const CANDLE_VTABLE_SIZE = 4 + 2 * CANDLE_FIELD_COUNT;
const AGGS_VTABLE_SIZE = 4 + 2 * AGGS_FIELD_COUNT;
const BATCH_VTABLE_SIZE = 4 + 2 * BATCH_FIELD_COUNT;

/** The Candle vtable then the Aggs vtable: the same bytes in every buffer we write. */
const SHARED_VTABLES = buildSharedVtables();

function buildSharedVtables(): Uint8Array {
  const bytes = new Uint8Array(CANDLE_VTABLE_SIZE + AGGS_VTABLE_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, CANDLE_VTABLE_SIZE, true);
  view.setUint16(2, CANDLE_INLINE_SIZE, true);
  for (const [name, id] of Object.entries(CANDLE_FIELD)) {
    // Fields without an offset (s1, s2, id, df) stay 0: absent.
    const offset = (CANDLE_OFFSET as Record<string, number>)[name];
    if (offset !== undefined) view.setUint16(4 + 2 * id, offset, true);
  }
  const aggs = CANDLE_VTABLE_SIZE;
  view.setUint16(aggs, AGGS_VTABLE_SIZE, true);
  view.setUint16(aggs + 2, AGGS_INLINE_SIZE, true);
  for (const [name, id] of Object.entries(AGGS_FIELD)) {
    view.setUint16(aggs + 4 + 2 * id, (AGGS_OFFSET as Record<string, number>)[name] as number, true);
  }
  return bytes;
}

/**
 * Writes standard FlatBuffers of schemas/candle.fbs directly (front to back,
 * fixed layout from CandleLayout), several times faster than the generic
 * builder. Layout: root offset, the vtables (shared by every table of a kind),
 * then each Candle table followed by its strings, its aggs vector and its Aggs
 * tables. Every offset points forward, every scalar is aligned to its size,
 * every field is written (0 and -0 included): bytes are a pure function of the DTO.
 */
export class FlatCandleWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private candleVtable = 0;
  private aggsVtable = 0;

  /** One candle → bytes of a root `Candle`. The returned Buffer is a copy the caller owns. */
  encodeCandle(candle: FootprintCandleDTO): Buffer {
    return Buffer.from(this.encodeCandleTransient(candle));
  }

  /** Like encodeCandle, but a view into the internal buffer, valid only until the next encode. */
  encodeCandleTransient(candle: FootprintCandleDTO): Uint8Array {
    const table = this.padTo(this.writeHeader(), 8, 4);
    this.view.setUint32(0, table, true);
    // Written first: writeCandleAt may grow (replace) this.buffer, and `this.buffer.subarray(0,
    // this.writeCandleAt(...))` would read the property before the call, slicing the old buffer.
    const end = this.writeCandleAt(table, candle);
    return this.buffer.subarray(0, end);
  }

  /** Candles in the given order → bytes of a root `CandleBatch`. */
  encodeBatch(candles: readonly FootprintCandleDTO[]): Buffer {
    const batchVtable = this.writeHeader();
    this.reserve(batchVtable + BATCH_VTABLE_SIZE + 16 + 4 * candles.length);
    const view = this.view;
    view.setUint16(batchVtable, BATCH_VTABLE_SIZE, true);
    view.setUint16(batchVtable + 2, BATCH_INLINE_SIZE, true);
    view.setUint16(batchVtable + 4 + 2 * BATCH_FIELD.candles, BATCH_OFFSET.candles, true);
    view.setUint16(batchVtable + 4 + 2 * BATCH_FIELD.count, BATCH_OFFSET.count, true);
    const table = this.padTo(batchVtable + BATCH_VTABLE_SIZE, 4, 0);
    view.setUint32(0, table, true);
    view.setInt32(table, table - batchVtable, true);
    view.setInt32(table + BATCH_OFFSET.count, candles.length, true);
    const vector = table + BATCH_INLINE_SIZE;
    view.setUint32(table + BATCH_OFFSET.candles, vector - (table + BATCH_OFFSET.candles), true);
    this.view.setUint32(vector, candles.length, true);
    let pos = vector + 4 + 4 * candles.length;
    for (let index = 0; index < candles.length; index++) {
      this.reserve(pos + 8);
      const candleTable = this.padTo(pos, 8, 4);
      const slot = vector + 4 + 4 * index;
      this.view.setUint32(slot, candleTable - slot, true);
      pos = this.writeCandleAt(candleTable, candles[index] as FootprintCandleDTO);
    }
    return Buffer.from(this.buffer.subarray(0, pos));
  }

  /** Root offset placeholder and the shared vtables; returns the first free position. */
  private writeHeader(): number {
    this.reserve(256);
    this.candleVtable = 4;
    this.aggsVtable = 4 + CANDLE_VTABLE_SIZE;
    this.buffer.set(SHARED_VTABLES, 4);
    return 4 + SHARED_VTABLES.byteLength;
  }

  /** Writes one Candle table at `table` (≡ 4 mod 8) and everything it references; returns the end. */
  private writeCandleAt(table: number, candle: FootprintCandleDTO): number {
    const bins = candle.aggs;
    const binCount = bins.length;
    this.reserve(
      table +
        CANDLE_INLINE_SIZE +
        32 +
        3 * (candle.e.length + candle.tz.length + candle.ex.length + candle.a.length) +
        3 * (candle.s.length + candle.i.length) +
        6 * 8 +
        8 +
        4 * binCount +
        AGGS_STRIDE * binCount,
    );
    const view = this.view;
    view.setInt32(table, table - this.candleVtable, true);
    writeInt64(view, table + CANDLE_OFFSET.t, candle.t, 't');
    const exact =
      writeLong(view, table + CANDLE_OFFSET.vi, table + CANDLE_OFFSET.vid, candle.vi, 'vi', EXACT_INT64.vi) |
      writeLong(view, table + CANDLE_OFFSET.ct, table + CANDLE_OFFSET.ctd, candle.ct, 'ct', EXACT_INT64.ct) |
      writeLong(view, table + CANDLE_OFFSET.n, table + CANDLE_OFFSET.nd, candle.n, 'n', EXACT_INT64.n);
    view.setUint8(table + CANDLE_OFFSET.cf, exact);
    view.setFloat64(table + CANDLE_OFFSET.o, numberField(candle.o, 'o'), true);
    view.setFloat64(table + CANDLE_OFFSET.h, numberField(candle.h, 'h'), true);
    view.setFloat64(table + CANDLE_OFFSET.l, numberField(candle.l, 'l'), true);
    view.setFloat64(table + CANDLE_OFFSET.c, numberField(candle.c, 'c'), true);
    view.setFloat64(table + CANDLE_OFFSET.v, numberField(candle.v, 'v'), true);
    view.setFloat64(table + CANDLE_OFFSET.bv, numberField(candle.bv, 'bv'), true);
    view.setFloat64(table + CANDLE_OFFSET.sv, numberField(candle.sv, 'sv'), true);
    view.setFloat64(table + CANDLE_OFFSET.q, numberField(candle.q, 'q'), true);
    view.setFloat64(table + CANDLE_OFFSET.bq, numberField(candle.bq, 'bq'), true);
    view.setFloat64(table + CANDLE_OFFSET.sq, numberField(candle.sq, 'sq'), true);
    view.setFloat64(table + CANDLE_OFFSET.d, numberField(candle.d, 'd'), true);
    view.setFloat64(table + CANDLE_OFFSET.dMax, numberField(candle.dMax, 'dMax'), true);
    view.setFloat64(table + CANDLE_OFFSET.dMin, numberField(candle.dMin, 'dMin'), true);
    view.setFloat64(table + CANDLE_OFFSET.tv, numberField(candle.tv, 'tv'), true);
    view.setFloat64(table + CANDLE_OFFSET.f, numberField(candle.f, 'f'), true);
    view.setFloat64(table + CANDLE_OFFSET.ls, numberField(candle.ls, 'ls'), true);
    if (typeof candle.x !== 'boolean') {
      throw new FlatBufferUnencodableCandleError(
        `Candle field "x" must be a boolean, got ${typeof candle.x}`,
      );
    }
    view.setUint8(table + CANDLE_OFFSET.x, candle.x ? 1 : 0);
    view.setUint8(table + CANDLE_OFFSET.fv, FLOWTRACE_FLATBUFFER_ENCODING_VERSION);
    let pos = this.padTo(table + CANDLE_INLINE_SIZE, 4, 0);
    pos = this.writeStringField(table + CANDLE_OFFSET.e, pos, candle.e, 'e');
    pos = this.writeStringField(table + CANDLE_OFFSET.tz, pos, candle.tz, 'tz');
    pos = this.writeStringField(table + CANDLE_OFFSET.ex, pos, candle.ex, 'ex');
    pos = this.writeStringField(table + CANDLE_OFFSET.a, pos, candle.a, 'a');
    pos = this.writeStringField(table + CANDLE_OFFSET.s, pos, candle.s, 's');
    pos = this.writeStringField(table + CANDLE_OFFSET.i, pos, candle.i, 'i');
    const vector = pos;
    view.setUint32(table + CANDLE_OFFSET.aggs, vector - (table + CANDLE_OFFSET.aggs), true);
    view.setUint32(vector, binCount, true);
    let binTable = this.padTo(vector + 4 + 4 * binCount, 8, 4);
    const aggsVtable = this.aggsVtable;
    for (let index = 0; index < binCount; index++) {
      const slot = vector + 4 + 4 * index;
      view.setUint32(slot, binTable - slot, true);
      const bin = bins[index] as PriceBinDTO;
      view.setInt32(binTable, binTable - aggsVtable, true);
      if (typeof bin !== 'object' || bin === null) {
        throw new FlatBufferUnencodableCandleError(`Candle bin aggs[${index}] must be an object`);
      }
      const { tp, v, bv, sv, bq, sq, q } = bin;
      if (
        typeof tp !== 'number' ||
        typeof v !== 'number' ||
        typeof bv !== 'number' ||
        typeof sv !== 'number' ||
        (bq !== undefined && typeof bq !== 'number') ||
        (sq !== undefined && typeof sq !== 'number') ||
        (q !== undefined && typeof q !== 'number')
      ) {
        throw new FlatBufferUnencodableCandleError(
          `Candle bin aggs[${index}] has a field that is not a number`,
        );
      }
      view.setFloat64(binTable + AGGS_OFFSET.tp, tp, true);
      view.setFloat64(binTable + AGGS_OFFSET.v, v, true);
      view.setFloat64(binTable + AGGS_OFFSET.bv, bv, true);
      view.setFloat64(binTable + AGGS_OFFSET.sv, sv, true);
      let presence = 0;
      if (bq !== undefined) presence |= BIN_PRESENCE.bq;
      if (sq !== undefined) presence |= BIN_PRESENCE.sq;
      if (q !== undefined) presence |= BIN_PRESENCE.q;
      view.setFloat64(binTable + AGGS_OFFSET.bq, bq ?? 0, true);
      view.setFloat64(binTable + AGGS_OFFSET.sq, sq ?? 0, true);
      view.setFloat64(binTable + AGGS_OFFSET.q, q ?? 0, true);
      // pf and the 3 padding bytes: written so the bytes never depend on earlier buffer contents.
      view.setUint32(binTable + AGGS_OFFSET.pf, presence, true);
      binTable += AGGS_STRIDE;
    }
    return binCount === 0 ? vector + 4 : binTable - (AGGS_STRIDE - AGGS_INLINE_SIZE);
  }

  /** Writes a string (u32 length, UTF-8, NUL) at `pos` (4-aligned) and its offset in `field`; returns the next 4-aligned position. */
  private writeStringField(field: number, pos: number, value: string, name: string): number {
    if (typeof value !== 'string') {
      throw new FlatBufferUnencodableCandleError(
        `Candle field "${name}" must be a string, got ${typeof value}`,
      );
    }
    // UTF-8 cannot hold a lone surrogate: Buffer.write would store U+FFFD and the read-back differ.
    if (!(value as WellFormedCheckable).isWellFormed()) {
      throw new FlatBufferUnencodableCandleError(
        `Candle field "${name}" is not well-formed UTF-16 (a lone surrogate), which a FlatBuffer string (UTF-8) cannot hold exactly`,
      );
    }
    const length = this.buffer.write(value, pos + 4, 'utf8');
    this.view.setUint32(pos, length, true);
    this.buffer[pos + 4 + length] = 0;
    this.view.setUint32(field, pos - field, true);
    return this.padTo(pos + 4 + length + 1, 4, 0);
  }

  /** Zero-fills up to the next position ≡ remainder (mod alignment): padding never leaks old bytes. */
  private padTo(pos: number, alignment: number, remainder: number): number {
    const next = align(pos, alignment, remainder);
    if (next > pos) this.buffer.fill(0, pos, next);
    return next;
  }

  private reserve(size: number): void {
    if (size <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength;
    while (capacity < size) capacity *= 2;
    const grown = Buffer.alloc(capacity);
    this.buffer.copy(grown);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}

/** Doubles are written as given; anything else would be coerced silently, so it is refused. */
function numberField(value: number, field: string): number {
  if (typeof value !== 'number') {
    throw new FlatBufferUnencodableCandleError(
      `Candle field "${field}" must be a number, got ${typeof value}`,
    );
  }
  return value;
}

/** Smallest position >= pos that is ≡ remainder (mod alignment). */
function align(pos: number, alignment: number, remainder: number): number {
  const delta = (((remainder - pos) % alignment) + alignment) % alignment;
  return pos + delta;
}

/**
 * An int64 field with an exact double beside it: safe integers go to the int64
 * (as the original platform expects); anything else (fractions, -0, beyond
 * 2^53) goes to the double, with a truncated stand-in in the int64 for other
 * readers. Returns the `cf` bit to set.
 */
function writeLong(
  view: DataView,
  longPos: number,
  doublePos: number,
  value: number,
  field: string,
  bit: number,
): number {
  if (typeof value !== 'number') {
    throw new FlatBufferUnencodableCandleError(
      `Candle field "${field}" must be a number, got ${typeof value}`,
    );
  }
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
    writeInt64(view, longPos, value, field);
    view.setFloat64(doublePos, 0, true);
    return 0;
  }
  const standIn = Number.isFinite(value)
    ? Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.trunc(value))) || 0
    : 0;
  writeInt64(view, longPos, standIn, field);
  view.setFloat64(doublePos, value, true);
  return bit;
}

/** String.prototype.isWellFormed (ES2024; in every supported Node), absent from the ES2023 lib. */
type WellFormedCheckable = string & { isWellFormed(): boolean };

function writeInt64(view: DataView, pos: number, value: number, field: string): void {
  // -0 is refused too: int64 has no negative zero, so it would come back as 0.
  if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
    throw new FlatBufferUnencodableCandleError(
      `Candle field "${field}" must be a safe integer to be stored as int64, got ${String(value)}`,
    );
  }
  const high = Math.floor(value / TWO_POW_32);
  view.setUint32(pos, value - high * TWO_POW_32, true);
  view.setInt32(pos + 4, high, true);
}
