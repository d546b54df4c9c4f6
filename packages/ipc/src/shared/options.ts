import type { z } from 'zod';
import { InvalidOptionsError } from './errors';

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
