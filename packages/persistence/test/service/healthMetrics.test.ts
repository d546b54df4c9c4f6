import { spawnSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { PersistenceApplication } from '../../src/index';
import { configIn, getJson, makeTempDir, smallCandles, startService, type TempDir, waitFor } from './helpers';

const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool) console.warn('promtool is not on PATH: the `promtool check metrics` test is skipped');

describe('health and metrics endpoints', () => {
  let dir: TempDir;
  let app: PersistenceApplication;
  let port: number;
  let client: UnixSocketClient;

  beforeEach(async () => {
    dir = await makeTempDir();
    ({ app } = await startService(
      dir.path,
      {
        healthCheckPort: 0,
        validation: {
          enabled: true,
          strictMode: false,
          alertThreshold: 0.2,
          maxErrorRate: 0.5,
          minSamples: 5,
        },
      },
      { storage: () => InMemoryCandleStorage.open() },
    ));
    port = app.healthPort as number;
    client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
  });

  afterEach(async () => {
    await client.disconnect();
    await app.stop();
    await dir.remove();
  });

  it('reports every component with real readings', async () => {
    const { status, body } = await getJson(port, '/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'healthy',
      components: {
        unixSocket: { status: 'healthy', listening: true, connections: 1 },
        queuePoller: { status: 'healthy', running: true, pending: 0 },
        storage: { status: 'healthy' },
        validation: { status: 'healthy', errorRate: 0 },
      },
    });
    expect(Number.isNaN(Date.parse((body as { timestamp: string }).timestamp))).toBe(false);
    expect((await getJson(port, '/health/live')).status).toBe(200);
    expect((await getJson(port, '/health/ready')).body).toEqual({ ready: true });
    expect((await getJson(port, '/nope')).status).toBe(404);
  });

  it('does not judge the error rate before the window holds minSamples candles', async () => {
    const candles = smallCandles(5);
    const send = (k: number, bad: boolean) =>
      client.request({ id: `s${k}`, type: 'candle', payload: bad ? { ...candles[k], n: -3 } : candles[k] });
    await send(0, true);
    await send(1, true);
    await send(2, false);
    await send(3, false); // 2/4 rejected, but 4 < minSamples (5): not judged yet
    let health = await getJson(port, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ components: { validation: { status: 'healthy', errorRate: 0.5 } } });
    await send(4, true); // 3/5 = 60 % > maxErrorRate (50 %)
    health = await getJson(port, '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ components: { validation: { status: 'unhealthy' } } });
  });

  it('turns degraded above alertThreshold and unhealthy above maxErrorRate', async () => {
    const candles = smallCandles(10);
    const send = (k: number, bad: boolean) =>
      client.request({ id: `m${k}`, type: 'candle', payload: bad ? { ...candles[k], n: -3 } : candles[k] });
    for (let k = 0; k < 7; k++) await send(k, false);
    for (let k = 7; k < 9; k++) await send(k, true); // 2/9 = 22% > 20%
    let health = await getJson(port, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      components: { validation: { status: 'degraded' } },
    });
    for (let k = 0; k < 9; k++) await client.request({ id: `x${k}`, type: 'candle', payload: { junk: k } }); // 11/18 > 50%
    health = await getJson(port, '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'unhealthy',
      components: { validation: { status: 'unhealthy' } },
    });
  });

  it('exposes Prometheus metrics from a private registry', async () => {
    const [candle] = smallCandles(1);
    await client.request({ id: 'a', type: 'candle', payload: candle });
    await client.request({ id: 'b', type: 'candle', payload: candle });
    await client.request({ id: 'c', type: 'candle', payload: { nope: true } });
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^flowtrace_persistence_candles_persisted_total\{channel="socket"\} 1$/m);
    expect(text).toMatch(/^flowtrace_persistence_candles_unchanged_total\{channel="socket"\} 1$/m);
    expect(text).toMatch(/^flowtrace_persistence_candles_rejected_total\{channel="socket"\} 1$/m);
    expect(text).toMatch(/^flowtrace_persistence_ack_seconds_count\{channel="socket"\} 2$/m);
    expect(text).toMatch(/^flowtrace_persistence_durable_write_seconds_count 2$/m);
    expect(text).toMatch(/^flowtrace_persistence_socket_connections 1$/m);
    expect(text).toMatch(/^flowtrace_persistence_queue_depth 0$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^flowtrace_persistence_store_size_bytes \d+$/m);
    expectWellFormedExposition(text);
  });

  it('puts a queue ack of minutes in a finite bucket (a backlog after an outage is not all +Inf)', async () => {
    const [candle] = smallCandles(1);
    const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
    try {
      // Queued by a producer while the service was down: acknowledged ~15 minutes after its timestamp.
      producer.enqueue({ id: 'late', type: 'candle', payload: candle, timestamp: Date.now() - 900_000 });
      await waitFor(() => producer.stats().processed === 1, 10_000, 'queue drained');
    } finally {
      producer.close();
    }
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const buckets = [
      ...text.matchAll(/^flowtrace_persistence_ack_seconds_bucket\{le="([^"]+)",channel="queue"\} (\d+)$/gm),
    ].map((m) => ({ le: Number(m[1]), count: Number(m[2]) }));
    const finite = buckets.filter((b) => Number.isFinite(b.le));
    expect(finite.at(-1)?.le).toBeGreaterThanOrEqual(3600);
    // The observation (~900 s) is below a finite bound, so quantiles and alerts can see it.
    expect(finite.find((b) => b.le === 1800)?.count).toBe(1);
    expect(finite.find((b) => b.le === 600)?.count).toBe(0);
  });

  it.skipIf(!promtool)('passes promtool check metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const file = join(dir.path, 'metrics.txt');
    await writeFile(file, text);
    const result = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
    // prom-client's own default gauges nodejs_active_{handles,requests,resources}_total carry a
    // counter suffix (upstream naming, not ours); promtool lints them. Everything else must be clean.
    const upstreamNaming =
      /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
    const problems = (result.stderr + result.stdout)
      .split('\n')
      .filter((line) => line.trim() !== '' && !upstreamNaming.test(line.trim()));
    expect(problems).toEqual([]);
    // 0: clean; 3: lint findings only (all of them the upstream names filtered above). Parse errors exit 1.
    expect([0, 3]).toContain(result.status);
  });
});

describe('store size metric on the default .ftcd store', () => {
  it('reports the bytes on disk of what was stored', async () => {
    const dir = await makeTempDir();
    const { app } = await startService(dir.path, { healthCheckPort: 0 });
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    try {
      await client.connect();
      await Promise.all(
        smallCandles(50).map((payload, k) => client.request({ id: `s${k}`, type: 'candle', payload })),
      );
      const text = await (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
      const bytes = Number(/^flowtrace_persistence_store_size_bytes (\d+)$/m.exec(text)?.[1]);
      expect(bytes).toBeGreaterThan(1000);
    } finally {
      await client.disconnect();
      await app.stop();
      await dir.remove();
    }
  });
});

describe("free space on the store's filesystem", () => {
  it('is in /health and /metrics, and turns storage degraded below storage.minFreeBytes', async () => {
    const dir = await makeTempDir();
    const baseDir = join(dir.path, 'candles');
    try {
      // Every filesystem has less free space than 2^53 - 1 bytes: degraded (200, not 503).
      const warnings: Array<[object, string | undefined]> = [];
      const logger = {
        debug: () => undefined,
        info: () => undefined,
        warn: (fields: object, message?: string) => warnings.push([fields, message]),
        error: () => undefined,
      };
      const low = await startService(
        dir.path,
        { healthCheckPort: 0, storage: { baseDir, minFreeBytes: Number.MAX_SAFE_INTEGER } },
        { logger },
      );
      try {
        // In the log too, once (not at every look).
        expect(
          warnings.filter(([, message]) => message?.startsWith('storage filesystem low on space')),
        ).toEqual([
          [
            expect.objectContaining({ freeBytes: expect.any(Number), minFreeBytes: Number.MAX_SAFE_INTEGER }),
            'storage filesystem low on space: writes fail when it is full',
          ],
        ]);
        const { status, body } = await getJson(low.app.healthPort as number, '/health');
        const stats = statfsSync(baseDir);
        expect(status).toBe(200);
        const storage = (body as { status: string; components: { storage: Record<string, unknown> } })
          .components.storage;
        expect((body as { status: string }).status).toBe('degraded');
        expect(storage).toMatchObject({ status: 'degraded', diskTotalBytes: stats.blocks * stats.bsize });
        expect(storage.reason).toMatch(
          /^only \d+ MiB free on the store's filesystem \(storage.minFreeBytes: \d+ MiB\)/,
        );
        expect(storage.diskFreeBytes).toBeGreaterThan(0);
        expect(Math.abs((storage.diskFreeBytes as number) - stats.bavail * stats.bsize)).toBeLessThan(
          0.05 * stats.blocks * stats.bsize,
        );
        const text = await (await fetch(`http://127.0.0.1:${low.app.healthPort}/metrics`)).text();
        expect(Number(/^flowtrace_persistence_disk_size_bytes (\d+)$/m.exec(text)?.[1])).toBe(
          stats.blocks * stats.bsize,
        );
        expect(Number(/^flowtrace_persistence_disk_free_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
      } finally {
        await low.app.stop();
      }
      const off = await startService(dir.path, { healthCheckPort: 0, storage: { baseDir, minFreeBytes: 0 } });
      try {
        const { body } = await getJson(off.app.healthPort as number, '/health');
        expect((body as { components: { storage: unknown } }).components.storage).toMatchObject({
          status: 'healthy',
          diskFreeBytes: expect.any(Number),
        });
      } finally {
        await off.app.stop();
      }
    } finally {
      await dir.remove();
    }
  });
});

describe('storage state across a restart', () => {
  it('is unknown again after start() until the first durable write, as documented', async () => {
    const dir = await makeTempDir();
    const { app } = await startService(dir.path, { healthCheckPort: 0 });
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    const storage = async () =>
      ((await getJson(app.healthPort as number, '/health')).body as { components: { storage: unknown } })
        .components.storage;
    try {
      const [first, second] = smallCandles(2);
      await client.connect();
      await client.request({ id: 'a', type: 'candle', payload: first });
      expect(await storage()).toMatchObject({ state: 'ok' });
      await client.disconnect();
      await app.stop();
      await app.start();
      // The store was closed and opened again: nothing has been written to it yet.
      expect(await storage()).toMatchObject({ state: 'unknown', lastDurableWriteAgeMs: expect.any(Number) });
      await client.connect();
      await client.request({ id: 'b', type: 'candle', payload: second });
      expect(await storage()).toMatchObject({ state: 'ok' });
    } finally {
      await client.disconnect();
      await app.stop();
      await dir.remove();
    }
  });
});

describe('free space when it cannot be read', () => {
  it('exposes no disk sample rather than 0 (which reads as a full disk)', async () => {
    const dir = await makeTempDir();
    // An injected in-memory store: storage.baseDir is never created, statfs fails.
    const { app } = await startService(
      dir.path,
      { healthCheckPort: 0 },
      { storage: () => InMemoryCandleStorage.open() },
    );
    try {
      const { body } = await getJson(app.healthPort as number, '/health');
      expect((body as { components: { storage: unknown } }).components.storage).toMatchObject({
        diskFreeBytes: null,
        diskTotalBytes: null,
      });
      const text = await (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
      expect(text).toMatch(/^# TYPE flowtrace_persistence_disk_free_bytes gauge$/m);
      expect(text).not.toMatch(/^flowtrace_persistence_disk_free_bytes /m);
      expect(text).not.toMatch(/^flowtrace_persistence_disk_size_bytes /m);
      expectWellFormedExposition(text);
    } finally {
      await app.stop();
      await dir.remove();
    }
  });
});

describe('metrics registry of a dropped instance', () => {
  it('is garbage once the app is dropped (the default collectors do not hold it)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dir = await makeTempDir();
    try {
      // In a function of its own: no frame of this test keeps the last app.
      const runOnce = async (k: number): Promise<WeakRef<object>> => {
        const { app } = await startService(
          join(dir.path, `i${k}`),
          { healthCheckPort: 0 },
          { storage: () => InMemoryCandleStorage.open() },
        );
        await (await fetch(`http://127.0.0.1:${app.healthPort}/metrics`)).text();
        await app.stop();
        return new WeakRef(app.metricsRegistry);
      };
      const registries: WeakRef<object>[] = [];
      for (let k = 0; k < 3; k++) registries.push(await runOnce(k));
      for (let round = 0; round < 10 && registries.some((r) => r.deref() !== undefined); round++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        gc();
      }
      expect(registries.map((r) => r.deref() !== undefined)).toEqual([false, false, false]);
    } finally {
      await dir.remove();
    }
  });
});

/** A minimal exposition-format check: every sample belongs to a family declared with HELP and TYPE. */
function expectWellFormedExposition(text: string): void {
  const declared = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      declared.set(type[1] as string, type[2] as string);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    // Values are Go ParseFloat syntax: NaN and Inf in any letter case (prom-client writes `Nan`).
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii]nf)( \d+)?$/.exec(line);
    expect(sample, `malformed line: ${line}`).not.toBeNull();
    const name = sample?.[1] as string;
    const family = name.replace(/_(bucket|sum|count|total|created)$/, '');
    expect(declared.has(name) || declared.has(family), `undeclared family of ${name}`).toBe(true);
  }
}
