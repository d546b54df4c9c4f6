import { ByteBuffer } from 'flatbuffers';
import { FlatBufferCorruptError } from './FlatBufferErrors';
import { Candle } from './generated/flow-trace/flat-buffers/candle';

/**
 * Zero-copy access to a FlatBuffer `Candle` (e.g. a blob from
 * `findBlobsBySymbol`): the generated accessor reads each field from the bytes
 * when asked, nothing is decoded up front. Pass `reuse` to avoid allocating an
 * accessor per blob. int64 fields come back as bigint; `fv`/`pf`/`cf` are as
 * described in docs/formats/sqlite-flatbuffers.md (use CandleTransformer or
 * FlatBufferSerializer for exact DTOs).
 */
export function readCandleInPlace(bytes: Uint8Array, reuse?: Candle): Candle {
  if (bytes.byteLength < 12)
    throw new FlatBufferCorruptError(`FlatBuffer too short: ${bytes.byteLength} bytes`);
  return Candle.getRootAsCandle(new ByteBuffer(bytes), reuse);
}
