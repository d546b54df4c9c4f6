import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';
import { UnixSocketClient } from '@flowtrace/ipc/features/unix-socket';
import { openCandleStore } from '@flowtrace/persistence/shared/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonCommand, runCli, startDaemon, waitFor } from './daemonProcess';
import { NotifyListener } from './notifySocket';

let dir: string;
let listener: NotifyListener;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowtrace-daemon-life-'));
  listener = new NotifyListener(join(dir, 'notify.sock'));
});
afterEach(() => {
  listener.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['.ftcd files (default)', false],
  ['SQLite FlatBuffers', true],
])(`daemon lifecycle on %s (${daemonCommand().label})`, (_label, useDatabase) => {
  it('notifies READY once serving, acknowledges only durable candles, the CLI reads while it writes, and SIGTERM loses nothing', async () => {
    const daemon = startDaemon(
      [
        '--data-dir',
        join(dir, 'data'),
        '--health-check-port',
        '0',
        '--storage-use-database',
        String(useDatabase),
      ],
      { cwd: dir, env: { NOTIFY_SOCKET: listener.path, WATCHDOG_USEC: '2000000' } },
    );
    try {
      await waitFor(() => listener.has('READY', '1'), `READY=1 (daemon output: ${daemon.output()})`);
    } catch (error) {
      daemon.child.kill('SIGKILL');
      throw error;
    }
    const socketPath = join(dir, 'data', 'flowtrace.sock');
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(listener.messages[0]).toMatch(/^STATUS=Starting/);
    expect(listener.messages.find((m) => m.startsWith('READY=1'))).toMatch(
      /\nSTATUS=Ready: socket .*\nMAINPID=\d+$/,
    );
    await waitFor(() => listener.has('WATCHDOG', '1'), 'a watchdog ping');

    const candles = generateFootprintCandles({ seed: 7, count: 600, bins: 20, symbol: 'LTCUSDT' });
    const client = new UnixSocketClient({ socketPath, connectTimeout: 5_000 });
    await client.connect();
    const acked: FootprintCandleDTO[] = [];
    const requests = candles.map(async (candle, index) => {
      // Stagger so the SIGTERM lands while requests are still being sent and processed.
      await new Promise((r) => setTimeout(r, Math.floor(index / 50) * 20));
      try {
        const response = await client.request(
          { type: 'candle:complete', payload: candle },
          { timeoutMs: 10_000 },
        );
        if (response.success) acked.push(candle);
      } catch {
        // Refused or disconnected during shutdown: not acknowledged, so the producer keeps it.
      }
    });
    await waitFor(() => acked.length >= 100, '100 acknowledgements');
    // The CLI opens the live store read-only while the daemon keeps writing.
    const storeDir = join(dir, 'data', 'candles');
    const ackedBefore = acked.length;
    const series = await runCli(['series', storeDir, '--format', 'json'], dir);
    expect(series.code, series.stderr).toBe(0);
    const [live] = JSON.parse(series.stdout) as Array<{ symbol: string; count: number }>;
    expect(live?.symbol).toBe('LTCUSDT');
    expect(live?.count).toBeGreaterThanOrEqual(ackedBefore);
    const query = await runCli(
      [
        'query',
        storeDir,
        '--exchange',
        'binance',
        '--symbol',
        'LTCUSDT',
        '--timeframe',
        '1m',
        '--format',
        'jsonl',
      ],
      dir,
    );
    expect(query.code, query.stderr).toBe(0);
    const seen = query.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FootprintCandleDTO);
    expect(seen.length).toBeGreaterThanOrEqual(ackedBefore);
    for (const c of seen) expect(c).toEqual(candles.find((x) => x.t === c.t)); // whole candles only
    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    await Promise.all(requests);
    await client.disconnect();

    expect(code, daemon.output()).toBe(0);
    expect(listener.has('STOPPING', '1')).toBe(true);
    expect(acked.length).toBeGreaterThanOrEqual(100);
    expect(daemon.output()).toContain('stopped cleanly');

    const store = await openCandleStore({ baseDir: storeDir, useDatabase, readOnly: true });
    try {
      const stored = await store.findBySymbol('LTCUSDT', 'binance', '1m');
      const byTime = new Map(stored.map((c) => [c.t, c]));
      for (const candle of acked) expect(byTime.get(candle.t)).toEqual(candle);
    } finally {
      await store.close();
    }
  });
});

describe(`daemon signals (${daemonCommand().label})`, () => {
  it('a second signal during the graceful stop forces the exit with code 130', async () => {
    const daemon = startDaemon(['--data-dir', join(dir, 'data'), '--health-check-port', '0'], {
      cwd: dir,
      env: { NOTIFY_SOCKET: listener.path },
    });
    await waitFor(() => listener.has('READY', '1'), `READY=1 (daemon output: ${daemon.output()})`);
    // Two different signals: POSIX does not queue a repeated signal, so SIGTERM twice could merge into one.
    daemon.child.kill('SIGTERM');
    daemon.child.kill('SIGINT');
    const { code } = await daemon.exited;
    expect(code, daemon.output()).toBe(130);
    expect(daemon.output()).toContain('second signal: forcing exit');
  });

  it('STOPPING=1 carries EXTEND_TIMEOUT_USEC: systemd waits for a stopTimeoutMs longer than TimeoutStopSec', async () => {
    const daemon = startDaemon(
      ['--data-dir', join(dir, 'data'), '--health-check-port', '0', '--stop-timeout-ms', '40000'],
      { cwd: dir, env: { NOTIFY_SOCKET: listener.path } },
    );
    await waitFor(() => listener.has('READY', '1'), `READY=1 (daemon output: ${daemon.output()})`);
    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    expect(code, daemon.output()).toBe(0);
    const stopping = listener.messages.find((m) => m.startsWith('STOPPING=1'));
    // 40 s + the daemon's 5 s grace + 5 s to exit, in microseconds.
    expect(stopping).toBe(
      'STOPPING=1\nSTATUS=Stopping after SIGTERM: draining in-flight candles\nEXTEND_TIMEOUT_USEC=50000000',
    );
  });
});

describe.runIf(process.platform === 'linux' && existsSync('/proc/self'))(
  `daemon directories the file system refuses (${daemonCommand().label})`,
  () => {
    /** Starts the daemon with `flag value`; it must exit by itself within 15 s (a spin is killed). */
    async function startThatMustExit(flag: string, value: string) {
      const daemon = startDaemon(['--data-dir', join(dir, 'data'), '--health-check-port', '0', flag, value], {
        cwd: dir,
        env: { NOTIFY_SOCKET: listener.path },
      });
      const closed = new Promise<void>((r) => daemon.child.on('close', () => r()));
      const outcome = await Promise.race([
        daemon.exited,
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000).unref()),
      ]);
      if (outcome === 'hung') daemon.child.kill('SIGKILL');
      await closed;
      if (outcome === 'hung') throw new Error(`the daemon with ${flag} ${value} did not exit within 15 s`);
      return { outcome, output: daemon.output() };
    }

    it('a socketPath whose directory the file system refuses (procfs) exits 1 at once, naming it, instead of spinning', async () => {
      const socketPath = `/proc/flowtrace-no-such-dir-${process.pid}/f.sock`;
      // The old recursive mkdirSync looped at 100% CPU and, being synchronous, never saw SIGTERM.
      const { outcome, output } = await startThatMustExit('--socket-path', socketPath);
      expect(outcome.code, output).toBe(1);
      expect(output).toContain(`cannot create the directory of socketPath ${socketPath}`);
      expect(output).toContain('the file system of /proc does not let a directory be created there');
      expect(listener.messages.find((m) => m.startsWith('STOPPING=1'))).toMatch(
        /STATUS=Start-up failed: cannot create the directory of socketPath/,
      );
    }, 30_000);

    it('a queuePath whose directory the file system refuses (procfs) fails start-up at once, naming it, instead of spinning', async () => {
      const queuePath = `/proc/flowtrace-no-such-dir-${process.pid}/q.db`;
      // The old recursive mkdirSync (QueueConsumer, then SQLiteQueue) spun at 100% CPU and never saw SIGTERM.
      const { outcome, output } = await startThatMustExit('--queue-path', queuePath);
      expect(outcome.code, output).not.toBe(0);
      expect(output).toContain(
        `Cannot create the directory of queuePath /proc/flowtrace-no-such-dir-${process.pid}`,
      );
      expect(output).toContain('the file system of /proc does not let a directory be created there');
    }, 30_000);

    it('a rejectedLogPath whose directory the file system refuses (procfs) fails start-up at once with exit 78, naming it', async () => {
      const rejectedLogPath = `/proc/flowtrace-no-such-dir-${process.pid}/r.jsonl`;
      // Before, it started, and then answered every invalid candle as a retryable storage failure
      // (retried from the queue forever); with a recursive mkdir, not at all.
      const { outcome, output } = await startThatMustExit('--rejected-log-path', rejectedLogPath);
      expect(outcome.code, output).toBe(78);
      expect(output).toContain('FLOWTRACE_REJECTED_LOG_UNAVAILABLE');
      expect(output).toContain(`Cannot open the rejected-candles log ${rejectedLogPath}`);
      expect(output).toContain('the file system of /proc does not let a directory be created there');
      expect(listener.has('READY', '1')).toBe(false);
    }, 30_000);
  },
);
