import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { daemonCommand, runDaemonOnce } from './daemonProcess';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-daemon-startup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  level: string;
  msg: string;
  code?: string;
  err?: { message?: string; code?: string };
}

/** The JSON lines of the daemon's stdout (its log); anything else there fails the test. */
function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

const failures = (stdout: string) =>
  logLines(stdout).filter((line) => line.level === 'error' || line.level === 'fatal');

describe(`a failed start-up is logged once (${daemonCommand().label})`, () => {
  it('one error line with the error code per failure, nothing on stderr, the documented exit code', async () => {
    const notSocket = join(dir, 'not-a-socket');
    writeFileSync(notSocket, 'precious');
    const sqliteStore = join(dir, 'sqlite-store');
    await (await openCandleStore({ baseDir: sqliteStore, useDatabase: true })).close();
    const cases: Array<{
      what: string;
      args: string[];
      exit: number;
      code: string | undefined;
      text: RegExp;
    }> = [
      {
        what: 'socketPath names a file (the service refuses it)',
        args: ['--socket-path', notSocket],
        exit: 78,
        code: 'FLOWTRACE_SOCKET_PATH_NOT_SOCKET',
        text: /exists and is not a socket/,
      },
      {
        what: 'a store of the other kind (the service cannot open it)',
        args: ['--storage-base-dir', sqliteStore],
        exit: 78,
        code: 'FLOWTRACE_STORE_KIND_MISMATCH',
        text: /holds a SQLite store/,
      },
      {
        what: "the queue's directory is a file (the service cannot create it)",
        args: ['--queue-path', join(notSocket, 'queue.db')],
        exit: 1,
        code: 'EEXIST',
        text: /Cannot create the directory of queuePath/,
      },
      {
        what: "the socket's directory is a file (the daemon cannot create it)",
        args: ['--socket-path', join(notSocket, 'f.sock')],
        exit: 1,
        code: 'EEXIST',
        text: /cannot create the directory of socketPath/,
      },
    ];
    // A health port another process listens on: restartable (exit 1), that process may go away;
    // a health host that is not an address of this machine (TEST-NET-1): a configuration error.
    const portHolder = createServer();
    await new Promise<void>((resolve) => portHolder.listen(0, '127.0.0.1', resolve));
    const heldPort = (portHolder.address() as AddressInfo).port;
    cases.push(
      {
        what: 'the health port is in use',
        args: ['--health-check-port', String(heldPort)],
        exit: 1,
        code: 'FLOWTRACE_HEALTH_PORT_IN_USE',
        text: new RegExp(`127\\.0\\.0\\.1:${heldPort} is already in use`),
      },
      {
        what: 'the health host is not an address of this machine',
        args: ['--health-check-host', '192.0.2.1'],
        exit: 78,
        code: 'FLOWTRACE_HEALTH_LISTEN_FAILED',
        text: /Cannot start the health server on 192\.0\.2\.1/,
      },
    );
    onTestFinished(() => new Promise<void>((resolve) => portHolder.close(() => resolve())));
    for (const { what, args, exit, code, text } of cases) {
      const run = await runDaemonOnce(
        ['--data-dir', join(dir, 'data'), '--health-check-port', '0', ...args],
        {
          cwd: dir,
        },
      );
      expect(run.code, `${what}\n${run.output}`).toBe(exit);
      const lines = failures(run.stdout);
      expect(lines, `${what}\n${run.output}`).toHaveLength(1);
      const [line] = lines as [LogLine];
      expect(line.err?.message, what).toMatch(text);
      expect(line.err?.code ?? line.code, what).toBe(code);
      expect(run.stderr, what).toBe('');
    }
  });

  it('an invalid setting found by the service is reported once, on stderr with every problem, exit 78', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'batchSize: -1\nsocketMode: 0711\n');
    const run = await runDaemonOnce(['--config', file, '--data-dir', join(dir, 'data')], { cwd: dir });
    expect(run.code, run.output).toBe(78);
    expect(run.stderr.match(/invalid configuration/g), run.stderr).toHaveLength(1);
    expect(run.stderr).toContain('- batchSize:');
    expect(run.stderr).toContain('- socketMode: must not grant execute permission');
    // Not a second time as a log line.
    expect(failures(run.stdout)).toEqual([]);
  });
});
