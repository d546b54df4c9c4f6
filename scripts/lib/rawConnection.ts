import { createConnection, type Socket } from 'node:net';

/** Encodes one frame: uint32 big-endian body length, then the body. */
export function frame(body: Buffer | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

export interface RawResponse {
  id: string;
  success: boolean;
  code?: string;
  error?: string;
  retryable?: boolean;
  data?: unknown;
}

/**
 * A bare Unix-socket connection speaking the frame format by hand, so tests can
 * send what no well-behaved client would. Responses are decoded as they come.
 */
export class RawConnection {
  readonly socket: Socket;
  readonly responses: RawResponse[] = [];
  readonly closed: Promise<void>;
  readonly connected: Promise<void>;
  closedAt: number | undefined;
  /** The socket error, if any (e.g. EAGAIN when the server's accept backlog is full). */
  error: Error | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  constructor(
    socketPath: string,
    private readonly keepResponses = true,
  ) {
    this.socket = createConnection(socketPath);
    this.socket.on('error', (error) => {
      this.error = error;
    });
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.on('close', () => {
        this.closedAt = performance.now();
        this.wake();
        resolve();
      });
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Responses received, counted even when not kept. */
  count = 0;
  /** Response count per `code` (`ok` for successes). */
  readonly codes = new Map<string, number>();

  write(data: Buffer): Promise<void> {
    if (this.socket.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Resolves when `n` responses arrived (or the connection closed, or the timeout passed). */
  async waitForResponses(n: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.count < n && this.closedAt === undefined && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    while (this.buffered.length - offset >= 4) {
      const length = this.buffered.readUInt32BE(offset);
      if (this.buffered.length - offset - 4 < length) break;
      const body = this.buffered.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      const response = JSON.parse(body.toString('utf8')) as RawResponse;
      this.count++;
      const code = response.success ? 'ok' : (response.code ?? 'none');
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
      if (this.keepResponses) this.responses.push(response);
    }
    this.buffered = this.buffered.subarray(offset);
    this.wake();
  }
}
