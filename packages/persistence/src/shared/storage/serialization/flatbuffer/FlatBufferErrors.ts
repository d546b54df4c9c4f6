import { FlowTracePersistenceError } from '../../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

/** Base of every FlatBuffer encoding/decoding failure; `code` is stable, match on it. Retrying never helps. */
export abstract class FlatBufferSerializationError extends FlowTracePersistenceError {
  readonly retryable = false;
}

/** A DTO value cannot be stored without losing information (e.g. a non-integer open time). */
export class FlatBufferUnencodableCandleError extends FlatBufferSerializationError {
  readonly code = 'FLOWTRACE_FLATBUFFER_UNENCODABLE';
}

/**
 * An int64 field holds a value a JS number cannot represent exactly
 * (beyond Number.MAX_SAFE_INTEGER): refusing beats silently rounding a time.
 */
export class FlatBufferUnsafeIntegerError extends FlatBufferSerializationError {
  readonly code = 'FLOWTRACE_FLATBUFFER_UNSAFE_INT64';
}

/** The bytes are not a well-formed FlatBuffer of the expected table. */
export class FlatBufferCorruptError extends FlatBufferSerializationError {
  readonly code = 'FLOWTRACE_FLATBUFFER_CORRUPT';
}

/** A legacy `.ftcd` file does not have the `FBCD` header or its declared length. */
export class LegacyFtcdFormatError extends FlatBufferSerializationError {
  readonly code = 'FLOWTRACE_LEGACY_FTCD_FORMAT';
}
