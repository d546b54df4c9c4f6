import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFootprintCandles } from '@flowtrace/core';
import { UnixSocketClient } from '@flowtrace/ipc/features/unix-socket';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ElectronAppLike, startPersistenceForElectron } from '../src/persistenceForElectron';

/**
 * Electron's `app` cannot run here (its binary is not downloadable on these
 * machines), so this stand-in behaves like it for what the example uses:
 * `getPath('userData')`, `before-quit` events, and `quit()` emitting
 * `before-quit` again unless a listener prevents it.
 */
class FakeElectronApp extends EventEmitter implements ElectronAppLike {
  quits = 0;
  exited = false;
  constructor(private readonly userData: string) {
    super();
  }
  getPath(): string {
    return this.userData;
  }
  quit(): void {
    this.quits++;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exited = true;
  }
}

let userData: string;
beforeEach(() => {
  userData = mkdtempSync(join(tmpdir(), 'flowtrace-electron-'));
});
afterEach(() => rmSync(userData, { recursive: true, force: true }));

describe('Electron main-process example (logic run under plain Node)', () => {
  it('keeps its files in userData and defers quitting until every acknowledged candle is durable', async () => {
    const electronApp = new FakeElectronApp(userData);
    const handle = await startPersistenceForElectron(electronApp);
    expect(handle.socketPath).toBe(join(userData, 'flowtrace.sock'));
    expect(handle.healthPort).toBeGreaterThan(0);

    const candles = generateFootprintCandles({ seed: 3, count: 20, bins: 10, symbol: 'ETHUSDT' });
    const client = new UnixSocketClient({ socketPath: handle.socketPath, connectTimeout: 2_000 });
    await client.connect();
    const responses = await Promise.all(
      candles.map((payload) => client.request({ type: 'candle:complete', payload }, { timeoutMs: 5_000 })),
    );
    await client.disconnect();
    expect(responses.every((r) => r.success)).toBe(true);

    electronApp.quit(); // the user quits: the first before-quit is prevented while the service drains
    expect(electronApp.exited).toBe(false);
    await handle.stopped;
    expect(electronApp.quits).toBe(2); // the example quits again once stopped …
    expect(electronApp.exited).toBe(true); // … and that quit goes through
    expect(existsSync(handle.socketPath)).toBe(false);

    const store = await openCandleStore({ baseDir: join(userData, 'candles'), readOnly: true });
    try {
      expect(await store.findBySymbol('ETHUSDT', 'binance', '1m')).toEqual(candles);
    } finally {
      await store.close();
    }
  });
});
