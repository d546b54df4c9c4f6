import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { CandleStoragePort } from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { createDirectories } from '../../storage/file/createDirectories';

const PROBE_FILE = '.flowtrace-probe';

/**
 * Storage probe used while the circuit breaker is open: the store must flush,
 * and its directory must take a write and its syncs (catches ENOSPC / EIO /
 * read-only remounts without writing a candle). It makes the system calls an
 * append makes (a positional vectored write, fdatasync) plus fsync (new files
 * and directories): a fault on any one of them keeps the breaker open, instead
 * of health flapping between 503 and 200 while candle writes keep failing.
 */
export function createWritabilityCheck(storage: CandleStoragePort, baseDir: string): () => Promise<void> {
  return async () => {
    await storage.flush();
    await createDirectories(baseDir, 'the store directory');
    const handle = await open(join(baseDir, PROBE_FILE), 'w');
    try {
      await handle.writev([Buffer.from(`${new Date().toISOString()}\n`)], 0);
      await handle.datasync();
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
}
