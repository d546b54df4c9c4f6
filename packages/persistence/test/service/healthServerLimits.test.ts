import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { PERSISTENCE_TYPES, type PersistenceApplication } from '../../src/index';
import { HealthCheckServer } from '../../src/shared/infrastructure/health/HealthCheckServer';
import type { HealthMonitor } from '../../src/shared/infrastructure/health/HealthMonitor';
import type { PersistenceMetrics } from '../../src/shared/infrastructure/metrics/PersistenceMetrics';
import { makeTempDir, silentLogger, startService, type TempDir } from './helpers';

/** A raw TCP client: what it was sent back, and when the server closed it. */
interface RawClient {
  readonly socket: Socket;
  /** Resolves once the server closed the connection, with everything it sent. */
  readonly closed: Promise<string>;
  /** Everything received so far. */
  received(): string;
}

function openRaw(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    // A dropped connection may be reset rather than ended: either way it is closed.
    socket.on('error', () => undefined);
    const closed = new Promise<string>((done) => socket.once('close', () => done(data)));
    socket.once('connect', () => resolve({ socket, closed, received: () => data }));
    socket.once('error', reject);
  });
}

/** A keep-alive connection the server has accepted and answered once, then left idle. */
async function openKeptAlive(port: number): Promise<RawClient> {
  const client = await openRaw(port);
  client.socket.write('GET /health/live HTTP/1.1\r\nHost: health\r\n\r\n');
  const deadline = Date.now() + 5_000;
  while (!client.received().includes('{"status":"alive"}')) {
    if (Date.now() > deadline) throw new Error(`no answer on a kept-alive connection: ${client.received()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return client;
}

/** Resolves with the server's bytes when it closes within `ms`, else with undefined. */
function closedWithin(client: RawClient, ms: number): Promise<string | undefined> {
  return Promise.race([
    client.closed,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms)),
  ]);
}

/**
 * GET /health on a connection of its own (fetch would wait for a pooled connection and retry a
 * dropped one): its status, or 'refused' when the server closes the connection unanswered.
 */
function healthStatus(port: number): Promise<number | 'refused'> {
  return new Promise((resolve, reject) => {
    const request = get(
      { host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2_000 },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', () => resolve('refused'));
    request.on('timeout', () => {
      request.destroy();
      reject(new Error('GET /health neither answered nor refused within 2 s'));
    });
  });
}

/**
 * The server counts a connection until its own side of it has closed, which
 * may come a moment after the client saw the close: /health is asked again
 * until it answers (or 2 s passed).
 */
async function healthStatusOnceFree(port: number): Promise<number | 'refused'> {
  const deadline = Date.now() + 2_000;
  let status = await healthStatus(port);
  while (status === 'refused' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    status = await healthStatus(port);
  }
  return status;
}

describe('health server limits (small values)', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let server: HealthCheckServer;
  let port: number;
  const clients: RawClient[] = [];
  const limits = {
    maxConnections: 3,
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    keepAliveTimeoutMs: 1_000,
  };

  beforeEach(async () => {
    dir = await makeTempDir();
    // The service's own monitor and metrics behind a second server with small limits.
    const started = await startService(dir.path, {}, { storage: () => InMemoryCandleStorage.open() });
    app = started.app;
    server = new HealthCheckServer(
      { host: '127.0.0.1', port: 0, ...limits },
      started.container.get<HealthMonitor>(PERSISTENCE_TYPES.HealthMonitor),
      started.container.get<PersistenceMetrics>(PERSISTENCE_TYPES.Metrics),
      silentLogger,
    );
    await server.start();
    port = server.port as number;
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await server.stop();
    await app.stop();
    await dir.remove();
  });

  it('drops connections beyond maxConnections, and answers /health again once idle ones time out', async () => {
    for (let k = 0; k < limits.maxConnections; k++) clients.push(await openKeptAlive(port));
    // At the cap: a new connection is closed at once, unanswered.
    const extra = await openRaw(port);
    clients.push(extra);
    expect(await closedWithin(extra, 1_000)).toBe('');
    expect(await healthStatus(port)).toBe('refused');
    // The idle kept-alive connections are closed after keepAliveTimeoutMs; then /health answers.
    const idle = clients.slice(0, limits.maxConnections);
    const closed = await Promise.all(idle.map((client) => closedWithin(client, 2_000)));
    expect(closed.every((data) => data !== undefined)).toBe(true);
    expect(await healthStatusOnceFree(port)).toBe(200);
  });

  it('cuts off a client that never sends a byte after headersTimeoutMs (408)', async () => {
    const silent = await openRaw(port);
    clients.push(silent);
    const started = Date.now();
    const data = await closedWithin(silent, 3_000);
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('cuts off a slowloris client dribbling its headers after headersTimeoutMs (408)', async () => {
    const slow = await openRaw(port);
    clients.push(slow);
    slow.socket.write('GET /health HTTP/1.1\r\n');
    let k = 0;
    const dribble = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(`x-slow-${k++}: a\r\n`);
    }, 50);
    try {
      const started = Date.now();
      const data = await closedWithin(slow, 3_000);
      expect(data).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      clearInterval(dribble);
    }
  });

  it('cuts off a request whose body never completes after requestTimeoutMs', async () => {
    const slow = await openRaw(port);
    clients.push(slow);
    slow.socket.write('GET /health HTTP/1.1\r\nHost: health\r\nContent-Length: 1000\r\n\r\n');
    let k = 0;
    const dribble = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(String(k++ % 10));
    }, 50);
    try {
      const started = Date.now();
      expect(await closedWithin(slow, 3_000)).toBeDefined();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      clearInterval(dribble);
    }
  });
});

describe('health server of the service (default limits)', () => {
  it('serves at most 64 connections at once, and /health again once they are gone', async () => {
    const dir = await makeTempDir();
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    const clients: RawClient[] = [];
    try {
      const port = app.healthPort as number;
      for (let k = 0; k < 64; k++) clients.push(await openKeptAlive(port));
      const extra = await openRaw(port);
      clients.push(extra);
      expect(await closedWithin(extra, 1_000)).toBe('');
      for (const client of clients) client.socket.destroy();
      await Promise.all(clients.map((client) => client.closed));
      expect(await healthStatusOnceFree(port)).toBe(200);
    } finally {
      for (const client of clients) client.socket.destroy();
      await app.stop();
      await dir.remove();
    }
  });
});
