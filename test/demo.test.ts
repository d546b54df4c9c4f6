import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const DEMO_DEADLINE_MS = 170_000;
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowtrace-demo-'));
  dataDirs.push(dataDir);
  return dataDir;
}

/**
 * Runs `pnpm demo`'s script in its own process group with `env` added; resolves with its exit
 * code and output. At DEMO_DEADLINE_MS it kills the group (demo and daemon) and fails with the
 * output, rather than a bare test timeout.
 */
async function runDemo(
  env: Record<string, string>,
  dataDir = newDataDir(),
): Promise<{ code: number | null; output: string }> {
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(
    process.execPath,
    ['--conditions=flowtrace-source', '--import', tsx, join(root, 'scripts', 'demo.ts')],
    { cwd: root, env: { ...process.env, FLOWTRACE_DATA_DIR: dataDir, ...env }, detached: true },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString();
  });
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, DEMO_DEADLINE_MS);
  // 'close': every holder of the demo's stdout/stderr, its daemon included, has exited.
  const code = await new Promise<number | null>((r) => child.on('close', r));
  clearTimeout(deadline);
  expect(timedOut, `the demo did not finish within ${DEMO_DEADLINE_MS} ms; its output:\n${output}`).toBe(
    false,
  );
  return { code, output };
}

describe('pnpm demo (the README main command)', () => {
  it(
    'runs the whole pipeline, survives the SIGKILL half-way, and loses no candle',
    async () => {
      // No health port given: the demo's default (ephemeral) must not depend on 3001 being free.
      const { code, output } = await runDemo({});
      expect(code, output).toBe(0);
      expect(output).toContain('killing the daemon with SIGKILL');
      expect(output).toContain('daemon restarted');
      const published = /published (\d+), stored identical (\d+), lost (\d+)/.exec(output);
      expect(published, output).not.toBeNull();
      expect(Number(published?.[1])).toBeGreaterThan(1000);
      expect(published?.[2]).toBe(published?.[1]);
      expect(published?.[3]).toBe('0');
    },
    DEMO_DEADLINE_MS + 10_000,
  );

  it(
    'fails at once, with the reason, when its daemon cannot start (health port taken)',
    async () => {
      const busy = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
      const { port } = busy.address() as { port: number };
      try {
        const { code, output } = await runDemo({ FLOWTRACE_HEALTH_CHECK_PORT: String(port) });
        expect(code, output).toBe(1);
        expect(output).toContain('EADDRINUSE');
        // Seen exiting, not the socket wait's 30 s timeout ("did not come up within").
        expect(output).toContain('the daemon exited (code 1) before its socket came up');
      } finally {
        busy.close();
      }
    },
    DEMO_DEADLINE_MS + 10_000,
  );

  it(
    'refuses to run beside a daemon already serving its data directory',
    async () => {
      const dataDir = newDataDir();
      // Something accepting connections on the demo's socket path, as a running daemon does.
      const running = createServer((socket) => socket.destroy());
      await new Promise<void>((r) => running.listen(join(dataDir, 'flowtrace.sock'), r));
      try {
        const { code, output } = await runDemo({}, dataDir);
        expect(code, output).toBe(1);
        expect(output).toContain('a daemon is already serving');
        expect(output).not.toContain('daemon started');
      } finally {
        running.close();
      }
    },
    DEMO_DEADLINE_MS + 10_000,
  );
});
