import { FlatBufferUnsafeIntegerError } from './FlatBufferErrors';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** int64 read from a FlatBuffer → number, refusing values a double cannot hold exactly. */
export function int64ToSafeNumber(value: bigint, field: string): number {
  if (value > MAX_SAFE || value < MIN_SAFE) {
    throw new FlatBufferUnsafeIntegerError(
      `FlatBuffer field "${field}" holds ${value}, beyond Number.MAX_SAFE_INTEGER: refusing to lose precision`,
    );
  }
  return Number(value);
}
