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
import { PlainBin, PlainFullBin } from '../../candle/plainObjects';
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
  // The table being decoded and its vtable (fields, not closures: no per-candle allocation).
  private table = 0;
  private vt = 0;
  private vtSize = 0;

  decodeCandle(bytes: Uint8Array, context?: LegacyCandleContext): DecodedCandle {
    this.bind(bytes);
    return this.readCandle(this.uoffsetTarget(0), context);
  }

  /**
   * `legacyFileBins`: the batch is the payload of an original `.ftcd` file, whose writer put a
   * placeholder 0 in every bin's `bq`/`sq`: in candles without `fv` they are left out (and
   * reported) whether the 0 was omitted, as the stock builder does, or written.
   */
  decodeBatch(bytes: Uint8Array, context?: LegacyCandleContext, legacyFileBins = false): DecodedCandle[] {
    this.bind(bytes);
    const table = this.uoffsetTarget(0);
    const vt = this.vtableOf(table);
    const vtSize = this.view.getUint16(vt, true);
    const candlesField = vtableEntry(this.view, vt, vtSize, BATCH_FIELD.candles);
    if (candlesField === 0) return [];
    const vector = this.uoffsetTarget(table + candlesField);
    const length = this.view.getUint32(vector, true);
    this.check(vector + 4 + 4 * length, 'candles vector');
    const decoded = new Array<DecodedCandle>(length);
    for (let index = 0; index < length; index++) {
      decoded[index] = this.readCandle(this.uoffsetTarget(vector + 4 + 4 * index), context, legacyFileBins);
    }
    return decoded;
  }

  private bind(bytes: Uint8Array): void {
    if (bytes.byteLength < 12)
      throw new FlatBufferCorruptError(`FlatBuffer too short: ${bytes.byteLength} bytes`);
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private at(slot: number): number {
    return slot < this.vtSize ? this.view.getUint16(this.vt + slot, true) : 0;
  }

  private float(slot: number): number {
    const offset = this.at(slot);
    return offset === 0 ? 0 : this.view.getFloat64(this.table + offset, true);
  }

  private long(slot: number, name: string): number {
    const offset = this.at(slot);
    return offset === 0 ? 0 : this.readInt64(this.table + offset, name);
  }

  /** An int64 whose exact value may sit in its companion double (schemas/candle.fbs, `cf`). */
  private exactLong(exact: number, slot: number, exactSlot: number, bit: number, name: string): number {
    return exact & bit ? this.float(exactSlot) : this.long(slot, name);
  }

  private text(
    slot: number,
    field: LegacyDefaultedField,
    fallback: string,
    defaulted: LegacyDefaultedField[],
  ): string {
    const offset = this.at(slot);
    if (offset !== 0) return this.readString(this.table + offset);
    defaulted.push(field);
    return fallback;
  }

  private readCandle(
    table: number,
    context: LegacyCandleContext = {},
    legacyFileBins = false,
  ): DecodedCandle {
    const view = this.view;
    const vt = this.vtableOf(table);
    const vtSize = view.getUint16(vt, true);
    this.check(vt + vtSize, 'Candle vtable');
    this.table = table;
    this.vt = vt;
    this.vtSize = vtSize;
    const cfOffset = this.at(S.cf);
    const exact = cfOffset === 0 ? 0 : view.getUint8(table + cfOffset);
    const fvOffset = this.at(S.fv);
    const legacy = fvOffset === 0 || view.getUint8(table + fvOffset) === 0;
    const defaulted: LegacyDefaultedField[] = [];
    const e = this.text(S.e, 'e', CANDLE_DEFAULTS.e, defaulted);
    const tz = this.text(S.tz, 'tz', CANDLE_DEFAULTS.tz, defaulted);
    const ex = this.text(S.ex, 'ex', context.exchange ?? '', defaulted);
    const a = this.text(S.a, 'a', CANDLE_DEFAULTS.a, defaulted);
    const s = this.text(S.s, 's', context.symbol ?? '', defaulted);
    const i = this.text(S.i, 'i', context.timeframe ?? '', defaulted);
    let vi = this.exactLong(exact, S.vi, S.vid, EXACT_INT64.vi, 'vi');
    if (legacy && this.at(S.vi) === 0) {
      defaulted.push('vi');
      vi = isTimeframeName(i) ? TIMEFRAME_DURATION_MS[i] / 1000 : 0;
    }
    const xOffset = this.at(S.x);
    let x = xOffset !== 0 && view.getUint8(table + xOffset) !== 0;
    if (legacy && xOffset === 0) {
      defaulted.push('x');
      x = CANDLE_DEFAULTS.x;
    }
    // Read every scalar before the bins: readBins does not touch table/vt, but keep the order obvious.
    const t = this.long(S.t, 't');
    const o = this.float(S.o);
    const h = this.float(S.h);
    const l = this.float(S.l);
    const c = this.float(S.c);
    const ct = this.exactLong(exact, S.ct, S.ctd, EXACT_INT64.ct, 'ct');
    const v = this.float(S.v);
    const bv = this.float(S.bv);
    const sv = this.float(S.sv);
    const q = this.float(S.q);
    const bq = this.float(S.bq);
    const sq = this.float(S.sq);
    const n = this.exactLong(exact, S.n, S.nd, EXACT_INT64.n, 'n');
    const d = this.float(S.d);
    const dMax = this.float(S.dMax);
    const dMin = this.float(S.dMin);
    const tv = this.float(S.tv);
    const f = this.float(S.f);
    const ls = this.float(S.ls);
    const aggsOffset = this.at(S.aggs);
    const aggs =
      aggsOffset === 0
        ? []
        : this.readBins(this.uoffsetTarget(table + aggsOffset), legacy, legacyFileBins, defaulted);
    const candle: FootprintCandleDTO = {
      e,
      tz,
      ex,
      a,
      s,
      i,
      vi,
      t,
      o,
      h,
      l,
      c,
      ct,
      v,
      bv,
      sv,
      q,
      bq,
      sq,
      n,
      d,
      dMax,
      dMin,
      tv,
      aggs,
      f,
      ls,
      x,
    };
    return { candle, defaulted };
  }

  private readBins(
    vector: number,
    legacy: boolean,
    legacyFileBins: boolean,
    defaulted: LegacyDefaultedField[],
  ): PriceBinDTO[] {
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
        tp = vtableEntry(view, vt, vtSize, AGGS_FIELD.tp);
        v = vtableEntry(view, vt, vtSize, AGGS_FIELD.v);
        bv = vtableEntry(view, vt, vtSize, AGGS_FIELD.bv);
        sv = vtableEntry(view, vt, vtSize, AGGS_FIELD.sv);
        bq = vtableEntry(view, vt, vtSize, AGGS_FIELD.bq);
        sq = vtableEntry(view, vt, vtSize, AGGS_FIELD.sq);
        q = vtableEntry(view, vt, vtSize, AGGS_FIELD.q);
        pf = vtableEntry(view, vt, vtSize, AGGS_FIELD.pf);
        cachedVtable = vt;
      }
      const binTp = tp === 0 ? 0 : view.getFloat64(table + tp, true);
      const binBv = bv === 0 ? 0 : view.getFloat64(table + bv, true);
      const binSv = sv === 0 ? 0 : view.getFloat64(table + sv, true);
      const binV = v === 0 ? 0 : view.getFloat64(table + v, true);
      const presence = legacy || pf === 0 ? 0 : view.getUint8(table + pf);
      let bin: PriceBinDTO;
      if (presence === ALL_BIN_FIELDS) {
        // The common case, built whole: one hidden class, no property-store growth. Constructors,
        // not literals: see plainObjects.ts (V8 pretenuring).
        bin = new PlainFullBin(
          binTp,
          binBv,
          binSv,
          binV,
          bq === 0 ? 0 : view.getFloat64(table + bq, true),
          sq === 0 ? 0 : view.getFloat64(table + sq, true),
          q === 0 ? 0 : view.getFloat64(table + q, true),
        );
      } else {
        bin = new PlainBin(binTp, binBv, binSv, binV);
        if (legacy && legacyFileBins) {
          // The original file writer's placeholder zeros are not volumes.
          missingBq = true;
          missingSq = true;
        } else if (legacy) {
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

/** Offset of a field inside its table (0 = absent) from the table's vtable. */
function vtableEntry(view: DataView, vt: number, vtSize: number, fieldId: number): number {
  const slot = slotOf(fieldId);
  return slot < vtSize ? view.getUint16(vt + slot, true) : 0;
}
