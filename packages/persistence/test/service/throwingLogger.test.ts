import { UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrap, type LoggerPort } from '../../src/index';
import { LOGGER_FAILED_WARNING_CODE } from '../../src/shared/infrastructure/logging/NeverThrowingLogger';
import { configIn, makeTempDir, smallCandles, type TempDir } from './helpers';

/** A logger whose every method throws, as a broken transport or a buggy custom logger would. */
function throwingLogger(): LoggerPort & { lines: string[] } {
  const lines: string[] = [];
  const fail = (_obj: object, msg?: string): never => {
    lines.push(msg ?? '');
    throw new Error('log transport is down');
  };
  return { lines, debug: fail, info: fail, warn: fail, error: fail };
}

describe('an injected logger that throws', () => {
  let dir: TempDir;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  beforeEach(async () => {
    dir = await makeTempDir();
    warnings.length = 0;
    process.on('warning', onWarning);
  });

  afterEach(async () => {
    process.off('warning', onWarning);
    await dir.remove();
  });

  it('fails nothing: start() resolves, candles are acknowledged, rejections answered, stop() resolves; one process warning', async () => {
    const logger = throwingLogger();
    const config = configIn(dir.path);
    const { app } = await bootstrap(config, { logger });
    await app.start();
    const client = new UnixSocketClient({ socketPath: config.socketPath, autoReconnect: false });
    try {
      await client.connect();
      const [candle] = smallCandles(1);
      expect(await client.request({ id: 'good', type: 'candle:complete', payload: candle })).toMatchObject({
        success: true,
      });
      // A rejection logs a warning: the answer still comes.
      expect(
        await client.request({ id: 'bad', type: 'candle:complete', payload: { ...candle, h: -1 } }),
      ).toMatchObject({ success: false, code: 'FLOWTRACE_CANDLE_REJECTED' });
      expect(await app.storage.findLatest(candle!.s, candle!.ex, '1m', 5)).toHaveLength(1);
    } finally {
      await client.disconnect();
      await app.stop();
    }
    expect(logger.lines).toEqual(
      expect.arrayContaining(['persistence service started', 'persistence service stopped']),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => (w as NodeJS.ErrnoException).code === LOGGER_FAILED_WARNING_CODE)).toEqual([
      expect.objectContaining({ message: expect.stringContaining('log transport is down') }),
    ]);
  });
});
