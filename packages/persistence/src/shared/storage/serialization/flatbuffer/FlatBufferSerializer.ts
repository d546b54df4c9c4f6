import type { FootprintCandleDTO } from '@flowtrace/core';
import type { DecodedCandle, LegacyCandleContext } from '../../CandleTransformer';
import { FlatBufferCorruptError, FlatBufferSerializationError } from './FlatBufferErrors';
import { FlatCandleReader } from './FlatCandleReader';
import { FlatCandleWriter } from './FlatCandleWriter';

/**
 * DTO ↔ standard FlatBuffer bytes of schemas/candle.fbs: one root `Candle`
 * (no file identifier, no size prefix) or one root `CandleBatch`.
 *
 * Encoding is deterministic (same DTO → same bytes), which lets storage detect
 * an identical re-save by comparing bytes. Every field is written, defaults
 * included, so 0, -0 and absent-vs-zero bin fields round-trip exactly.
 * Decoding accepts any conforming writer's bytes (legacy blobs included).
 * One instance is not re-entrant (reusable buffers); each storage owns its own.
 */
export class FlatBufferSerializer {
  private readonly writer = new FlatCandleWriter();
  private readonly reader = new FlatCandleReader();

  /** One candle → bytes of a root `Candle` (a copy the caller owns). */
  serialize(candle: FootprintCandleDTO): Uint8Array {
    return this.writer.encodeCandle(candle);
  }

  /** Like serialize, but a view into a reused buffer: valid only until the next call. */
  serializeTransient(candle: FootprintCandleDTO): Uint8Array {
    return this.writer.encodeCandleTransient(candle);
  }

  /** Candles (kept in the given order) → bytes of a root `CandleBatch`. */
  serializeBatch(candles: readonly FootprintCandleDTO[]): Uint8Array {
    return this.writer.encodeBatch(candles);
  }

  deserialize(bytes: Uint8Array, context?: LegacyCandleContext): FootprintCandleDTO {
    return this.deserializeWithReport(bytes, context).candle;
  }

  /** Decodes a root `Candle`, also naming the legacy fields that had to be defaulted. */
  deserializeWithReport(bytes: Uint8Array, context?: LegacyCandleContext): DecodedCandle {
    // try/catch inline rather than a helper taking a closure: this is the hot read path.
    try {
      return this.reader.decodeCandle(bytes, context);
    } catch (error) {
      throw asDecodeError('Candle', error);
    }
  }

  deserializeBatch(bytes: Uint8Array, context?: LegacyCandleContext): FootprintCandleDTO[] {
    return this.deserializeBatchWithReport(bytes, context).map((decoded) => decoded.candle);
  }

  /**
   * Decodes a root `CandleBatch`. With `legacyFile` (the payload of an original
   * `.ftcd` file) the per-bin `bq`/`sq` of legacy candles are left out and
   * reported even when present: that writer stored a placeholder 0 there.
   */
  deserializeBatchWithReport(
    bytes: Uint8Array,
    context?: LegacyCandleContext,
    options?: { legacyFile?: boolean },
  ): DecodedCandle[] {
    try {
      return this.reader.decodeBatch(bytes, context, options?.legacyFile === true);
    } catch (error) {
      throw asDecodeError('CandleBatch', error);
    }
  }
}

/** Out-of-range reads inside a malformed buffer surface as a typed error, not a RangeError. */
function asDecodeError(table: string, error: unknown): FlatBufferSerializationError {
  if (error instanceof FlatBufferSerializationError) return error;
  return new FlatBufferCorruptError(`Malformed FlatBuffer ${table}: ${(error as Error).message}`, {
    cause: error,
  });
}
