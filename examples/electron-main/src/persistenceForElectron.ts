import { join } from 'node:path';
import { bootstrap } from '@flowtrace/persistence';

/**
 * The part of Electron's `app` this integration uses. Written as an interface so
 * the logic runs (and is tested) under plain Node; in Electron pass `app`.
 */
export interface ElectronAppLike {
  getPath(name: 'userData'): string;
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown;
  quit(): void;
}

export interface PersistenceHandle {
  socketPath: string;
  healthPort: number | undefined;
  stopped: Promise<void>;
}

/**
 * Starts the persistence service in the Electron main process with its files in
 * `userData`, and stops it gracefully on quit: the first `before-quit` is
 * deferred until every in-flight candle is durable, then the app quits for real.
 */
export async function startPersistenceForElectron(electronApp: ElectronAppLike): Promise<PersistenceHandle> {
  const userData = electronApp.getPath('userData');
  const socketPath = join(userData, 'flowtrace.sock');
  const { app: persistence } = await bootstrap({
    socketPath,
    queuePath: join(userData, 'queue.db'),
    storage: { baseDir: join(userData, 'candles') },
    healthCheckPort: 0,
  });
  await persistence.start();

  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping = false;
  let readyToQuit = false;
  electronApp.on('before-quit', (event) => {
    if (readyToQuit) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    persistence
      .stop()
      .catch((error: unknown) => console.error('FlowTrace persistence did not stop cleanly', error))
      .finally(() => {
        readyToQuit = true;
        resolveStopped();
        electronApp.quit();
      });
  });
  return { socketPath, healthPort: persistence.healthPort, stopped };
}
