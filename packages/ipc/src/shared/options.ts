import type { z } from 'zod';
import { InvalidOptionsError } from './errors';

/**
 * Longest delay setTimeout takes (2^31 − 1 ms, about 24.8 days): Node runs a
 * longer one after 1 ms instead (TimeoutOverflowWarning), so a timeout above
 * it would expire at once rather than late.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Validates options once at the boundary and freezes the result. */
export function parseOptions<T extends z.ZodType>(
  what: string,
  schema: T,
  input: unknown,
): Readonly<z.output<T>> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new InvalidOptionsError(
      what,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return Object.freeze(result.data) as Readonly<z.output<T>>;
}
