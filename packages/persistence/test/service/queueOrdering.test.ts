import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import { HybridPublisher, SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { describe, expect, it } from 'vitest';
import type {
  CandleQueryOptions,
  CandleStoragePort,
} from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import {
  configIn,
  makeTempDir,
  smallCandles,
  startService,
  useCaseOver,
  useQueueService,
  waitFor,
} from './helpers';

function storedVersion(storage: CandleStoragePort, candle: FootprintCandleDTO) {
  return storage
    .findBySymbol(candle.s, candle.ex, candle.i as TimeframeName, { startTime: candle.t, endTime: candle.t })
    .then(([stored]) => stored);
}

describe('queue drain vs a complete version (x: true never replaced by a queued x: false)', () => {
  const service = useQueueService();

  it('a partial drained after the complete candle was acknowledged over the socket does not replace it', async () => {
    const [complete, other] = smallCandles(2) as [FootprintCandleDTO, FootprintCandleDTO];
    const partial = { ...complete, x: false };
    const client = new UnixSocketClient({
      socketPath: configIn(service.dir.path).socketPath,
      autoReconnect: false,
    });
    await client.connect();
    expect((await client.request({ id: 'v2', type: 'candle:complete', payload: complete })).success).toBe(
      true,
    );
    await client.disconnect();
    // Queued during the outage (older timestamp), drained only now; with a partial of a new key.
    service.producer.enqueueBatch([
      { id: 'v1', type: 'candle', payload: partial, timestamp: 1000 },
      { id: 'p', type: 'candle', payload: { ...other, x: false }, timestamp: 1001 },
    ]);
    await waitFor(() => service.producer.stats().processed === 2, 10_000, 'queue drained');
    expect(await storedVersion(service.app.storage, complete)).toEqual(complete);
    // Only a complete version blocks it: a partial of a key without one is stored.
    expect(await storedVersion(service.app.storage, other)).toEqual({ ...other, x: false });
  });

  it('a partial queued after its complete version in the same batch does not replace it; a newer partial replaces a partial', async () => {
    const [a, b] = smallCandles(2) as [FootprintCandleDTO, FootprintCandleDTO];
    service.producer.enqueueBatch([
      { id: 'a-complete', type: 'candle:complete', payload: a, timestamp: 1000 },
      { id: 'a-partial', type: 'candle', payload: { ...a, x: false, n: a.n - 1 }, timestamp: 1001 },
      { id: 'b1', type: 'candle', payload: { ...b, x: false, n: b.n - 1 }, timestamp: 1002 },
      { id: 'b2', type: 'candle', payload: { ...b, x: false }, timestamp: 1003 },
    ]);
    await waitFor(() => service.producer.stats().processed === 4, 10_000, 'queue drained');
    expect(await storedVersion(service.app.storage, a)).toEqual(a);
    expect(await storedVersion(service.app.storage, b)).toEqual({ ...b, x: false });
  });
});

describe('HybridPublisher + service: versions of a key from one producer are stored in publish order', () => {
  it('a correction published once the daemon is back is not overwritten by the version queued during the outage', async () => {
    const dir = await makeTempDir();
    const config = configIn(dir.path);
    const publisher = new HybridPublisher({
      socketPath: config.socketPath,
      queuePath: config.queuePath,
      requestTimeoutMs: 2_000,
      reconnectBaseDelayMs: 10,
      reconnectMaxDelayMs: 50,
    });
    let app: Awaited<ReturnType<typeof startService>>['app'] | undefined;
    try {
      // The outage: a backlog of other candles, then version 1 of the key, all queued.
      const backlog = smallCandles(3_000, 7, 'BTCUSDT');
      const queued = await Promise.all(
        backlog.map((candle, i) =>
          publisher.publish({ id: `b${i}`, type: 'candle:complete', payload: candle }),
        ),
      );
      expect(queued.every((result) => result.via === 'queue')).toBe(true);
      const [version1] = smallCandles(1) as [FootprintCandleDTO];
      const version2 = { ...version1, c: version1.c + 0.01, h: Math.max(version1.h, version1.c + 0.01) };
      expect((await publisher.publish({ id: 'v1', type: 'candle:complete', payload: version1 })).via).toBe(
        'queue',
      );

      ({ app } = await startService(dir.path));
      expect(await publisher.waitForConnection(10_000)).toBe(true);
      // The correction, while the daemon is still draining the backlog in front of version 1.
      const correction = await publisher.publish({ id: 'v2', type: 'candle:complete', payload: version2 });

      const consumer = new SQLiteQueue({ dbPath: config.queuePath });
      try {
        await waitFor(
          () => consumer.stats().pending + consumer.stats().inFlight === 0,
          30_000,
          'queue drained',
        );
      } finally {
        consumer.close();
      }
      // Queued behind version 1, or sent over the socket once the daemon had drained the queue
      // (preserveOrder): stored after version 1 either way.
      expect(await storedVersion(app.storage, version1)).toEqual(version2);
      expect(['queue', 'socket']).toContain(correction.via);
      // Drained: the publisher is back on the socket.
      const [next] = smallCandles(2).slice(1) as [FootprintCandleDTO];
      expect((await publisher.publish({ id: 'n', type: 'candle:complete', payload: next })).via).toBe(
        'socket',
      );
    } finally {
      await publisher.close();
      await app?.stop();
      await dir.remove();
    }
  }, 60_000);
});

/** Holds every read until released, so a concurrent save can be handed to the store meanwhile. */
class SlowReadStorage extends InMemoryCandleStorage {
  private gate: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;
  reads = 0;

  holdReads(): void {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  override async findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]> {
    this.reads += 1;
    const found = await super.findBySymbol(symbol, exchange, timeframe, options);
    await this.gate;
    return found;
  }
}

describe('PersistCandleUseCase: the completed-version check does not race concurrent saves', () => {
  it('a complete candle saved while the queue batch reads the store still wins', async () => {
    const storage = new SlowReadStorage();
    const useCase = useCaseOver(storage);
    const [complete] = smallCandles(1) as [FootprintCandleDTO];
    storage.holdReads();
    const fromQueue = useCase.execute([
      { payload: { ...complete, x: false }, channel: 'queue', messageId: 'q' },
    ]);
    await waitFor(() => storage.reads === 1, 5000, 'the check reads the store');
    // The complete version arrives over the socket while the read is pending.
    const fromSocket = useCase.execute([{ payload: complete, channel: 'socket', messageId: 's' }]);
    storage.release();
    expect((await fromSocket)[0]?.status).toBe('persisted');
    expect(await fromQueue).toEqual([expect.objectContaining({ status: 'persisted', superseded: true })]);
    expect(await storedVersion(storage, complete)).toEqual(complete);
  });

  it('waits for a complete candle whose save is in flight before reading', async () => {
    let releaseSave: () => void = () => undefined;
    const saveGate = new Promise<void>((resolve) => {
      releaseSave = resolve;
    });
    class SlowSaveStorage extends InMemoryCandleStorage {
      override saveMany(candles: readonly FootprintCandleDTO[]) {
        const copies = candles.map((candle) => structuredClone(candle));
        return saveGate.then(() => super.saveMany(copies));
      }
    }
    const storage = new SlowSaveStorage();
    const useCase = useCaseOver(storage);
    const [complete] = smallCandles(1) as [FootprintCandleDTO];
    const fromSocket = useCase.execute([{ payload: complete, channel: 'socket', messageId: 's' }]);
    const fromQueue = useCase.execute([
      { payload: { ...complete, x: false }, channel: 'queue', messageId: 'q' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    releaseSave();
    await Promise.all([fromSocket, fromQueue]);
    expect(await storedVersion(storage, complete)).toEqual(complete);
  });

  it('a read that fails (e.g. a corrupt block) supersedes nothing: the candle is written as before', async () => {
    class BrokenReadStorage extends InMemoryCandleStorage {
      override async findBySymbol(): Promise<FootprintCandleDTO[]> {
        throw Object.assign(new Error('block checksum mismatch'), { code: 'FLOWTRACE_FTCD_CORRUPT' });
      }
    }
    const storage = new BrokenReadStorage();
    const useCase = useCaseOver(storage);
    const [candle] = smallCandles(1) as [FootprintCandleDTO];
    const outcomes = await useCase.execute([
      { payload: { ...candle, x: false }, channel: 'queue', messageId: 'q' },
    ]);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'persisted' })]);
    expect(outcomes[0]).not.toHaveProperty('superseded');
    expect(await storage.listSeries()).toMatchObject([{ count: 1 }]);
  });

  it('maps outcomes right when superseded candles and candles refused by their partition share a batch', async () => {
    const [a, b, c] = smallCandles(3) as [FootprintCandleDTO, FootprintCandleDTO, FootprintCandleDTO];
    /** Refuses candle `b` (as a quarantined partition would), saves the others. */
    class RefusingStorage extends InMemoryCandleStorage {
      override async saveMany(candles: readonly FootprintCandleDTO[]) {
        const refusedIndexes = candles.flatMap((candle, index) => (candle.t === b.t ? [index] : []));
        const saved = await super.saveMany(candles.filter((candle) => candle.t !== b.t));
        if (refusedIndexes.length === 0) return saved;
        throw Object.assign(new Error('quarantined'), { refusedIndexes, saved });
      }
    }
    const storage = new RefusingStorage();
    await storage.saveMany([a]);
    const useCase = useCaseOver(storage);
    const outcomes = await useCase.execute([
      { payload: { ...a, x: false }, channel: 'queue', messageId: 'a' },
      { payload: { ...b, x: false }, channel: 'queue', messageId: 'b' },
      { payload: c, channel: 'queue', messageId: 'c' },
    ]);
    expect(outcomes.map((outcome) => [outcome.status, 'superseded' in outcome])).toEqual([
      ['persisted', true],
      ['unsaved', false],
      ['persisted', false],
    ]);
    expect(await storedVersion(storage, a)).toEqual(a);
    expect(await storedVersion(storage, c)).toEqual(c);
  });
});
