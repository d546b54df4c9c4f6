import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from './daemonProcess';
import { NotifyListener } from './notifySocket';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const tsx = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const entry = join(import.meta.dirname, 'slowStartDaemon.ts');

let dir: string;
let listener: NotifyListener;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-daemon-startsig-'));
  listener = new NotifyListener(join(dir, 'notify.sock'));
});
afterEach(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The daemon (sources, through tsx) holding its start-up for `holdMs` once the store is open. */
function startSlowDaemon(holdMs: number) {
  const marker = join(dir, 'storage-opened');
  const child = spawn(
    process.execPath,
    [
      '--conditions=flowtrace-source',
      '--import',
      tsx,
      entry,
      '--data-dir',
      join(dir, 'data'),
      '--health-check-port',
      '0',
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        NOTIFY_SOCKET: listener.path,
        SLOW_START_MARKER: marker,
        SLOW_START_HOLD_MS: String(holdMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, marker, exited, output: () => output };
}

describe('signals during start-up (before READY=1)', () => {
  it('SIGTERM stops the daemon with 0, tells systemd it is stopping (not that start-up failed), never READY', async () => {
    const daemon = startSlowDaemon(1_000);
    await waitFor(() => existsSync(daemon.marker), `the store opened (output: ${daemon.output()})`, 60_000);
    daemon.child.kill('SIGTERM');
    const code = await daemon.exited;
    expect(code, daemon.output()).toBe(0);
    expect(listener.has('READY')).toBe(false);
    const stopping = listener.messages.find((m) => m.startsWith('STOPPING=1'));
    expect(stopping).toMatch(/\nSTATUS=Stopping: a stop was requested during start-up\n/);
    expect(stopping).toMatch(/\nEXTEND_TIMEOUT_USEC=20000000$/); // stopTimeoutMs 10 s + 5 s grace + 5 s to exit
    expect(daemon.output()).not.toContain('start-up failed');
    expect(daemon.output()).toContain('stopped during start-up');
  }, 90_000);

  it('a second signal exits at once with 130, as it does once running', async () => {
    const daemon = startSlowDaemon(1_000);
    await waitFor(() => existsSync(daemon.marker), `the store opened (output: ${daemon.output()})`, 60_000);
    // Two different signals: POSIX does not queue a repeated signal, so SIGTERM twice could merge into one.
    daemon.child.kill('SIGTERM');
    daemon.child.kill('SIGINT');
    const code = await daemon.exited;
    expect(code, daemon.output()).toBe(130);
    expect(daemon.output()).toContain('second signal: forcing exit');
    expect(listener.has('READY')).toBe(false);
  }, 90_000);
});
