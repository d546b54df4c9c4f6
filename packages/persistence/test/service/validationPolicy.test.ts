import { UnixSocketClient } from '@flowtrace/ipc';
import { describe, expect, it } from 'vitest';
import { InMemoryCandleStorage } from '../../src/features/candlePersistence/infrastructure/adapters/InMemoryCandleStorage';
import { configIn, makeTempDir, smallCandles, startService } from './helpers';

/** A candle with only a soft issue (time zone other than UTC). */
const [base] = smallCandles(1);
const soft = { ...base, tz: 'CET' };
const hard = { ...base, v: -1 };

async function replyFor(validation: { enabled: boolean; strictMode: boolean }, payload: unknown) {
  const dir = await makeTempDir();
  const { app } = await startService(
    dir.path,
    { validation: { ...validation, maxErrorRate: 1, alertThreshold: 1 } },
    { storage: () => InMemoryCandleStorage.open() },
  );
  const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
  try {
    await client.connect();
    return await client.request({ id: 'p', type: 'candle', payload });
  } finally {
    await client.disconnect();
    await app.stop();
    await dir.remove();
  }
}

describe('validation policy from the config', () => {
  it('non-strict accepts a soft issue, strict rejects it', async () => {
    expect((await replyFor({ enabled: true, strictMode: false }, soft)).success).toBe(true);
    const strict = await replyFor({ enabled: true, strictMode: true }, soft);
    expect(strict).toMatchObject({ success: false, code: 'FLOWTRACE_CANDLE_REJECTED', retryable: false });
    expect(strict.error).toContain('[time-zone]');
  });

  it('disabled validation still refuses what cannot be stored', async () => {
    expect((await replyFor({ enabled: false, strictMode: true }, soft)).success).toBe(true);
    expect((await replyFor({ enabled: false, strictMode: false }, hard)).code).toBe(
      'FLOWTRACE_CANDLE_REJECTED',
    );
  });
});
