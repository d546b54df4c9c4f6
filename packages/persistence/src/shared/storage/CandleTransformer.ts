import {
  CANDLE_DEFAULTS,
  type FootprintCandleDTO,
  isTimeframeName,
  type PriceBinDTO,
  TIMEFRAME_DURATION_MS,
} from '@flowtrace/core';
import { Aggs } from './serialization/flatbuffer/generated/flow-trace/flat-buffers/aggs';
import type { Candle } from './serialization/flatbuffer/generated/flow-trace/flat-buffers/candle';
import { int64ToSafeNumber } from './serialization/flatbuffer/int64';

/**
 * Encoding version FlowTrace writes in `Candle.fv` (field id 32). Blobs without
 * it (0) come from another writer, e.g. the original platform, and decode with
 * the legacy defaults below.
 */
export const FLOWTRACE_FLATBUFFER_ENCODING_VERSION = 1;

/** `Aggs.pf` bits: which optional bin fields the DTO had. */
export const BIN_PRESENCE = Object.freeze({ bq: 1, sq: 2, q: 4 });

/**
 * What a legacy blob (no `fv`) gets when a field is absent, and is then named in
 * the decode report. Absent optional bin fields are left out of the DTO rather
 * than invented (the original writer stored per-bin bq/sq as 0, i.e. absent).
 */
export const LEGACY_DEFAULTS = Object.freeze({
  e: `"${CANDLE_DEFAULTS.e}"`,
  tz: `"${CANDLE_DEFAULTS.tz}"`,
  a: '"" (empty)',
  ex: 'the exchange of the row/file it was read from',
  s: 'the symbol of the row/file it was read from',
  i: 'the timeframe of the row/file it was read from',
  vi: 'the timeframe duration in seconds (from i)',
  x: `${CANDLE_DEFAULTS.x} (only complete candles were persisted)`,
  'aggs[].bq': 'left out of the bin',
  'aggs[].sq': 'left out of the bin',
  'aggs[].q': 'left out of the bin',
});
export type LegacyDefaultedField = keyof typeof LEGACY_DEFAULTS;

/** Where a legacy candle was read from: fills key fields the blob lacks. */
export interface LegacyCandleContext {
  exchange?: string;
  symbol?: string;
  timeframe?: string;
}

export interface DecodedCandle {
  candle: FootprintCandleDTO;
  /** Legacy fields that were absent and received a default (empty for FlowTrace blobs). */
  defaulted: LegacyDefaultedField[];
}

// vtable slot (byte offset in the vtable) of a field id: 4 + 2 * id.
const SLOT_VI = 4 + 2 * 9;
const SLOT_X = 4 + 2 * 30;
const SLOT_FV = 4 + 2 * 32;
const SLOT_BQ = 4 + 2 * 4;
const SLOT_SQ = 4 + 2 * 5;

/** `Candle.cf` bits (schemas/candle.fbs): the companion double holds the exact value. */
const EXACT_VI = 1;
const EXACT_CT = 2;
const EXACT_N = 4;

/**
 * Converts between the DTO and its other forms: a zero-copy FlatBuffer `Candle`
 * accessor (generated code) → DTO with the legacy defaults report, and the
 * plain wire object. (Bytes ↔ DTO in bulk: FlatBufferSerializer.)
 */
export class CandleTransformer {
  private readonly binReader = new Aggs();

  /** Reads one `Candle` table into a fresh DTO, applying (and reporting) legacy defaults when needed. */
  readCandle(table: Candle, context: LegacyCandleContext = {}): DecodedCandle {
    const bb = table.bb;
    if (!bb) throw new TypeError('Candle accessor is not bound to a buffer');
    const legacy = bb.__offset(table.bb_pos, SLOT_FV) === 0 || table.fv() === 0;
    const defaulted: LegacyDefaultedField[] = [];
    const stringOr = (value: string | null, field: LegacyDefaultedField, fallback: string): string => {
      if (value !== null) return value;
      defaulted.push(field);
      return fallback;
    };
    const e = stringOr(table.e(), 'e', CANDLE_DEFAULTS.e);
    const tz = stringOr(table.tz(), 'tz', CANDLE_DEFAULTS.tz);
    const ex = stringOr(table.ex(), 'ex', context.exchange ?? '');
    const a = stringOr(table.a(), 'a', CANDLE_DEFAULTS.a);
    const s = stringOr(table.s(), 's', context.symbol ?? '');
    const i = stringOr(table.i(), 'i', context.timeframe ?? '');
    const exact = table.cf();
    let vi = exact & EXACT_VI ? table.vid() : int64ToSafeNumber(table.vi(), 'vi');
    if (legacy && bb.__offset(table.bb_pos, SLOT_VI) === 0) {
      defaulted.push('vi');
      vi = isTimeframeName(i) ? TIMEFRAME_DURATION_MS[i] / 1000 : 0;
    }
    let x = table.x();
    if (legacy && bb.__offset(table.bb_pos, SLOT_X) === 0) {
      defaulted.push('x');
      x = CANDLE_DEFAULTS.x;
    }
    const aggs = legacy ? this.readLegacyBins(table, defaulted) : this.readBins(table);
    const candle: FootprintCandleDTO = {
      e,
      tz,
      ex,
      a,
      s,
      i,
      vi,
      t: int64ToSafeNumber(table.t(), 't'),
      o: table.o(),
      h: table.h(),
      l: table.l(),
      c: table.c(),
      ct: exact & EXACT_CT ? table.ctd() : int64ToSafeNumber(table.ct(), 'ct'),
      v: table.v(),
      bv: table.bv(),
      sv: table.sv(),
      q: table.q(),
      bq: table.bq(),
      sq: table.sq(),
      n: exact & EXACT_N ? table.nd() : int64ToSafeNumber(table.n(), 'n'),
      d: table.d(),
      dMax: table.dMax(),
      dMin: table.dMin(),
      tv: table.tv(),
      aggs,
      f: table.f(),
      ls: table.ls(),
      x,
    };
    return { candle, defaulted };
  }

  private readBins(table: Candle): PriceBinDTO[] {
    const count = table.aggsLength();
    const bins = new Array<PriceBinDTO>(count);
    const reader = this.binReader;
    for (let index = 0; index < count; index++) {
      table.aggs(index, reader);
      const bin: PriceBinDTO = { tp: reader.tp(), bv: reader.bv(), sv: reader.sv(), v: reader.v() };
      const presence = reader.pf();
      if (presence & BIN_PRESENCE.bq) bin.bq = reader.bq();
      if (presence & BIN_PRESENCE.sq) bin.sq = reader.sq();
      if (presence & BIN_PRESENCE.q) bin.q = reader.q();
      bins[index] = bin;
    }
    return bins;
  }

  private readLegacyBins(table: Candle, defaulted: LegacyDefaultedField[]): PriceBinDTO[] {
    const count = table.aggsLength();
    const bins = new Array<PriceBinDTO>(count);
    const reader = this.binReader;
    let missingBq = false;
    let missingSq = false;
    for (let index = 0; index < count; index++) {
      table.aggs(index, reader);
      const bb = reader.bb;
      const bin: PriceBinDTO = { tp: reader.tp(), bv: reader.bv(), sv: reader.sv(), v: reader.v() };
      if (bb && bb.__offset(reader.bb_pos, SLOT_BQ) !== 0) bin.bq = reader.bq();
      else missingBq = true;
      if (bb && bb.__offset(reader.bb_pos, SLOT_SQ) !== 0) bin.sq = reader.sq();
      else missingSq = true;
      bins[index] = bin;
    }
    if (missingBq) defaulted.push('aggs[].bq');
    if (missingSq) defaulted.push('aggs[].sq');
    if (count > 0) defaulted.push('aggs[].q');
    return bins;
  }

  /** The wire/JSON object form: fields in the original platform's order, absent optional bin fields left out. */
  toWireObject(dto: FootprintCandleDTO): FootprintCandleDTO {
    return {
      e: dto.e,
      tz: dto.tz,
      ex: dto.ex,
      a: dto.a,
      s: dto.s,
      i: dto.i,
      vi: dto.vi,
      t: dto.t,
      o: dto.o,
      h: dto.h,
      l: dto.l,
      c: dto.c,
      ct: dto.ct,
      v: dto.v,
      bv: dto.bv,
      sv: dto.sv,
      q: dto.q,
      bq: dto.bq,
      sq: dto.sq,
      n: dto.n,
      d: dto.d,
      dMax: dto.dMax,
      dMin: dto.dMin,
      tv: dto.tv,
      aggs: dto.aggs.map((bin) => {
        const copy: PriceBinDTO = { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v };
        if (bin.bq !== undefined) copy.bq = bin.bq;
        if (bin.sq !== undefined) copy.sq = bin.sq;
        if (bin.q !== undefined) copy.q = bin.q;
        return copy;
      }),
      f: dto.f,
      ls: dto.ls,
      x: dto.x,
    };
  }
}
