import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { pino } from 'pino';
import { afterEach, beforeEach, expect } from 'vitest';
import type { CandleStoragePort } from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import type { RejectedCandleLogPort } from '../../src/features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import { ValidationQualityMonitor } from '../../src/features/candlePersistence/application/services/ValidationQualityMonitor';
import { PersistCandleUseCase } from '../../src/features/candlePersistence/application/use-cases/PersistCandle/PersistCandleUseCase';
import { CandleValidator } from '../../src/features/candlePersistence/domain/validation/CandleValidator';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  bootstrap,
  type PersistenceApplication,
  type PersistenceBootstrapConfig,
  type PersistenceBootstrapOptions,
} from '../../src/index';

export const silentLogger = pino({ level: 'silent' });

export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

export async function makeTempDir(prefix = 'ft-persist-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Config with every path inside `dir` (short socket path: sun_path is ~107 bytes). */
export function configIn(
  dir: string,
  overrides: Partial<PersistenceBootstrapConfig> = {},
): PersistenceBootstrapConfig {
  return {
    socketPath: join(dir, 's.sock'),
    queuePath: join(dir, 'queue', 'queue.db'),
    storage: { baseDir: join(dir, 'candles') },
    pollInterval: 20,
    batchSize: 200,
    ...overrides,
  };
}

export async function startService(
  dir: string,
  overrides: Partial<PersistenceBootstrapConfig> = {},
  options: PersistenceBootstrapOptions = {},
) {
  const { app, container } = await bootstrap(configIn(dir, overrides), { logger: silentLogger, ...options });
  await app.start();
  return { app, container };
}

export function smallCandles(count: number, seed = 1, symbol = 'LTCUSDT'): FootprintCandleDTO[] {
  return generateFootprintCandles({
    seed,
    count,
    bins: 5,
    symbol,
    tickValue: 0.01,
    startPrice: 90,
    emptyRatio: 0,
  });
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The messageId of every line of the service's rejected-candles log (default path), in file order. */
export async function rejectedMessageIds(dir: string): Promise<string[]> {
  const path = join(dir, 'candles', 'rejected-candles.jsonl');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { messageId: string }).messageId);
}

/**
 * Stores 3 LTCUSDT candles through a service on the default `.ftcd` store, one
 * request at a time (a block each, so the corrupt block has valid data after
 * it), stops it, and flips a byte inside the first block's payload: the next
 * store opened on `dir` quarantines that day's partition when it scans it
 * (`listSeries`), and refuses the candles of that day (`unsaved`) until repaired.
 */
export async function quarantinedStore(dir: string): Promise<void> {
  const first = await startService(dir);
  const client = new UnixSocketClient({ socketPath: configIn(dir).socketPath, autoReconnect: false });
  await client.connect();
  for (const [k, candle] of smallCandles(3).entries()) {
    expect((await client.request({ id: `c${k}`, type: 'candle', payload: candle })).success).toBe(true);
  }
  await client.disconnect();
  await first.app.stop();
  const entries = await readdir(join(dir, 'candles'), { recursive: true, withFileTypes: true });
  const [file] = entries
    .filter((e) => e.isFile() && e.name.endsWith('.ftcd'))
    .map((e) => join(e.parentPath, e.name));
  expect(file).toBeDefined();
  const bytes = await readFile(file as string);
  const headerLength = bytes.readUInt16LE(6);
  bytes[headerLength + 44 + 8] = (bytes[headerLength + 44 + 8] ?? 0) ^ 0xff;
  await writeFile(file as string, bytes);
}

export async function getJson(
  port: number,
  path: string,
): Promise<{ status: number; body: unknown; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

/** One sample of the service's /metrics: `name{channel="…"}`, 0 when the series has none yet. */
export async function metricSample(port: number, name: string, channel: string): Promise<number> {
  const { text } = await getJson(port, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{channel="${channel}"} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The validation component of /health (the rolling error rate and its totals). */
export interface ValidationHealth {
  status: string;
  errorRate: number;
  windowCandles: number;
  windowRejected: number;
  acceptedTotal: number;
  rejectedTotal: number;
}

export async function validationHealth(port: number): Promise<ValidationHealth> {
  const { body } = await getJson(port, '/health');
  return (body as { components: { validation: ValidationHealth } }).components.validation;
}

export interface QueueService {
  readonly dir: TempDir;
  readonly app: PersistenceApplication;
  /** A producer's handle on the service's queue file. */
  readonly producer: SQLiteQueue;
}

/**
 * For each test of the calling describe: a running service with in-memory
 * storage and a producer on its queue file; all released after the test.
 */
export function useQueueService(): QueueService {
  const current: { dir?: TempDir; app?: PersistenceApplication; producer?: SQLiteQueue } = {};
  beforeEach(async () => {
    current.dir = await makeTempDir();
    ({ app: current.app } = await startService(
      current.dir.path,
      {},
      { storage: () => InMemoryCandleStorage.open() },
    ));
    current.producer = new SQLiteQueue({ dbPath: configIn(current.dir.path).queuePath });
  });
  afterEach(async () => {
    current.producer?.close();
    await current.app?.stop();
    await current.dir?.remove();
  });
  const required = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`useQueueService: ${name} is only there inside a test`);
    return value;
  };
  return {
    get dir() {
      return required(current.dir, 'dir');
    },
    get app() {
      return required(current.app, 'app');
    },
    get producer() {
      return required(current.producer, 'producer');
    },
  };
}

/** A PersistCandleUseCase over `storage` alone: no events, no rejected log (unless given), silent logging. */
export function useCaseOver(
  storage: CandleStoragePort,
  strictMode = false,
  rejectedLog: RejectedCandleLogPort = { append: async () => [], close: async () => {} },
): PersistCandleUseCase {
  return new PersistCandleUseCase(
    new CandleValidator({ enabled: true, strictMode }),
    storage,
    rejectedLog,
    new ValidationQualityMonitor(
      { alertThreshold: 0.5, maxErrorRate: 0.9, windowSize: 100, windowMs: 60_000 },
      silentLogger,
    ),
    { durableWrite: () => {}, rejected: () => {}, storageFailed: () => {}, refusedByStorage: () => {} },
  );
}
