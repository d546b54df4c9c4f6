import { SQLiteQueue, UnixSocketClient } from '@flowtrace/ipc';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import type { LoggerPort } from '../../src/index';
import { FaultInjectingStorage } from './FaultInjectingStorage';
import { configIn, makeTempDir, smallCandles, startService, validationHealth, waitFor } from './helpers';

/** Keeps the messages logged (with their fields), drops nothing. */
function recordingLogger(): { logger: LoggerPort; lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const keep =
    (level: string) =>
    (_fields: object, message?: string): void => {
      lines.push({ level, message: message ?? '' });
    };
  return {
    lines,
    logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') },
  };
}

const BACK_BELOW = 'candle rejection rate back below alertThreshold';

describe('validation error-rate window', () => {
  it('counts a candle sent again after a storage failure once (socket and queue)', async () => {
    const dir = await makeTempDir();
    const inner = await InMemoryCandleStorage.open();
    const storage = new FaultInjectingStorage(inner);
    const { app } = await startService(dir.path, { healthCheckPort: 0 }, { storage });
    const port = app.healthPort as number;
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    const producer = new SQLiteQueue({ dbPath: configIn(dir.path).queuePath });
    try {
      await client.connect();
      const [a, b, c, d] = smallCandles(4);
      const single = { id: 'single', type: 'candle', payload: a };
      // One valid, one rejected: the rejection is on record only if the save succeeds too.
      const batch = { id: 'batch', type: 'candle:batch', payload: { candles: [b, { ...c, n: -3 }] } };

      storage.failWith('EIO');
      expect(await client.request(single)).toMatchObject({ success: false, retryable: true });
      expect(await client.request(batch)).toMatchObject({ success: false, retryable: true });
      producer.enqueue({ id: 'queued', type: 'candle', payload: d, timestamp: Date.now() });
      // The queue consumer tried it, failed and paused until storage recovers.
      await waitFor(
        () => app.health().components.queuePoller?.pausedForStorage === true,
        10_000,
        'queue paused',
      );
      // Nothing was stored nor put on record: nothing is counted yet.
      expect(await validationHealth(port)).toMatchObject({ windowCandles: 0, windowRejected: 0 });

      storage.heal();
      await waitFor(() => producer.stats().processed === 1, 15_000, 'queued candle drained');
      // The producer sends the two refused requests again, as their retryable errors ask.
      expect((await client.request(single)).success).toBe(true);
      expect((await client.request(batch)).success).toBe(true);

      // Four candles, one rejected: each counted once, not once per attempt.
      expect(await validationHealth(port)).toMatchObject({
        windowCandles: 4,
        windowRejected: 1,
        acceptedTotal: 3,
        rejectedTotal: 1,
        errorRate: 0.25,
      });
    } finally {
      producer.close();
      await client.disconnect();
      await app.stop();
      await inner.close();
      await dir.remove();
    }
  });

  describe('recovery log', () => {
    const validation = {
      enabled: true,
      strictMode: false,
      alertThreshold: 0.2,
      maxErrorRate: 0.5,
      windowSize: 100,
      windowMs: 400,
      minSamples: 1,
    };

    /** A service over an in-memory store whose log lines are recorded, and a client of its socket. */
    async function startRecording() {
      const dir = await makeTempDir();
      const { logger, lines } = recordingLogger();
      const { app } = await startService(
        dir.path,
        { healthCheckPort: 0, validation },
        { storage: () => InMemoryCandleStorage.open(), logger },
      );
      const client = new UnixSocketClient({
        socketPath: configIn(dir.path).socketPath,
        autoReconnect: false,
      });
      return { dir, lines, app, client };
    }

    it('says the rate is back below alertThreshold once the rejections leave the window, without a next candle', async () => {
      const { dir, lines, app, client } = await startRecording();
      try {
        await client.connect();
        const [candle] = smallCandles(1);
        expect(
          (await client.request({ id: 'bad', type: 'candle', payload: { ...candle, n: -3 } })).success,
        ).toBe(false);
        expect(lines).toContainEqual({ level: 'error', message: 'candle rejection rate above maxErrorRate' });
        // No candle follows: the window rolls over (400 ms) and the recovery is logged then.
        await waitFor(
          () => lines.some((line) => line.message === BACK_BELOW),
          3_000,
          'the recovery log line',
        );
        expect(lines.filter((line) => line.message === BACK_BELOW)).toEqual([
          { level: 'info', message: BACK_BELOW },
        ]);
        expect(await validationHealth(app.healthPort as number)).toMatchObject({
          status: 'healthy',
          windowCandles: 0,
        });
      } finally {
        await client.disconnect();
        await app.stop();
        await dir.remove();
      }
    });

    it('is not logged after stop(): stop() clears the pending re-check', async () => {
      const { dir, lines, app, client } = await startRecording();
      try {
        await client.connect();
        const [candle] = smallCandles(1);
        await client.request({ id: 'bad', type: 'candle', payload: { ...candle, n: -3 } });
        await client.disconnect();
        await app.stop();
        await new Promise((resolve) => setTimeout(resolve, 3 * validation.windowMs));
        expect(lines.some((line) => line.message === BACK_BELOW)).toBe(false);
      } finally {
        await client.disconnect();
        await app.stop();
        await dir.remove();
      }
    });
  });
});
