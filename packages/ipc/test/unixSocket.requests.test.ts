import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DisconnectedError,
  encodeFrame,
  FrameDecoder,
  frameBytes,
  InvalidEnvelopeError,
  InvalidOptionsError,
  IpcErrorCode,
  NotConnectedError,
  RequestTimeoutError,
  ResponseWithoutIdError,
  UnixSocketClient,
  UnixSocketServer,
} from '../src/features/unix-socket/index';
import { openRawPeer } from './helpers/rawSocket';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let socketPath: string;
const toClose: Array<() => Promise<void>> = [];

beforeEach(() => {
  tmp = makeTempDir();
  socketPath = join(tmp.dir, 'ft.sock');
});
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
  tmp.cleanup();
});

async function startServer(config: Partial<ConstructorParameters<typeof UnixSocketServer>[0]> = {}) {
  const server = new UnixSocketServer({ socketPath, ...config });
  toClose.push(() => server.stop());
  await server.start();
  return server;
}

async function startClient(config: Partial<ConstructorParameters<typeof UnixSocketClient>[0]> = {}) {
  const client = new UnixSocketClient({ socketPath, autoReconnect: false, ...config });
  toClose.push(() => client.disconnect());
  await client.connect();
  return client;
}

describe('UnixSocketServer + UnixSocketClient requests', () => {
  it('answers a request with the handler result under the same id', async () => {
    const server = await startServer();
    server.setRequestHandler(async (message, context) => ({
      echo: message.payload,
      conn: context.connectionId,
    }));
    const client = await startClient();
    const response = await client.request({ id: 'a1', type: 'candle', payload: { x: 1 } });
    expect(response).toEqual({ id: 'a1', success: true, data: { echo: { x: 1 }, conn: 1 } });
  });

  it('pipelines many requests on one connection and matches responses by id', async () => {
    const server = await startServer();
    server.setRequestHandler(async (message) => {
      const n = (message.payload as { n: number }).n;
      await new Promise((r) => setTimeout(r, (n * 7) % 5)); // complete out of order
      return n * 2;
    });
    const client = await startClient();
    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, n) => client.request({ type: 't', payload: { n } })),
    );
    expect(replies.map((r) => r.data)).toEqual(Array.from({ length: 500 }, (_, n) => n * 2));
    expect(server.stats().framesReceived).toBe(500);
  });

  it('turns a thrown error into success:false with code and retryable from the error', async () => {
    const server = await startServer();
    server.setRequestHandler((message) => {
      if (message.type === 'bad')
        throw Object.assign(new Error('nope'), { code: 'X_INVALID', retryable: false });
      if (message.type === 'partial')
        throw Object.assign(new Error('1 of 2 not saved'), {
          code: 'X_PARTIAL',
          responseData: { saved: [0] },
        });
      throw new Error('db down');
    });
    const client = await startClient();
    expect(await client.request({ id: 'b', type: 'bad', payload: null })).toEqual({
      id: 'b',
      success: false,
      error: 'nope',
      code: 'X_INVALID',
      retryable: false,
    });
    expect(await client.request({ id: 'c', type: 'other', payload: null })).toEqual({
      id: 'c',
      success: false,
      error: 'db down',
      code: IpcErrorCode.HandlerFailed,
      retryable: true,
    });
    // An error's `responseData` becomes the failure's `data` (per-item outcomes of a batch partly done).
    expect(await client.request({ id: 'p', type: 'partial', payload: null })).toEqual({
      id: 'p',
      success: false,
      error: '1 of 2 not saved',
      code: 'X_PARTIAL',
      retryable: true,
      data: { saved: [0] },
    });
  });

  it('answers with an error instead of crashing when the handler result cannot be encoded', async () => {
    const server = await startServer();
    server.setRequestHandler(() => ({ big: BigInt(1) }));
    const client = await startClient();
    expect(await client.request({ id: 'bi', type: 't', payload: 1 })).toMatchObject({
      id: 'bi',
      success: false,
      code: IpcErrorCode.HandlerFailed,
    });
  });

  it('fire-and-forget send delivers to the message handler and fills id and timestamp', async () => {
    const server = await startServer();
    const seen: unknown[] = [];
    server.setMessageHandler((m) => {
      seen.push(m);
    });
    const client = await startClient();
    await client.send({ type: 'candle:complete', payload: { s: 'LTCUSDT' } });
    await expect.poll(() => seen.length).toBe(1);
    const m = seen[0] as { id: string; timestamp: number; type: string };
    expect(m.id.length).toBeGreaterThan(0);
    expect(m.timestamp).toBeGreaterThan(0);
    expect(m.type).toBe('candle:complete');
  });

  it('answers malformed JSON and invalid envelopes with an error and keeps the connection usable', async () => {
    const server = await startServer();
    server.setRequestHandler(() => 'ok');
    const peer = await openRawPeer(socketPath);
    toClose.push(async () => void peer.socket.destroy());
    peer.socket.write(frameBytes(Buffer.from('{not json')));
    peer.socket.write(encodeFrame({ id: 'e1', type: '', payload: 1, timestamp: 0 }));
    peer.socket.write(encodeFrame({ id: 'ok1', type: 't', payload: 1, timestamp: 1 }));
    const responses = (await peer.waitForResponses(3)) as Array<Record<string, unknown>>;
    expect(responses[0]).toMatchObject({
      id: '',
      success: false,
      code: IpcErrorCode.InvalidJson,
      retryable: false,
    });
    expect(responses[1]).toMatchObject({ id: 'e1', success: false, code: IpcErrorCode.InvalidEnvelope });
    expect(responses[2]).toEqual({ id: 'ok1', success: true, data: 'ok' });
  });

  it('refuses a body that is not valid UTF-8 as invalid JSON instead of handling a mangled message', async () => {
    const server = await startServer();
    const handled: unknown[] = [];
    server.setRequestHandler((message) => {
      handled.push(message.type);
      return 'ok';
    });
    const peer = await openRawPeer(socketPath);
    toClose.push(async () => void peer.socket.destroy());
    const valid = Buffer.from('{"id":"u1","type":"tX","payload":1,"timestamp":1}');
    const invalid = Buffer.from(valid);
    invalid[valid.indexOf('X')] = 0xff; // a lone 0xFF byte can never appear in UTF-8
    peer.socket.write(frameBytes(invalid));
    peer.socket.write(encodeFrame({ id: 'ok1', type: 't', payload: 1, timestamp: 1 }));
    const responses = (await peer.waitForResponses(2)) as Array<Record<string, unknown>>;
    expect(responses[0]).toMatchObject({ success: false, code: IpcErrorCode.InvalidJson, retryable: false });
    expect(String(responses[0]?.error)).toMatch(/UTF-8/);
    expect(responses[1]).toEqual({ id: 'ok1', success: true, data: 'ok' });
    expect(handled).toEqual(['t']);
  });

  it('refuses a 0xFFFFFFFF length prefix with an error response and closes the connection', async () => {
    const server = await startServer();
    server.setRequestHandler(() => 'ok');
    const peer = await openRawPeer(socketPath);
    peer.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await peer.closed;
    expect(peer.responses[0]).toMatchObject({ success: false, code: IpcErrorCode.FrameTooLarge });
    expect(server.stats().protocolErrors).toBe(1);
    // The server is still healthy for others.
    const client = await startClient();
    expect((await client.request({ type: 't', payload: 1 })).success).toBe(true);
  });

  it('enforces a configured maxFrameBytes', async () => {
    const server = await startServer({ maxFrameBytes: 200 });
    server.setRequestHandler(() => 'ok');
    const client = await startClient();
    expect((await client.request({ type: 't', payload: 'x'.repeat(10) })).success).toBe(true);
    await expect(client.request({ type: 't', payload: 'x'.repeat(500) })).rejects.toBeInstanceOf(
      DisconnectedError,
    );
  });

  it('refuses a message over the client maxFrameBytes before sending it; the connection stays usable', async () => {
    const server = await startServer();
    server.setRequestHandler(() => 'ok');
    const client = await startClient({ maxFrameBytes: 200 });
    await expect(client.request({ type: 't', payload: 'x'.repeat(500) })).rejects.toMatchObject({
      code: IpcErrorCode.FrameTooLarge,
    });
    await expect(client.send({ type: 't', payload: 'x'.repeat(70_000) })).rejects.toMatchObject({
      code: IpcErrorCode.FrameTooLarge,
    });
    expect((await client.request({ type: 't', payload: 'small' })).success).toBe(true);
    expect(client.stats().requestsInFlight).toBe(0);
  });

  it('refuses locally, typed, a message JSON cannot carry whole; nothing is sent and the connection stays usable', async () => {
    const server = await startServer();
    let handled = 0;
    server.setRequestHandler(() => {
      handled += 1;
      return 'ok';
    });
    server.setMessageHandler(() => {
      handled += 1;
    });
    const client = await startClient();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [message: unknown, problem: RegExp][] = [
      [{ type: 'candle', payload: undefined }, /payload cannot be sent as JSON \(undefined\)/],
      [{ type: 'candle', payload: () => 1 }, /payload cannot be sent as JSON \(a function\)/],
      [{ type: 'candle', payload: Symbol('s') }, /payload cannot be sent as JSON \(a symbol\)/],
      [{ type: '', payload: 1 }, /type must be a non-empty string/],
      [{ type: 'candle', payload: 1, id: 5 }, /id must be a string when given/],
      [{ type: 'candle', payload: 1, timestamp: -1 }, /timestamp must be a number > 0/],
      [{ type: 'candle', payload: { big: 1n } }, /payload cannot be encoded as JSON: .*BigInt/],
      [{ type: 'candle', payload: cyclic }, /payload cannot be encoded as JSON: .*circular/i],
    ];
    for (const [message, problem] of cases) {
      for (const call of [
        () => client.request(message as Parameters<UnixSocketClient['request']>[0]),
        () => client.send(message as Parameters<UnixSocketClient['send']>[0]),
      ]) {
        let pending: Promise<unknown> | undefined;
        expect(() => {
          pending = call();
        }).not.toThrow();
        await expect(pending).rejects.toMatchObject({ code: IpcErrorCode.InvalidEnvelope, retryable: false });
        await expect(pending).rejects.toThrow(problem);
      }
    }
    expect(client.stats().requestsInFlight).toBe(0);
    expect(await client.request({ id: 'after', type: 't', payload: 'fine' })).toEqual({
      id: 'after',
      success: true,
      data: 'ok',
    });
    expect(handled).toBe(1);
    expect(server.stats().framesReceived).toBe(1);
  });

  it('rejects request() on timeout and when not connected', async () => {
    const server = await startServer({ stopTimeoutMs: 10 });
    server.setRequestHandler(() => new Promise(() => undefined));
    const client = await startClient();
    await expect(client.request({ type: 't', payload: 1 }, { timeoutMs: 50 })).rejects.toBeInstanceOf(
      RequestTimeoutError,
    );
    const offline = new UnixSocketClient({ socketPath: join(tmp.dir, 'none.sock'), autoReconnect: false });
    await expect(offline.request({ type: 't', payload: 1 })).rejects.toBeInstanceOf(NotConnectedError);
    await expect(offline.connect()).rejects.toMatchObject({ code: IpcErrorCode.ConnectFailed });
    await server.stop();
  });

  it('rejects in-flight requests with DisconnectedError when the server goes away', async () => {
    const server = await startServer({ stopTimeoutMs: 10 });
    server.setRequestHandler(() => new Promise(() => undefined));
    const client = await startClient();
    const inFlight = client.request({ type: 't', payload: 1 }, { timeoutMs: 10_000 });
    await expect.poll(() => server.stats().requestsInFlight).toBe(1);
    const rejected = expect(inFlight).rejects.toBeInstanceOf(DisconnectedError);
    await server.stop();
    await rejected;
  });

  it('refuses an explicit empty id locally (InvalidEnvelopeError), nothing sent; an absent or undefined id is still generated', async () => {
    const server = await startServer();
    const seen: string[] = [];
    server.setRequestHandler((message) => {
      seen.push(message.id);
      return 'ok';
    });
    const client = await startClient();
    for (const call of [
      () => client.request({ id: '', type: 't', payload: 1 }),
      () => client.send({ id: '', type: 't', payload: 1 }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidEnvelopeError);
      expect(error).toMatchObject({ code: IpcErrorCode.InvalidEnvelope, retryable: false, requestId: '' });
      expect(String((error as Error).message)).toMatch(/id must be a non-empty string/);
    }
    expect(client.stats()).toMatchObject({ framesSent: 0, requestsInFlight: 0 });
    const generated = await client.request({ type: 't', payload: 1 });
    const explicitUndefined = await client.request({ id: undefined, type: 't', payload: 1 });
    for (const response of [generated, explicitUndefined]) {
      expect(response).toMatchObject({ success: true, data: 'ok' });
      expect(response.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(seen).toEqual([generated.id, explicitUndefined.id]);
  });

  it('refuses a per-request timeoutMs that setTimeout cannot honour with InvalidOptionsError, sending nothing', async () => {
    const server = await startServer();
    server.setRequestHandler(() => 'ok');
    const client = await startClient();
    for (const timeoutMs of [
      -5,
      0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 31,
      '100' as unknown as number,
    ]) {
      const error = await client.request({ type: 't', payload: 1 }, { timeoutMs }).catch((e: unknown) => e);
      expect(error, `timeoutMs ${String(timeoutMs)}`).toBeInstanceOf(InvalidOptionsError);
      expect(error).toMatchObject({ code: 'FLOWTRACE_INVALID_OPTIONS', retryable: false });
      expect(String((error as Error).message)).toContain(`timeoutMs: must be a number of ms > 0`);
    }
    expect(client.stats()).toMatchObject({ framesSent: 0, requestsInFlight: 0 });
    // Also while not connected: the caller's mistake is not hidden behind NotConnectedError.
    const offline = new UnixSocketClient({ socketPath: join(tmp.dir, 'none.sock'), autoReconnect: false });
    await expect(offline.request({ type: 't', payload: 1 }, { timeoutMs: -5 })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    // The bounds themselves are fine.
    for (const timeoutMs of [1_500.5, 2 ** 31 - 1]) {
      expect(await client.request({ type: 't', payload: 1 }, { timeoutMs })).toMatchObject({ success: true });
    }
    // The client's own default is bounded the same way, when constructed.
    for (const option of ['requestTimeoutMs', 'connectTimeout', 'reconnectMaxDelayMs']) {
      expect(() => new UnixSocketClient({ socketPath, [option]: 2 ** 31 })).toThrow(
        expect.objectContaining({
          code: 'FLOWTRACE_INVALID_OPTIONS',
          message: expect.stringContaining(option),
        }),
      );
    }
  });

  it("a request over the server's maxFrameBytes: the server's FRAME_TOO_LARGE reply is the cause of the disconnect, for every request in flight and the event", async () => {
    const server = await startServer({ maxFrameBytes: 200, stopTimeoutMs: 10 });
    server.setRequestHandler((message) => (message.type === 'hang' ? new Promise(() => undefined) : 'ok'));
    const client = await startClient(); // its own limit is the default 1 MiB: it sends the frame
    const events: Array<Error | undefined> = [];
    client.on('disconnected', (error) => events.push(error));
    const hanging = client.request({ id: 'h', type: 'hang', payload: 1 }, { timeoutMs: 10_000 });
    await expect.poll(() => server.stats().requestsInFlight).toBe(1);
    const tooLarge = client.request(
      { id: 'big', type: 't', payload: 'x'.repeat(500) },
      { timeoutMs: 10_000 },
    );
    const errors = await Promise.all([hanging, tooLarge].map((p) => p.catch((e: unknown) => e)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(DisconnectedError);
      expect(error).toMatchObject({ code: IpcErrorCode.Disconnected, retryable: true });
      expect(String((error as Error).message)).toContain(IpcErrorCode.FrameTooLarge);
      const cause = (error as DisconnectedError).cause;
      expect(cause).toBeInstanceOf(ResponseWithoutIdError);
      expect(cause).toMatchObject({
        code: IpcErrorCode.ResponseWithoutId,
        remoteCode: IpcErrorCode.FrameTooLarge,
        retryable: false,
        response: { id: '', success: false, code: IpcErrorCode.FrameTooLarge, retryable: false },
      });
      expect(String((cause as Error).message)).toMatch(/exceeds the maximum of 200 bytes/);
    }
    expect((errors[0] as DisconnectedError).cause).toBe((errors[1] as DisconnectedError).cause);
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toBe((errors[0] as DisconnectedError).cause);
    expect(client.stats()).toMatchObject({
      responsesWithoutId: 1,
      responsesReceived: 1,
      requestsInFlight: 0,
    });
  });

  it('counts responses without id of any kind; the last error one is the cause of a later disconnect', async () => {
    // A non-FlowTrace server: replies without id (an error, a success, another error), then
    // answers one request normally and drops the connection at the next.
    const fakePath = join(tmp.dir, 'fake.sock');
    const sockets = new Set<Socket>();
    const fake = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.write(
        encodeFrame({ id: '', success: false, error: 'first', code: 'X_FIRST', retryable: false }),
      );
      socket.write(encodeFrame({ id: '', success: true }));
      socket.write(encodeFrame({ id: '', success: false, error: 'unreadable' }));
      let requests = 0;
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) =>
        decoder.push(chunk, (body) => {
          requests += 1;
          const { id } = JSON.parse(body.toString('utf8')) as { id: string };
          if (requests === 1) socket.write(encodeFrame({ id, success: true, data: 'ok' }));
          else socket.destroy();
        }),
      );
    });
    await new Promise<void>((resolve) => fake.listen(fakePath, resolve));
    toClose.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    });
    const client = await startClient({ socketPath: fakePath });
    const events: Array<Error | undefined> = [];
    client.on('disconnected', (error) => events.push(error));
    await expect.poll(() => client.stats().responsesWithoutId).toBe(3);
    // The connection stays usable after them.
    expect(await client.request({ id: 'r1', type: 't', payload: 1 })).toEqual({
      id: 'r1',
      success: true,
      data: 'ok',
    });
    const error = await client.request({ id: 'r2', type: 't', payload: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisconnectedError);
    const cause = (error as DisconnectedError).cause;
    expect(cause).toBeInstanceOf(ResponseWithoutIdError);
    // The last error response without id; it has no `retryable`, so retryable as any such response.
    expect(cause).toMatchObject({
      remoteCode: undefined,
      retryable: true,
      response: { id: '', success: false, error: 'unreadable' },
    });
    await expect.poll(() => events.length).toBe(1);
    expect(events[0]).toBe(cause);
    expect(client.stats()).toMatchObject({ responsesWithoutId: 3, responsesReceived: 4 });
  });
});
