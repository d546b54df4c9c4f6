import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemdNotifier } from '../src/systemd/SystemdNotifier';
import { waitFor } from './daemonProcess';
import { NotifyListener } from './notifySocket';

let dir: string;
let listener: NotifyListener;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-notify-'));
  listener = new NotifyListener(join(dir, 'notify.sock'));
});
afterEach(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SystemdNotifier (sd_notify protocol over a real datagram socket)', () => {
  it('does nothing when NOTIFY_SOCKET is unset', () => {
    const notifier = new SystemdNotifier({ env: {} });
    expect(notifier.enabled).toBe(false);
    notifier.ready('Ready');
    notifier.startWatchdog();
    expect(notifier.watchdogInterval).toBeUndefined();
    notifier.close();
  });

  it('sends READY=1, STATUS= and STOPPING=1 as newline-separated assignments in one datagram', async () => {
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: listener.path } });
    notifier.ready('Ready: socket /run/x.sock');
    notifier.status('line one\nline two');
    notifier.stopping('Stopping');
    await waitFor(() => listener.messages.length === 3, 'three datagrams');
    expect(listener.messages[0]).toBe(`READY=1\nSTATUS=Ready: socket /run/x.sock\nMAINPID=${process.pid}`);
    expect(listener.messages[1]).toBe('STATUS=line one line two'); // a newline would start a new assignment
    expect(listener.messages[2]).toBe('STOPPING=1\nSTATUS=Stopping');
    notifier.close();
  });

  it('pings WATCHDOG=1 at half of WATCHDOG_USEC, only for the watched pid, only while alive', async () => {
    let alive = true;
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '200000', WATCHDOG_PID: String(process.pid) },
    });
    expect(notifier.watchdogInterval).toBe(100);
    notifier.startWatchdog(() => alive);
    await waitFor(
      () => listener.messages.filter((m) => m === 'WATCHDOG=1').length >= 3,
      'three watchdog pings',
    );
    alive = false;
    const count = listener.messages.length;
    await new Promise((r) => setTimeout(r, 350));
    expect(listener.messages.length).toBe(count);
    notifier.close();

    const otherPid = new SystemdNotifier({
      env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' },
    });
    expect(otherPid.watchdogInterval).toBeUndefined();
    otherPid.close();
  });

  it('reports an abstract-namespace socket as unsupported instead of failing', () => {
    const warnings: string[] = [];
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '@/org/systemd' },
      onWarning: (m) => warnings.push(m),
    });
    expect(notifier.enabled).toBe(false);
    expect(warnings[0]).toMatch(/abstract namespace/);
  });
});
