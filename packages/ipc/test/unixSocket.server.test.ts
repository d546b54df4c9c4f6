import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameDecoder,
  SocketDirectoryMissingError,
  SocketInUseError,
  SocketPathNotSocketError,
  UnixSocketClient,
  UnixSocketServer,
} from '../src/features/unix-socket/index';
import { openRawPeer } from './helpers/rawSocket';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
let socketPath: string;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  tmp = makeTempDir('ftsrv-');
  socketPath = join(tmp.dir, 's.sock');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  tmp.cleanup();
});

async function startServer(config: Partial<ConstructorParameters<typeof UnixSocketServer>[0]> = {}) {
  const server = new UnixSocketServer({ socketPath, stopTimeoutMs: 100, ...config });
  cleanups.push(() => server.stop());
  await server.start();
  return server;
}

const request = (id: string, payload: unknown = 1) => encodeFrame({ id, type: 't', payload, timestamp: 1 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UnixSocketServer socket file', () => {
  it('creates the socket owner-only (0600) by default and with a configured mode (0660)', async () => {
    const server = await startServer();
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    await server.stop();
    expect(existsSync(socketPath)).toBe(false);
    await startServer({ socketMode: 0o660 });
    expect(statSync(socketPath).mode & 0o777).toBe(0o660);
  });

  it('leaves no private bind directory behind after stop', async () => {
    const server = await startServer();
    await server.stop();
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('replaces a stale socket file left by a server killed with SIGKILL', async () => {
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('L'))`,
    ]);
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(statSync(socketPath).isSocket()).toBe(true);
    const server = await startServer();
    server.setRequestHandler(() => 'fresh');
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    await client.connect();
    expect((await client.request({ type: 't', payload: 1 })).data).toBe('fresh');
    await client.disconnect();
  });

  it('refuses with SocketInUseError when a live server answers on the path', async () => {
    await startServer();
    const second = new UnixSocketServer({ socketPath });
    const error = await second.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketInUseError);
    expect(error).toMatchObject({ code: 'FLOWTRACE_SOCKET_IN_USE' });
    expect(second.isListening()).toBe(false);
  });

  it('refuses with SocketPathNotSocketError when the path is a regular file, leaving it intact', async () => {
    writeFileSync(socketPath, 'precious');
    const error = await new UnixSocketServer({ socketPath }).start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketPathNotSocketError);
    expect(error).toMatchObject({ code: 'FLOWTRACE_SOCKET_PATH_NOT_SOCKET' });
    expect(readFileSync(socketPath, 'utf8')).toBe('precious');
  });

  it('refuses with SocketDirectoryMissingError naming the directory when it does not exist; creates nothing', async () => {
    const directory = join(tmp.dir, 'no', 'such');
    const missing = join(directory, 's.sock');
    const server = new UnixSocketServer({ socketPath: missing, stopTimeoutMs: 100 });
    cleanups.push(() => server.stop());
    const error = await server.start().catch((e: unknown) => e);
    const { message } = error as Error;
    expect(message).toContain(missing);
    // Not the private bind directory the server would have made there (`.-XXXXXX`).
    expect(message).not.toMatch(/\/\.[^/]*-[A-Za-z0-9]{6}/);
    expect(message).toContain(directory);
    expect(error).toMatchObject({
      code: 'FLOWTRACE_SOCKET_DIRECTORY_MISSING',
      retryable: false,
      directory,
      socketPath: missing,
      cause: expect.objectContaining({ code: 'ENOENT' }),
    });
    expect(error).toBeInstanceOf(SocketDirectoryMissingError);
    expect(server.isListening()).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual([]);
    // Once the directory exists, the same server starts.
    mkdirSync(directory, { recursive: true });
    server.setRequestHandler(() => 'ok');
    await server.start();
    const client = new UnixSocketClient({ socketPath: missing, autoReconnect: false });
    await client.connect();
    expect((await client.request({ type: 't', payload: 1 })).data).toBe('ok');
    await client.disconnect();
  });

  it('stop() lets in-flight requests finish and answers them before closing', async () => {
    const server = await startServer({ stopTimeoutMs: 5_000 });
    server.setRequestHandler(async () => {
      await sleep(150);
      return 'finished';
    });
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    cleanups.push(() => client.disconnect());
    await client.connect();
    const inFlight = client.request({ type: 't', payload: 1 });
    await expect.poll(() => server.stats().requestsInFlight).toBe(1);
    const stopping = server.stop();
    const late = await client.request({ id: 'late', type: 't', payload: 2 });
    expect(late).toMatchObject({
      id: 'late',
      success: false,
      code: 'FLOWTRACE_SERVER_STOPPING',
      retryable: true,
    });
    await stopping;
    expect((await inFlight).data).toBe('finished');
    expect(existsSync(socketPath)).toBe(false);
    expect(server.isListening()).toBe(false);
  });
});

describe('UnixSocketServer connections', () => {
  it('1,000 connection attempts against maxConnections=20: excess closed promptly, legit clients served', async () => {
    const server = await startServer({ maxConnections: 20 });
    server.setRequestHandler(() => 'ok');
    let maxSeen = 0;
    const watcher = setInterval(() => {
      maxSeen = Math.max(maxSeen, server.connectionCount);
    }, 1);
    const held: Socket[] = [];
    const outcomes: Array<'pending' | 'closed' | 'error'> = [];
    for (let i = 0; i < 1_000; i++) {
      const socket = connect(socketPath);
      held.push(socket);
      outcomes.push('pending');
      socket.once('error', () => {
        outcomes[i] = 'error';
      });
      socket.once('close', () => {
        if (outcomes[i] === 'pending') outcomes[i] = 'closed';
      });
    }
    const count = (o: string) => outcomes.filter((x) => x === o).length;
    // Every excess attempt is refused (kernel backlog) or closed by the server, promptly.
    await expect.poll(() => count('closed') + count('error'), { timeout: 10_000, interval: 20 }).toBe(980);
    await sleep(100); // nothing else gets closed: the 20 accepted stay open
    const open = count('pending');
    clearInterval(watcher);
    expect(open).toBe(20);
    expect(maxSeen).toBeLessThanOrEqual(20);
    expect(server.stats().rejectedConnections).toBe(count('closed')); // the rest: EAGAIN, accept backlog full
    for (const s of held) s.destroy();
    await expect.poll(() => server.connectionCount).toBe(0);
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    await client.connect();
    expect((await client.request({ type: 't', payload: 1 })).data).toBe('ok');
    await client.disconnect();
    expect(server.isListening()).toBe(true);
  });

  it('pauses a client that floods faster than the handler resolves; in-flight never exceeds the limit', async () => {
    const server = await startServer({ maxInFlightPerConnection: 16 });
    const releases: Array<() => void> = [];
    server.setRequestHandler(() => new Promise<string>((resolve) => releases.push(() => resolve('done'))));
    const peer = await openRawPeer(socketPath);
    cleanups.push(() => void peer.socket.destroy());
    const total = 3_000;
    peer.socket.write(
      Buffer.concat(Array.from({ length: total }, (_, i) => request(`r${i}`, 'x'.repeat(100)))),
    );
    await expect.poll(() => server.stats().pausedConnections).toBe(1);
    let peak = 0;
    while (peer.responses.length < total) {
      peak = Math.max(peak, server.stats().requestsInFlight);
      for (const release of releases.splice(0)) release();
      await sleep(1);
    }
    expect(peak).toBeLessThanOrEqual(16);
    const ids = (peer.responses as Array<{ id: string }>).map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: total }, (_, i) => `r${i}`));
    expect(server.stats().pausedConnections).toBe(0);
  });

  it('does not block or buffer without bound when a client never reads its replies', async () => {
    const server = await startServer({ maxPendingReplyBytes: 64 * 1024 });
    server.setRequestHandler((m) => ({ echo: m.payload }));
    const deaf = connect(socketPath);
    deaf.pause(); // never reads
    cleanups.push(() => void deaf.destroy());
    await new Promise((r) => deaf.once('connect', r));
    const total = 20_000;
    const frames = Buffer.concat(Array.from({ length: total }, (_, i) => request(`d${i}`, 'y'.repeat(500))));
    deaf.write(frames);
    await expect.poll(() => server.stats().framesReceived, { timeout: 20_000 }).toBe(total);
    const stats = server.stats();
    expect(stats.responsesDropped).toBeGreaterThan(0);
    expect(stats.responsesSent + stats.responsesDropped).toBe(total);
    // Another client is served meanwhile.
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    await client.connect();
    expect((await client.request({ type: 't', payload: 'hi' })).success).toBe(true);
    await client.disconnect();
  });

  it('handles a frame written one byte per write over a real socket, and 1,000 frames in one write', async () => {
    const server = await startServer();
    server.setRequestHandler((m) => m.id);
    const peer = await openRawPeer(socketPath);
    cleanups.push(() => void peer.socket.destroy());
    for (const byte of request('slow-one')) {
      peer.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    await peer.waitForResponses(1);
    peer.socket.write(Buffer.concat(Array.from({ length: 1_000 }, (_, i) => request(`c${i}`))));
    await peer.waitForResponses(1_001);
    expect((peer.responses as Array<{ data: string }>).map((r) => r.data)).toEqual([
      'slow-one',
      ...Array.from({ length: 1_000 }, (_, i) => `c${i}`),
    ]);
  });

  it('closes a connection whose frame does not complete within partialFrameTimeoutMs', async () => {
    const server = await startServer({ partialFrameTimeoutMs: 150 });
    const peer = await openRawPeer(socketPath);
    peer.socket.write(request('never').subarray(0, 10));
    const started = Date.now();
    await peer.closed;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.stats().timedOutConnections).toBe(1);
  });

  it('closes an idle connection after idleTimeoutMs', async () => {
    const server = await startServer({ idleTimeoutMs: 150 });
    const peer = await openRawPeer(socketPath);
    await peer.closed;
    expect(server.stats().timedOutConnections).toBe(1);
  });
});

describe('UnixSocketClient', () => {
  it('coalesces many sends into few socket writes', async () => {
    let chunks = 0;
    let frames = 0;
    const decoder = new FrameDecoder();
    const raw = createServer((s) =>
      s.on('data', (chunk) => {
        chunks++;
        decoder.push(chunk, () => frames++);
      }),
    );
    await new Promise<void>((r) => raw.listen(socketPath, r));
    cleanups.push(() => new Promise<void>((r) => raw.close(() => r())));
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    await client.connect();
    for (let i = 0; i < 1_000; i++) void client.send({ type: 't', payload: { i } });
    await expect.poll(() => frames).toBe(1_000);
    expect(chunks).toBeLessThan(50);
    await client.disconnect();
  });

  it('reconnects by itself after the server restarts and emits disconnected/connected', async () => {
    let server = await startServer();
    server.setRequestHandler(() => 'first');
    const client = new UnixSocketClient({ socketPath, reconnectBaseDelayMs: 10, reconnectMaxDelayMs: 50 });
    cleanups.push(() => client.disconnect());
    const events: string[] = [];
    const connectedSeenAs: boolean[] = [];
    client.on('connected', () => {
      events.push('connected');
      connectedSeenAs.push(client.isConnected());
    });
    client.on('disconnected', () => events.push('disconnected'));
    await client.connect();
    await server.stop();
    await expect.poll(() => events.includes('disconnected')).toBe(true);
    server = await startServer();
    server.setRequestHandler(() => 'second');
    await expect.poll(() => client.isConnected(), { timeout: 5_000 }).toBe(true);
    expect((await client.request({ type: 't', payload: 1 })).data).toBe('second');
    expect(events).toEqual(['connected', 'disconnected', 'connected']);
    expect(connectedSeenAs).toEqual([true, true]); // usable from inside the event
    expect(client.stats().reconnects).toBeGreaterThan(0);
  });
});
