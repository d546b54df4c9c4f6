import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnixSocketClient } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configIn, getJson, makeTempDir, smallCandles, startService, type TempDir } from './helpers';

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name));
}

describe('health of the default .ftcd store', () => {
  let dir: TempDir;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await dir.remove();
  });

  it('turns unhealthy when the store quarantines a corrupt file, and says which', async () => {
    const first = await startService(dir.path);
    const client = new UnixSocketClient({ socketPath: configIn(dir.path).socketPath, autoReconnect: false });
    await client.connect();
    // One request at a time: one block each, so the corrupt block has valid data after it.
    for (const [k, candle] of smallCandles(3).entries()) {
      expect((await client.request({ id: `c${k}`, type: 'candle', payload: candle })).success).toBe(true);
    }
    await client.disconnect();
    await first.app.stop();

    const [file] = await findFiles(join(dir.path, 'candles'), '.ftcd');
    expect(file).toBeDefined();
    const bytes = await readFile(file as string);
    const headerLength = bytes.readUInt16LE(6);
    bytes[headerLength + 44 + 8] = (bytes[headerLength + 44 + 8] ?? 0) ^ 0xff; // inside the first block's payload
    await writeFile(file as string, bytes);

    const second = await startService(dir.path, { healthCheckPort: 0 });
    try {
      await second.app.storage.listSeries(); // reading the series makes the store scan the file
      const health = await getJson(second.app.healthPort as number, '/health');
      expect(health.status).toBe(503);
      const storage = (
        health.body as { components: { storage: { reason: string; problems: Array<{ code: string }> } } }
      ).components.storage;
      expect(storage.reason).toMatch(/quarantined/);
      expect(storage.problems.map((p) => p.code)).toContain('FTCD_CORRUPT_BLOCK');
    } finally {
      await second.app.stop();
    }
  });
});
