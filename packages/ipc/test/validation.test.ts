import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queueMessageSchema, validateQueueMessage } from '../src/features/sqlite-queue/index';

describe('validateQueueMessage', () => {
  it('accepts exactly what the zod schema accepts (fast path agrees with the schema)', () => {
    const field = fc.oneof(
      fc.string(),
      fc.constant(''),
      fc.double(),
      fc.integer(),
      fc.constant(undefined),
      fc.constant(null),
      fc.constant(Number.NaN),
      fc.constant(Number.POSITIVE_INFINITY),
      fc.object(),
    );
    fc.assert(
      fc.property(
        fc.record({ id: field, type: field, payload: field, timestamp: field }, { requiredKeys: [] }),
        (candidate) => {
          const zodOk = queueMessageSchema.safeParse(candidate).success;
          let ok = true;
          try {
            validateQueueMessage(candidate);
          } catch {
            ok = false;
          }
          expect(ok).toBe(zodOk);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
