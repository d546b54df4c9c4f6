import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap } from '@flowtrace/persistence';

export interface EmbeddedPersistence {
  socketPath: string;
  healthPort: number | undefined;
  stop(): Promise<void>;
}

/** Starts the persistence service with everything under `home`. */
export async function startEmbeddedPersistence(
  home: string,
  healthCheckPort = 0,
): Promise<EmbeddedPersistence> {
  mkdirSync(home, { recursive: true });
  const socketPath = join(home, 'flowtrace.sock');
  const { app } = await bootstrap({
    socketPath,
    queuePath: join(home, 'queue.db'),
    storage: { baseDir: join(home, 'candles') },
    healthCheckPort, // 0: an ephemeral port, read back from app.healthPort
    validation: { enabled: true, strictMode: true, maxErrorRate: 0.05, alertThreshold: 0.01 },
  });
  await app.start();
  return { socketPath, healthPort: app.healthPort, stop: () => app.stop() };
}
