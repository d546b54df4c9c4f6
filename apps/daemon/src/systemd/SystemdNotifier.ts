import { createRequire } from 'node:module';

/**
 * The sd_notify(3) protocol: newline-separated `KEY=VALUE` assignments sent as
 * one datagram to the AF_UNIX socket named by `$NOTIFY_SOCKET`. Node's `dgram`
 * has no AF_UNIX datagrams, so this uses the small `unix-dgram` addon.
 *
 * Does nothing at all when `NOTIFY_SOCKET` is unset (not run by systemd with
 * `Type=notify`). Abstract-namespace sockets (`@…`) are not supported by the
 * addon: the notifier reports that once and stays inactive.
 */
interface UnixDgramSocket {
  on(event: 'error', listener: (error: Error) => void): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    path: string,
    callback?: (error?: Error) => void,
  ): void;
  close(): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

export interface SystemdNotifierOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with problems (send failures, unsupported socket); never throws. */
  onWarning?: (message: string) => void;
  pid?: number;
}

export class SystemdNotifier {
  readonly socketPath: string | undefined;
  private readonly watchdogIntervalMs: number | undefined;
  private socket: UnixDgramSocket | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private readonly warn: (message: string) => void;

  constructor(options: SystemdNotifierOptions = {}) {
    const env = options.env ?? process.env;
    const pid = options.pid ?? process.pid;
    this.warn = options.onWarning ?? (() => {});
    const path = env.NOTIFY_SOCKET;
    if (path?.startsWith('@')) {
      this.warn(
        `NOTIFY_SOCKET ${path} is in the abstract namespace, which is not supported; not notifying systemd`,
      );
    } else if (path) {
      this.socketPath = path;
    }
    // systemd sets WATCHDOG_PID when the watchdog is meant for one process only.
    const watchdogPid = env.WATCHDOG_PID === undefined ? pid : Number(env.WATCHDOG_PID);
    const usec = Number(env.WATCHDOG_USEC);
    if (this.socketPath && watchdogPid === pid && Number.isFinite(usec) && usec > 0) {
      this.watchdogIntervalMs = Math.max(1, Math.floor(usec / 1000 / 2));
    }
  }

  get enabled(): boolean {
    return this.socketPath !== undefined;
  }

  /** Sends `KEY=VALUE` lines, e.g. `notify({READY: '1', STATUS: 'Ready'})`. */
  notify(fields: Record<string, string | number>): void {
    if (!this.socketPath) return;
    const message = Buffer.from(
      Object.entries(fields)
        .map(([key, value]) => `${key}=${String(value).replace(/\n/g, ' ')}`)
        .join('\n'),
    );
    try {
      this.socket ??= this.openSocket();
      this.socket.send(message, 0, message.length, this.socketPath, (error) => {
        if (error) this.warn(`sd_notify to ${this.socketPath} failed: ${error.message}`);
      });
    } catch (error) {
      this.warn(`sd_notify to ${this.socketPath} failed: ${(error as Error).message}`);
    }
  }

  ready(status: string): void {
    this.notify({ READY: 1, STATUS: status, MAINPID: process.pid });
  }

  /**
   * `STOPPING=1`. With `timeoutMs`, also `EXTEND_TIMEOUT_USEC=` (systemd 236+):
   * systemd waits at least that long from now before it SIGKILLs a stop that is
   * still draining, even past the unit's `TimeoutStopSec=` (never less than it).
   */
  stopping(status: string, timeoutMs?: number): void {
    this.notify({
      STOPPING: 1,
      STATUS: status,
      ...(timeoutMs === undefined ? {} : { EXTEND_TIMEOUT_USEC: Math.ceil(timeoutMs) * 1000 }),
    });
  }

  status(status: string): void {
    this.notify({ STATUS: status });
  }

  /**
   * Pings `WATCHDOG=1` at half of `WATCHDOG_USEC` while `isAlive()` holds. The
   * timer is unref'd: the watchdog never keeps the process alive by itself.
   */
  startWatchdog(isAlive: () => boolean = () => true): void {
    if (this.watchdogIntervalMs === undefined || this.watchdogTimer) return;
    const ping = () => {
      if (isAlive()) this.notify({ WATCHDOG: 1 });
    };
    ping();
    this.watchdogTimer = setInterval(ping, this.watchdogIntervalMs);
    this.watchdogTimer.unref();
  }

  get watchdogInterval(): number | undefined {
    return this.watchdogIntervalMs;
  }

  close(): void {
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.socket?.close();
    this.socket = undefined;
  }

  private openSocket(): UnixDgramSocket {
    const require = createRequire(import.meta.url);
    const unix = require('unix-dgram') as UnixDgramModule;
    const socket = unix.createSocket('unix_dgram');
    socket.on('error', (error) => this.warn(`sd_notify socket error: ${error.message}`));
    return socket;
  }
}
