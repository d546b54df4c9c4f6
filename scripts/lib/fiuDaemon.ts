import { type ChildProcess, spawn } from 'node:child_process';
import type { DaemonExit, DaemonPaths } from './daemon';
import { disableFault, enableFault, type FiuFault, fiuRunArgs } from './fiu';
import { daemonEntryArgs, REPO_ROOT } from './repo';

/**
 * The real daemon started under `fiu-run -x` (libfiu's POSIX preload), so
 * failpoints can be switched on and off while it serves. Same command line and
 * READY detection as DaemonProcess (scripts/lib/daemon.ts), which spawns node
 * directly and so cannot be reused here.
 */
export class FiuDaemonProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<DaemonExit>;
  /** How many times each log message (`msg` of its JSON lines) was logged. */
  readonly logMessages = new Map<string, number>();
  private log = '';
  private port: number | undefined;
  private exitInfo: DaemonExit | undefined;
  private readyWaiters: Array<() => void> = [];

  constructor(
    readonly paths: DaemonPaths,
    /** Base name of the libfiu control pipes; `-<pid>.in/.out` is appended. */
    readonly ctrlPrefix: string,
    extraArgs: readonly string[] = [],
  ) {
    const daemonArgs = [
      ...daemonEntryArgs('daemon').args,
      '--data-dir',
      paths.dataDir,
      '--health-check-port',
      '0',
      ...extraArgs,
    ];
    this.child = spawn('fiu-run', fiuRunArgs(ctrlPrefix, process.execPath, daemonArgs), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        this.onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => this.append(chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.wakeWaiters();
        resolve(this.exitInfo);
      });
    });
  }

  /** fiu-run execs the program, so this is the daemon's own pid. */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error('daemon has no pid (spawn failed)');
    return this.child.pid;
  }

  get healthPort(): number {
    if (this.port === undefined) throw new Error('daemon is not ready');
    return this.port;
  }

  /** The last 16 KiB of its output, for failure messages. */
  output(): string {
    return this.log;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    const timer = setTimeout(() => this.wakeWaiters(), timeoutMs);
    const started = performance.now();
    try {
      while (this.port === undefined) {
        if (this.exitInfo)
          throw new Error(`daemon exited before READY (${JSON.stringify(this.exitInfo)}): ${this.log}`);
        if (performance.now() - started >= timeoutMs)
          throw new Error(`daemon not READY after ${timeoutMs} ms: ${this.log}`);
        await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  enableFault(fault: FiuFault): Promise<void> {
    return enableFault(this.ctrlPrefix, this.pid, fault);
  }

  disableFault(fault: FiuFault): Promise<void> {
    return disableFault(this.ctrlPrefix, this.pid, fault);
  }

  /** `/health` status code. */
  async health(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${this.healthPort}/health`)).status;
  }

  async stop(): Promise<DaemonExit> {
    if (!this.exitInfo) this.child.kill('SIGTERM');
    return this.exited;
  }

  async kill9(): Promise<DaemonExit> {
    if (!this.exitInfo) this.child.kill('SIGKILL');
    return this.exited;
  }

  private onLine(line: string): void {
    this.append(`${line}\n`);
    let parsed: { healthPort?: unknown; msg?: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return; // not a JSON log line
    }
    if (typeof parsed.msg === 'string') {
      this.logMessages.set(parsed.msg, (this.logMessages.get(parsed.msg) ?? 0) + 1);
    }
    if (this.port === undefined && typeof parsed.msg === 'string' && parsed.msg.startsWith('Ready: ')) {
      if (typeof parsed.healthPort === 'number') {
        this.port = parsed.healthPort;
        this.wakeWaiters();
      }
    }
  }

  private wakeWaiters(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake();
  }

  private append(text: string): void {
    this.log = (this.log + text).slice(-16_384);
  }
}
