import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError, frameBytes } from '../src/features/unix-socket/index';

function decodeChunks(decoder: FrameDecoder, chunks: readonly Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) decoder.push(chunk, (body) => out.push(Buffer.from(body)));
  return out;
}

function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

const bodies = [
  Buffer.from(JSON.stringify({ id: 'a', type: 't', payload: { p: 'é€😀' }, timestamp: 1 })),
  Buffer.alloc(0),
  Buffer.from('x'),
  Buffer.alloc(300, 7),
];
const stream = Buffer.concat(bodies.map((b) => frameBytes(b)));

describe('FrameDecoder', () => {
  it('delivers the same frames when the stream is split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = decodeChunks(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(got).toEqual(bodies);
    }
  });

  it('delivers the same frames fed one byte at a time and all coalesced in one chunk', () => {
    const single = Array.from(stream, (b) => Buffer.from([b]));
    expect(decodeChunks(new FrameDecoder(), single)).toEqual(bodies);
    expect(decodeChunks(new FrameDecoder(), [stream])).toEqual(bodies);
  });

  it('refuses a 0xFFFFFFFF length prefix without allocating, and stays failed', () => {
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    const ok = frameBytes(Buffer.from('{}'));
    expect(() =>
      decoder.push(Buffer.concat([ok, Buffer.from([0xff, 0xff, 0xff, 0xff, 1])]), (b) => frames.push(b)),
    ).toThrow(FrameTooLargeError);
    expect(frames).toHaveLength(1); // the frame before the bad prefix was delivered
    expect(decoder.allocatedBodyBytes).toBe(0);
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.push(ok, () => undefined)).toThrow(FrameTooLargeError);
    try {
      new FrameDecoder(1024).push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => undefined);
    } catch (error) {
      expect(error).toMatchObject({
        declaredBytes: 0xffffffff,
        maxFrameBytes: 1024,
        code: 'FLOWTRACE_FRAME_TOO_LARGE',
      });
    }
  });

  it('accepts a frame of exactly maxFrameBytes and refuses one byte more', () => {
    expect(decodeChunks(new FrameDecoder(10), [frameBytes(Buffer.alloc(10))])).toHaveLength(1);
    expect(() => decodeChunks(new FrameDecoder(10), [frameBytes(Buffer.alloc(11))])).toThrow(
      FrameTooLargeError,
    );
  });

  it('fuzz: 100k valid streams cut at random points deliver every frame, in order', () => {
    const max = 64;
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: max }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map((f) => frameBytes(f)));
          const got = decodeChunks(new FrameDecoder(max), splitAt(bytes, cuts));
          if (got.length !== frames.length)
            throw new Error(`${got.length} frames, expected ${frames.length}`);
          frames.forEach((f, i) => {
            if (!got[i]?.equals(f)) throw new Error(`frame ${i} differs`);
          });
        },
      ),
      { numRuns: 100_000 },
    );
  });

  it('fuzz: 100k random byte streams never crash, never allocate beyond the limit, deliver valid prefixes', () => {
    const max = 48;
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: max }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 96 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (validFrames, garbage, cuts) => {
          const prefix = Buffer.concat(validFrames.map((f) => frameBytes(f)));
          const bytes = Buffer.concat([prefix, garbage]);
          const decoder = new FrameDecoder(max);
          const got: Buffer[] = [];
          for (const chunk of splitAt(bytes, cuts)) {
            try {
              decoder.push(chunk, (body) => {
                if (body.length > max) throw new Error(`delivered ${body.length} > ${max}`);
                got.push(Buffer.from(body));
              });
            } catch (error) {
              if (!(error instanceof FrameTooLargeError)) throw error;
              break;
            }
            if (decoder.allocatedBodyBytes > max || decoder.bufferedBytes > max + 4) {
              throw new Error(
                `holds ${decoder.allocatedBodyBytes}/${decoder.bufferedBytes} bytes, limit ${max}`,
              );
            }
          }
          // Every valid frame before the garbage is delivered, unchanged and in order.
          for (let i = 0; i < validFrames.length; i++) {
            if (!got[i]?.equals(validFrames[i] as Uint8Array))
              throw new Error(`valid frame ${i} not delivered intact`);
          }
        },
      ),
      { numRuns: 100_000 },
    );
  });
});
