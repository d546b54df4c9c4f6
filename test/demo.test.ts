import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const DEMO_DEADLINE_MS = 170_000;
const dataDir = mkdtempSync(join(tmpdir(), 'flowtrace-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('pnpm demo (the README main command)', () => {
  it(
    'runs the whole pipeline, survives the SIGKILL half-way, and loses no candle',
    async () => {
      const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
      const child = spawn(
        process.execPath,
        ['--conditions=flowtrace-source', '--import', tsx, join(root, 'scripts', 'demo.ts')],
        {
          cwd: root,
          env: { ...process.env, FLOWTRACE_DATA_DIR: dataDir, FLOWTRACE_HEALTH_CHECK_PORT: '0' },
          // Its own process group, so that the deadline below can kill the demo and its daemon together.
          detached: true,
        },
      );
      let output = '';
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        output += c.toString();
      });
      // Fail with the demo's own output rather than a bare vitest timeout.
      let timedOut = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      }, DEMO_DEADLINE_MS);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      clearTimeout(deadline);
      expect(timedOut, `the demo did not finish within ${DEMO_DEADLINE_MS} ms; its output:\n${output}`).toBe(
        false,
      );
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
});
