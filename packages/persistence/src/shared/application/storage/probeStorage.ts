import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { CandleStoragePort } from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';

const PROBE_FILE = '.flowtrace-probe';

/**
 * Storage probe used while the circuit breaker is open: the store must flush,
 * and its directory must take a write + fsync (catches ENOSPC / EIO / read-only
 * remounts without writing a candle).
 */
export function createStorageProbe(storage: CandleStoragePort, baseDir: string): () => Promise<void> {
  return async () => {
    await storage.flush();
    await mkdir(baseDir, { recursive: true });
    const handle = await open(join(baseDir, PROBE_FILE), 'w');
    try {
      await handle.write(`${new Date().toISOString()}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
}
