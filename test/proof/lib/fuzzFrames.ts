import fc from 'fast-check';
import { frame } from '../../../scripts/lib/rawConnection';

/** The reply code each generated frame must get (docs/ipc-protocol.md §5, docs/persistence.md §3.1). */
export type ExpectedCode =
  | 'FLOWTRACE_INVALID_JSON'
  | 'FLOWTRACE_INVALID_ENVELOPE'
  | 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE'
  | 'FLOWTRACE_CANDLE_REJECTED';

export interface FuzzFrame {
  bytes: Buffer;
  expected: ExpectedCode;
}

const id = fc.string({ minLength: 1, maxLength: 12 });
const timestamp = fc.integer({ min: 1, max: 2 ** 42 });
const smallPayload = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 }), fc.boolean());

/** Valid envelopes of a type the daemon does not handle. */
const unknownType = fc
  .record({
    id,
    type: fc.string({ minLength: 1, maxLength: 10 }).map((t) => `fuzz:${t}`),
    payload: smallPayload,
    timestamp,
  })
  .map((e): FuzzFrame => ({ bytes: frame(JSON.stringify(e)), expected: 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE' }));

/** Valid envelopes carrying tiny candle-ish payloads: always missing required fields. */
const candleIsh = fc
  .record({
    id,
    type: fc.constantFrom('candle', 'candle:complete'),
    payload: fc.record(
      {
        ex: fc.constantFrom('binance', '../x', ''),
        s: fc.string({ maxLength: 6 }),
        t: fc.integer(),
        v: fc.double(),
      },
      { requiredKeys: [] },
    ),
    timestamp,
  })
  .map((e): FuzzFrame => ({ bytes: frame(JSON.stringify(e)), expected: 'FLOWTRACE_CANDLE_REJECTED' }));

/** Bodies that are not JSON at all (truncated envelopes, random text, empty). */
const invalidJson = fc
  .oneof(
    fc.string({ maxLength: 40 }).map((tail) => `{"id":"x","type":${tail}`),
    fc.string({ maxLength: 40 }).map((text) => `not json ${text}`),
    fc.constant(''),
  )
  .filter((body) => {
    try {
      JSON.parse(body);
      return false;
    } catch {
      return true;
    }
  })
  .map((body): FuzzFrame => ({ bytes: frame(body), expected: 'FLOWTRACE_INVALID_JSON' }));

/** JSON that is not a request envelope: wrong types, missing keys, non-objects. */
const wrongTypes = fc
  .oneof(
    fc.record({ id: fc.integer(), type: fc.constant('candle'), payload: smallPayload, timestamp }),
    fc.record({ id, type: fc.constant(''), payload: smallPayload, timestamp }),
    fc.record({ id, type: fc.integer(), payload: smallPayload, timestamp }),
    fc.record({ id, type: fc.constant('candle'), payload: smallPayload, timestamp: fc.integer({ max: 0 }) }),
    fc.record({ id, type: fc.constant('candle'), payload: smallPayload, timestamp: fc.string() }),
    fc.record({ id, type: fc.constant('candle'), timestamp }),
    fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 10 }),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 4 }),
    ),
  )
  .map(
    (value): FuzzFrame => ({ bytes: frame(JSON.stringify(value)), expected: 'FLOWTRACE_INVALID_ENVELOPE' }),
  );

/** A pool of distinct generated frames; the fuzz replays it (cheap enough for a million frames). */
export function fuzzPool(size: number, seed: number): FuzzFrame[] {
  const arbitrary = fc.oneof(
    { weight: 60, arbitrary: unknownType },
    { weight: 2, arbitrary: candleIsh },
    { weight: 19, arbitrary: invalidJson },
    { weight: 19, arbitrary: wrongTypes },
  );
  return fc.sample(arbitrary, { numRuns: size, seed });
}
