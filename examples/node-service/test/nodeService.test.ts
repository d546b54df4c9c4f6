import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateFootprintCandles } from '@flowtrace/core';
import { HybridPublisher } from '@flowtrace/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedPersistence } from '../src/embeddedPersistence';

const exampleDir = resolve(import.meta.dirname, '..');
const tsxLoader = pathToFileURL(
  resolve(exampleDir, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs'),
).href;

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'flowtrace-node-service-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('Node service example', () => {
  it('embeds the service: producers publish, health answers, stop releases everything', async () => {
    const persistence = await startEmbeddedPersistence(home);
    const health = await fetch(`http://127.0.0.1:${persistence.healthPort}/health`);
    expect(health.status).toBe(200);

    const publisher = new HybridPublisher({
      socketPath: persistence.socketPath,
      queuePath: join(home, 'producer.db'),
    });
    // Until its first connection is up the publisher spills to its queue: wait for the socket.
    expect(await publisher.waitForConnection(5_000)).toBe(true);
    const candles = generateFootprintCandles({ seed: 5, count: 10, bins: 5 });
    const results = await Promise.all(
      candles.map((payload) => publisher.publish({ type: 'candle:complete', payload })),
    );
    expect(results.map((r) => r.via)).toEqual(candles.map(() => 'socket'));
    await publisher.close();
    await persistence.stop();
  });

  it('runs as a program that stops on SIGTERM and exits 0 by itself', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=flowtrace-source', '--import', tsxLoader, 'src/main.ts'],
      {
        cwd: exampleDir,
        env: { ...process.env, FLOWTRACE_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    let running = true;
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        running = false;
        r(code);
      }),
    );
    const deadline = Date.now() + 20_000;
    while (running && !output.includes('persistence service ready') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output).toContain('persistence service ready');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('every acknowledged candle is on disk');
  });
});
