import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FootprintCandleDTO } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import type { CandleStoragePort } from '../../src/features/candlePersistence/application/ports/out/CandleStoragePort';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { smallCandles, useCaseOver } from './helpers';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Copies what it is given at once (as every adapter does) and holds the durable answer until released. */
class GatedStorage extends InMemoryCandleStorage {
  private gate: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;
  /** What the use case handed over (the validated candles, whether or not they are the payloads). */
  readonly received: WeakRef<object>[] = [];

  closeGate(): void {
    this.gate = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  override saveMany(candles: readonly FootprintCandleDTO[]) {
    for (const candle of candles) this.received.push(new WeakRef(candle), new WeakRef(candle.aggs));
    const saved = super.saveMany(candles);
    return this.gate.then(() => saved);
  }
}

describe('PersistCandleUseCase memory', () => {
  it('keeps no candle alive while the durable write is pending (payloads die young)', async () => {
    const storage = new GatedStorage();
    storage.closeGate();
    const useCase = useCaseOver(storage as CandleStoragePort, true);
    const references: WeakRef<object>[] = [];
    // Built in a function so that only the WeakRefs outlive it here.
    const start = () => {
      const candles = smallCandles(20, 7);
      for (const candle of candles) references.push(new WeakRef(candle), new WeakRef(candle.aggs));
      return useCase.execute(
        candles.map((payload, index) => ({ payload, channel: 'socket', messageId: `m${index}` })),
      );
    };
    const outcomes = start();
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(storage.received).toHaveLength(40);
    const alive = [...references, ...storage.received].filter((reference) => reference.deref() !== undefined);
    expect(alive.length, 'candle objects still reachable while the write waits').toBe(0);

    storage.release();
    const results = await outcomes;
    expect(results.map((outcome) => outcome.status)).toEqual(new Array(20).fill('persisted'));
    expect(await storage.listSeries()).toMatchObject([{ count: 20 }]);
  });
});
