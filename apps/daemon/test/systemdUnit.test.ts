import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exitCodes';

const unitPath = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'deploy',
  'systemd',
  'flowtrace-persistence.service',
);
const unit = readFileSync(unitPath, 'utf8');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!hasSystemdAnalyze)
  console.warn('systemd-analyze not installed: skipping `systemd-analyze verify` of the unit');

const dir = mkdtempSync(join(tmpdir(), 'flowtrace-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `systemd-analyze verify` exits 0 even for bad directives; what it prints is the verdict. */
function verify(text: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  const result = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim();
}

describe('deploy/systemd/flowtrace-persistence.service', () => {
  it('declares notify readiness, its directories, an unprivileged user and the hardening', () => {
    const directives = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    for (const expected of [
      'Type=notify',
      'RuntimeDirectory=flowtrace',
      'StateDirectory=flowtrace',
      'User=flowtrace',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'ProtectHome=yes',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'WatchdogSec=30',
      'Environment=UV_THREADPOOL_SIZE=16',
    ]) {
      expect(directives).toContain(expected);
    }
    // V8's JIT needs writable and executable pages.
    expect(directives.some((l) => l.startsWith('MemoryDenyWriteExecute='))).toBe(false);
  });

  it('agrees with the daemon: exit codes it must not restart on, and a stop timeout above the default drain', () => {
    const value = (key: string) =>
      unit
        .split('\n')
        .find((l) => l.startsWith(`${key}=`))
        ?.slice(key.length + 1);
    const noRestart = (value('RestartPreventExitStatus') ?? '').split(/\s+/).map(Number);
    expect(noRestart).toEqual(expect.arrayContaining([EXIT.USAGE, EXIT.CONFIG]));
    expect(value('Restart')).toBe('on-failure');
    expect(value('NotifyAccess')).toBe('main');
    // Default stopTimeoutMs (10 s) + the daemon's 5 s grace fits; longer ones extend it (EXTEND_TIMEOUT_USEC).
    expect(Number(value('TimeoutStopSec'))).toBeGreaterThanOrEqual(15);
    // The watchdog pings every WatchdogSec/2 from the event loop.
    expect(Number(value('WatchdogSec'))).toBeGreaterThan(0);
  });

  it.skipIf(!hasSystemdAnalyze)('passes systemd-analyze verify (and a broken copy does not)', () => {
    expect(verify(unit, 'flowtrace-persistence.service')).toBe('');
    const broken = verify(unit.replace('Type=notify', 'Type=notifyy'), 'broken.service');
    expect(broken).toMatch(/Failed to parse service type/);
  });
});
