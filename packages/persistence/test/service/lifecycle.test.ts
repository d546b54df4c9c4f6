import { existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  bootstrap,
  type CandleStoragePort,
  HealthPortInUseError,
  HealthServerListenError,
  openCandleStore,
  type PersistenceApplication,
  type SaveResult,
} from '../../src/index';
import { runTs } from './childProcess';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import {
  configIn,
  getJson,
  makeTempDir,
  silentLogger,
  smallCandles,
  startService,
  type TempDir,
} from './helpers';

/** Delays every save, to hold requests in flight while stop() runs. */
class SlowStorage extends FaultInjectingStorage {
  constructor(
    inner: CandleStoragePort,
    private readonly delayMs: number,
  ) {
    super(inner);
  }
  override async saveMany(candles: Parameters<CandleStoragePort['saveMany']>[0]): Promise<SaveResult> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.saveMany(candles);
  }
  override async save(candle: Parameters<CandleStoragePort['save']>[0]): Promise<SaveResult> {
    return this.saveMany([candle]);
  }
}

describe('lifecycle', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('app.storage rejects while the service is not running (never throws synchronously) and reads once it runs', async () => {
    const { app } = await bootstrap(configIn(dir.path), { logger: silentLogger });
    const notOpen = { code: 'FLOWTRACE_STORAGE_NOT_OPEN', retryable: true };
    const [candle] = smallCandles(1);
    const check = async () => {
      // Each call must hand back a promise (or an async iterable): before, these threw
      // synchronously, so `app.storage.findLatest(...).catch(...)` threw past the catch.
      const calls: (() => Promise<unknown>)[] = [
        () => app.storage.save(candle!),
        () => app.storage.saveMany([candle!]),
        () => app.storage.findBySymbol('LTCUSDT', 'binance', '1m'),
        () => app.storage.findRange('LTCUSDT', 'binance', '1m'),
        () => app.storage.findLatest('LTCUSDT', 'binance', '1m', 1),
        () => app.storage.listSeries(),
        () => app.storage.flush(),
      ];
      for (const call of calls) {
        let pending: Promise<unknown> | undefined;
        expect(() => {
          pending = call();
        }).not.toThrow();
        await expect(pending).rejects.toMatchObject(notOpen);
      }
      let iterable: AsyncIterable<unknown> | undefined;
      expect(() => {
        iterable = app.storage.iterate();
      }).not.toThrow();
      await expect(iterable![Symbol.asyncIterator]().next()).rejects.toMatchObject(notOpen);
    };
    await check();
    await app.start();
    try {
      await app.storage.save(candle!);
      expect(await app.storage.findLatest('LTCUSDT', 'binance', '1m', 5)).toHaveLength(1);
      const iterated: unknown[] = [];
      for await (const stored of app.storage.iterate()) iterated.push(stored);
      expect(iterated).toHaveLength(1);
    } finally {
      await app.stop();
    }
    await check();
  });

  it('app.storage.close() and its asyncDispose release nothing: the service goes on writing, and stop() closes the store', async () => {
    const config = configIn(dir.path);
    const { app } = await bootstrap(config, { logger: silentLogger });
    const [first, second] = smallCandles(2);
    await app.start();
    try {
      await app.storage.save(first!);
      // What code handed app.storage as any CandleStoragePort may do when it is done with it.
      await app.storage.close();
      await app.storage[Symbol.asyncDispose]();
      expect((await app.storage.saveMany([second!])).written).toBe(1);
      expect(await app.storage.findLatest('LTCUSDT', 'binance', '1m', 5)).toHaveLength(2);
      expect(app.health().components.storage.status).toBe('healthy');
    } finally {
      await app.stop();
    }
    // stop() did close it: the writer's lock is free, and both candles are on disk.
    const reopened = await openCandleStore({ baseDir: config.storage!.baseDir });
    try {
      expect(await reopened.findLatest('LTCUSDT', 'binance', '1m', 5)).toHaveLength(2);
    } finally {
      await reopened.close();
    }
  });

  it("creates the socket's directory, as it does the queue's and the store's", async () => {
    const socketPath = join(dir.path, 'run', 'flowtrace', 's.sock');
    const { app } = await startService(dir.path, { socketPath });
    try {
      expect(statSync(socketPath).isSocket()).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it('runs two instances with different paths in one process', async () => {
    const a = await startService(
      join(dir.path, 'a'),
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    const b = await startService(
      join(dir.path, 'b'),
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    try {
      const [candle] = smallCandles(1);
      const client = new UnixSocketClient({
        socketPath: configIn(join(dir.path, 'a')).socketPath,
        autoReconnect: false,
      });
      await client.connect();
      expect((await client.request({ id: '1', type: 'candle', payload: candle })).success).toBe(true);
      await client.disconnect();
      expect((await a.app.storage.listSeries()).length).toBe(1);
      expect((await b.app.storage.listSeries()).length).toBe(0);
      expect(a.app.healthPort).not.toBe(b.app.healthPort);
      const metricsB = await (await fetch(`http://127.0.0.1:${b.app.healthPort}/metrics`)).text();
      expect(metricsB).not.toMatch(/candles_persisted_total\{/);
    } finally {
      await a.app.stop();
      await b.app.stop();
    }
  });

  it('drains in-flight requests on stop, turns ready 503 at once, and restarts', async () => {
    const inner = await InMemoryCandleStorage.open();
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      { storage: new SlowStorage(inner, 300) },
    );
    const port = app.healthPort as number;
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
    const candles = smallCandles(5);
    const inFlight = candles.map((c, k) => client.request({ id: `r${k}`, type: 'candle', payload: c }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = app.stop();
    expect((await getJson(port, '/health/ready')).status).toBe(503);
    const replies = await Promise.all(inFlight);
    expect(replies.every((r) => r.success)).toBe(true);
    await stopping;
    await client.disconnect();
    expect(app.lifecycle).toBe('stopped');
    expect(await inner.findBySymbol('LTCUSDT', 'binance', '1m')).toEqual(candles);

    await app.start();
    const again = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await again.connect();
    expect((await again.request({ id: 'again', type: 'candle', payload: candles[0] })).success).toBe(true);
    await again.disconnect();
    await app.stop();
    await inner.close();
  });

  it('a start that fails (socket in use) releases what it opened and leaves the other instance serving', async () => {
    const first = await startService(
      join(dir.path, 'a'),
      {},
      { storage: () => InMemoryCandleStorage.open() },
    );
    const socketPath = configIn(join(dir.path, 'a')).socketPath;
    const { app: second } = await bootstrap(
      { ...configIn(join(dir.path, 'b')), socketPath, healthCheckPort: 0 },
      { logger: silentLogger, storage: () => InMemoryCandleStorage.open() },
    );
    await expect(second.start()).rejects.toMatchObject({ code: 'FLOWTRACE_SOCKET_IN_USE' });
    expect(second.lifecycle).toBe('stopped');
    expect(second.healthPort).toBeUndefined();
    expect(second.storage.isOpen).toBe(false);
    const client = new UnixSocketClient({ socketPath, autoReconnect: false });
    await client.connect();
    expect((await client.request({ id: 'x', type: 'candle', payload: smallCandles(1)[0] })).success).toBe(
      true,
    );
    await client.disconnect();
    await first.app.stop();
  });

  /** A TCP listener on 127.0.0.1 (an ephemeral port): what holds a health port. */
  async function listener(): Promise<{ server: Server; port: number }> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, port: (server.address() as { port: number }).port };
  }

  /** After a failed start: stopped, nothing bound, the store's writer lock released. */
  async function expectReleased(app: PersistenceApplication, serviceDir: string): Promise<void> {
    expect(app.lifecycle).toBe('stopped');
    expect(app.healthPort).toBeUndefined();
    expect(app.storage.isOpen).toBe(false);
    expect(existsSync(configIn(serviceDir).socketPath)).toBe(false);
    // Another writer opens the store at once: the failed start holds no lock on it.
    await (await openCandleStore({ baseDir: configIn(serviceDir).storage.baseDir })).close();
  }

  it('a start that fails (health port in use) rejects with FLOWTRACE_HEALTH_PORT_IN_USE naming host:port and the setting, releases what it opened, and starts once the port is free', async () => {
    const { server, port } = await listener();
    const serviceDir = join(dir.path, 'health');
    const { app } = await bootstrap(configIn(serviceDir, { healthCheckPort: port }), {
      logger: silentLogger,
    });
    const failure = await app.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HealthPortInUseError);
    expect(failure).toMatchObject({
      code: 'FLOWTRACE_HEALTH_PORT_IN_USE',
      retryable: false,
      host: '127.0.0.1',
      port,
      message:
        `Cannot start the health server: 127.0.0.1:${port} is already in use (another process or service listens on it). ` +
        'Set healthCheckPort to a free port, or to 0 for an ephemeral one (read app.healthPort), or leave it out for no health server',
    });
    // Node's error stays reachable.
    expect((failure as Error).cause).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', port });
    await expectReleased(app, serviceDir);
    await new Promise((resolve) => server.close(resolve));
    await app.start();
    expect(app.healthPort).toBe(port);
    await app.stop();
  });

  it('another failed listen of the health server (healthCheckHost not of this machine) is FLOWTRACE_HEALTH_LISTEN_FAILED with the system code', async () => {
    const serviceDir = join(dir.path, 'health-host');
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const { app } = await bootstrap(
      configIn(serviceDir, { healthCheckPort: 0, healthCheckHost: '192.0.2.1' }),
      {
        logger: silentLogger,
      },
    );
    const failure = await app.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HealthServerListenError);
    expect(failure).toMatchObject({
      code: 'FLOWTRACE_HEALTH_LISTEN_FAILED',
      retryable: false,
      causeCode: 'EADDRNOTAVAIL',
      cause: { code: 'EADDRNOTAVAIL' },
    });
    expect((failure as Error).message).toMatch(
      /^Cannot start the health server on 192\.0\.2\.1:0: listen EADDRNOTAVAIL.* \(healthCheckHost is not an address of this machine: set it to one, e\.g\. 127\.0\.0\.1 or 0\.0\.0\.0\)$/,
    );
    await expectReleased(app, serviceDir);
  });

  it('leaves no handles: a child process that starts, stops and restarts exits by itself', async () => {
    const result = await runTs(
      join(import.meta.dirname, 'fixtures', 'startStopChild.ts'),
      [dir.path],
      20_000,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ reply: true, health: 200 });
  });
});
