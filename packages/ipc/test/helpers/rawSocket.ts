import { connect, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/features/unix-socket/domain/FrameDecoder';

/** A bare socket that collects decoded response frames, to test the server byte by byte. */
export interface RawPeer {
  socket: Socket;
  responses: unknown[];
  closed: Promise<void>;
  waitForResponses(count: number, timeoutMs?: number): Promise<unknown[]>;
}

export function openRawPeer(socketPath: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const responses: unknown[] = [];
    const decoder = new FrameDecoder(16 * 1024 * 1024);
    let waiters: Array<() => void> = [];
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (body) => responses.push(JSON.parse(body.toString('utf8'))));
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      socket.on('error', () => undefined);
      resolve({
        socket,
        responses,
        closed,
        async waitForResponses(count, timeoutMs = 5_000) {
          const deadline = Date.now() + timeoutMs;
          while (responses.length < count) {
            if (Date.now() > deadline) throw new Error(`got ${responses.length}/${count} responses`);
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
          return responses;
        },
      });
    });
  });
}
