import {
  CANDLE_DEFAULTS,
  type FootprintCandleDTO,
  isTimeframeName,
  type PriceBinDTO,
  TIMEFRAME_DURATION_MS,
} from '@flowtrace/core';
import {
  BIN_PRESENCE,
  type DecodedCandle,
  type LegacyCandleContext,
  type LegacyDefaultedField,
} from '../../CandleTransformer';
import { AGGS_FIELD, BATCH_FIELD, CANDLE_FIELD, EXACT_INT64, slotOf } from './CandleLayout';
import { FlatBufferCorruptError, FlatBufferUnsafeIntegerError } from './FlatBufferErrors';

const TWO_POW_32 = 4294967296;
const ALL_BIN_FIELDS = BIN_PRESENCE.bq | BIN_PRESENCE.sq | BIN_PRESENCE.q;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const S = Object.freeze({
  e: slotOf(CANDLE_FIELD.e),
  tz: slotOf(CANDLE_FIELD.tz),
  ex: slotOf(CANDLE_FIELD.ex),
  a: slotOf(CANDLE_FIELD.a),
  s: slotOf(CANDLE_FIELD.s),
  i: slotOf(CANDLE_FIELD.i),
  vi: slotOf(CANDLE_FIELD.vi),
  t: slotOf(CANDLE_FIELD.t),
  ct: slotOf(CANDLE_FIELD.ct),
  o: slotOf(CANDLE_FIELD.o),
  h: slotOf(CANDLE_FIELD.h),
  l: slotOf(CANDLE_FIELD.l),
  c: slotOf(CANDLE_FIELD.c),
  v: slotOf(CANDLE_FIELD.v),
  bv: slotOf(CANDLE_FIELD.bv),
  sv: slotOf(CANDLE_FIELD.sv),
  q: slotOf(CANDLE_FIELD.q),
  bq: slotOf(CANDLE_FIELD.bq),
  sq: slotOf(CANDLE_FIELD.sq),
  d: slotOf(CANDLE_FIELD.d),
  dMax: slotOf(CANDLE_FIELD.dMax),
  dMin: slotOf(CANDLE_FIELD.dMin),
  n: slotOf(CANDLE_FIELD.n),
  tv: slotOf(CANDLE_FIELD.tv),
  f: slotOf(CANDLE_FIELD.f),
  ls: slotOf(CANDLE_FIELD.ls),
  x: slotOf(CANDLE_FIELD.x),
  aggs: slotOf(CANDLE_FIELD.aggs),
  fv: slotOf(CANDLE_FIELD.fv),
  vid: slotOf(CANDLE_FIELD.vid),
  ctd: slotOf(CANDLE_FIELD.ctd),
  nd: slotOf(CANDLE_FIELD.nd),
  cf: slotOf(CANDLE_FIELD.cf),
});

/**
 * Decodes FlatBuffers of schemas/candle.fbs written by ANY conforming writer
 * (ours, flatc, the original platform) straight into DTOs: it follows the
 * vtables like generated code, but resolves an Aggs vtable once for all the
 * bins sharing it and reads int64 without BigInt. Absent legacy fields get the
 * defaults of `LEGACY_DEFAULTS` and are reported.
 */
export class FlatCandleReader {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private bytes: Uint8Array = new Uint8Array(0);

  decodeCandle(bytes: Uint8Array, context?: LegacyCandleContext): DecodedCandle {
    this.bind(bytes);
    return this.readCandle(this.uoffsetTarget(0), context);
  }

  decodeBatch(bytes: Uint8Array, context?: LegacyCandleContext): DecodedCandle[] {
    this.bind(bytes);
    const table = this.uoffsetTarget(0);
    const vt = this.vtableOf(table);
    const vtSize = this.view.getUint16(vt, true);
    const candlesField = this.fieldOffset(vt, vtSize, slotOf(BATCH_FIELD.candles));
    if (candlesField === 0) return [];
    const vector = this.uoffsetTarget(table + candlesField);
    const length = this.view.getUint32(vector, true);
    this.check(vector + 4 + 4 * length, 'candles vector');
    const decoded = new Array<DecodedCandle>(length);
    for (let index = 0; index < length; index++) {
      decoded[index] = this.readCandle(this.uoffsetTarget(vector + 4 + 4 * index), context);
    }
    return decoded;
  }

  private bind(bytes: Uint8Array): void {
    if (bytes.byteLength < 12)
      throw new FlatBufferCorruptError(`FlatBuffer too short: ${bytes.byteLength} bytes`);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private readCandle(table: number, context: LegacyCandleContext = {}): DecodedCandle {
    const view = this.view;
    const vt = this.vtableOf(table);
    const vtSize = view.getUint16(vt, true);
    this.check(vt + vtSize, 'Candle vtable');
    const at = (slot: number): number => (slot < vtSize ? view.getUint16(vt + slot, true) : 0);
    const float = (slot: number): number => {
      const offset = at(slot);
      return offset === 0 ? 0 : view.getFloat64(table + offset, true);
    };
    const cfOffset = at(S.cf);
    const exact = cfOffset === 0 ? 0 : view.getUint8(table + cfOffset);
    const long = (slot: number, name: string): number => {
      const offset = at(slot);
      return offset === 0 ? 0 : this.readInt64(table + offset, name);
    };
    // An int64 whose exact value sits in the companion double (see schemas/candle.fbs, cf).
    const exactLong = (slot: number, exactSlot: number, bit: number, name: string): number =>
      exact & bit ? float(exactSlot) : long(slot, name);
    const fvOffset = at(S.fv);
    const legacy = fvOffset === 0 || view.getUint8(table + fvOffset) === 0;
    const defaulted: LegacyDefaultedField[] = [];
    const text = (slot: number, field: LegacyDefaultedField, fallback: string): string => {
      const offset = at(slot);
      if (offset !== 0) return this.readString(table + offset);
      defaulted.push(field);
      return fallback;
    };
    const e = text(S.e, 'e', CANDLE_DEFAULTS.e);
    const tz = text(S.tz, 'tz', CANDLE_DEFAULTS.tz);
    const ex = text(S.ex, 'ex', context.exchange ?? '');
    const a = text(S.a, 'a', CANDLE_DEFAULTS.a);
    const s = text(S.s, 's', context.symbol ?? '');
    const i = text(S.i, 'i', context.timeframe ?? '');
    let vi = exactLong(S.vi, S.vid, EXACT_INT64.vi, 'vi');
    if (legacy && at(S.vi) === 0) {
      defaulted.push('vi');
      vi = isTimeframeName(i) ? TIMEFRAME_DURATION_MS[i] / 1000 : 0;
    }
    const xOffset = at(S.x);
    let x = xOffset !== 0 && view.getUint8(table + xOffset) !== 0;
    if (legacy && xOffset === 0) {
      defaulted.push('x');
      x = CANDLE_DEFAULTS.x;
    }
    const aggsOffset = at(S.aggs);
    const aggs =
      aggsOffset === 0 ? [] : this.readBins(this.uoffsetTarget(table + aggsOffset), legacy, defaulted);
    const candle: FootprintCandleDTO = {
      e,
      tz,
      ex,
      a,
      s,
      i,
      vi,
      t: long(S.t, 't'),
      o: float(S.o),
      h: float(S.h),
      l: float(S.l),
      c: float(S.c),
      ct: exactLong(S.ct, S.ctd, EXACT_INT64.ct, 'ct'),
      v: float(S.v),
      bv: float(S.bv),
      sv: float(S.sv),
      q: float(S.q),
      bq: float(S.bq),
      sq: float(S.sq),
      n: exactLong(S.n, S.nd, EXACT_INT64.n, 'n'),
      d: float(S.d),
      dMax: float(S.dMax),
      dMin: float(S.dMin),
      tv: float(S.tv),
      aggs,
      f: float(S.f),
      ls: float(S.ls),
      x,
    };
    return { candle, defaulted };
  }

  private readBins(vector: number, legacy: boolean, defaulted: LegacyDefaultedField[]): PriceBinDTO[] {
    const view = this.view;
    const count = view.getUint32(vector, true);
    this.check(vector + 4 + 4 * count, 'aggs vector');
    const bins = new Array<PriceBinDTO>(count);
    let cachedVtable = -1;
    let tp = 0;
    let v = 0;
    let bv = 0;
    let sv = 0;
    let bq = 0;
    let sq = 0;
    let q = 0;
    let pf = 0;
    let missingBq = false;
    let missingSq = false;
    for (let index = 0; index < count; index++) {
      const table = this.uoffsetTarget(vector + 4 + 4 * index);
      const vt = this.vtableOf(table);
      if (vt !== cachedVtable) {
        // Bins written by one builder share a vtable: resolve it once.
        const vtSize = view.getUint16(vt, true);
        this.check(vt + vtSize, 'Aggs vtable');
        const at = (field: number): number => {
          const slot = slotOf(field);
          return slot < vtSize ? view.getUint16(vt + slot, true) : 0;
        };
        tp = at(AGGS_FIELD.tp);
        v = at(AGGS_FIELD.v);
        bv = at(AGGS_FIELD.bv);
        sv = at(AGGS_FIELD.sv);
        bq = at(AGGS_FIELD.bq);
        sq = at(AGGS_FIELD.sq);
        q = at(AGGS_FIELD.q);
        pf = at(AGGS_FIELD.pf);
        cachedVtable = vt;
      }
      const binTp = tp === 0 ? 0 : view.getFloat64(table + tp, true);
      const binBv = bv === 0 ? 0 : view.getFloat64(table + bv, true);
      const binSv = sv === 0 ? 0 : view.getFloat64(table + sv, true);
      const binV = v === 0 ? 0 : view.getFloat64(table + v, true);
      const presence = legacy || pf === 0 ? 0 : view.getUint8(table + pf);
      let bin: PriceBinDTO;
      if (presence === ALL_BIN_FIELDS) {
        // The common case, built in one literal: one hidden class, no property-store growth.
        bin = {
          tp: binTp,
          bv: binBv,
          sv: binSv,
          v: binV,
          bq: bq === 0 ? 0 : view.getFloat64(table + bq, true),
          sq: sq === 0 ? 0 : view.getFloat64(table + sq, true),
          q: q === 0 ? 0 : view.getFloat64(table + q, true),
        };
      } else {
        bin = { tp: binTp, bv: binBv, sv: binSv, v: binV };
        if (legacy) {
          if (bq !== 0) bin.bq = view.getFloat64(table + bq, true);
          else missingBq = true;
          if (sq !== 0) bin.sq = view.getFloat64(table + sq, true);
          else missingSq = true;
        } else {
          if (presence & BIN_PRESENCE.bq) bin.bq = bq === 0 ? 0 : view.getFloat64(table + bq, true);
          if (presence & BIN_PRESENCE.sq) bin.sq = sq === 0 ? 0 : view.getFloat64(table + sq, true);
          if (presence & BIN_PRESENCE.q) bin.q = q === 0 ? 0 : view.getFloat64(table + q, true);
        }
      }
      bins[index] = bin;
    }
    if (legacy) {
      if (missingBq) defaulted.push('aggs[].bq');
      if (missingSq) defaulted.push('aggs[].sq');
      if (count > 0) defaulted.push('aggs[].q');
    }
    return bins;
  }

  private fieldOffset(vt: number, vtSize: number, slot: number): number {
    return slot < vtSize ? this.view.getUint16(vt + slot, true) : 0;
  }

  private vtableOf(table: number): number {
    const vt = table - this.view.getInt32(table, true);
    this.check(vt + 4, 'vtable');
    if (vt < 0) throw new FlatBufferCorruptError(`vtable of table at ${table} lies before the buffer`);
    return vt;
  }

  private uoffsetTarget(position: number): number {
    const target = position + this.view.getUint32(position, true);
    this.check(target + 4, 'offset target');
    return target;
  }

  private readString(position: number): string {
    const start = this.uoffsetTarget(position);
    const length = this.view.getUint32(start, true);
    const bytes = this.bytes;
    const from = start + 4;
    this.check(from + length, 'string');
    if (length <= 32) {
      // Short ASCII (exchange, symbol, timeframe…) is by far the common case: skip TextDecoder.
      let ascii = '';
      let index = from;
      for (; index < from + length; index++) {
        const byte = bytes[index] as number;
        if (byte >= 0x80) break;
        ascii += String.fromCharCode(byte);
      }
      if (index === from + length) return ascii;
    }
    return utf8.decode(bytes.subarray(from, from + length));
  }

  private readInt64(position: number, field: string): number {
    const low = this.view.getUint32(position, true);
    const high = this.view.getInt32(position + 4, true);
    const value = high * TWO_POW_32 + low;
    if (!Number.isSafeInteger(value)) {
      throw new FlatBufferUnsafeIntegerError(
        `FlatBuffer field "${field}" holds a value beyond Number.MAX_SAFE_INTEGER: refusing to lose precision`,
      );
    }
    return value;
  }

  private check(end: number, what: string): void {
    if (end > this.bytes.byteLength) {
      throw new FlatBufferCorruptError(
        `FlatBuffer ${what} runs past the end of the ${this.bytes.byteLength}-byte buffer`,
      );
    }
  }
}
