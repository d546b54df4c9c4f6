import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { daemonEntryArgs, REPO_ROOT } from './repo';

export interface DaemonPaths {
  dataDir: string;
  socketPath: string;
  queuePath: string;
  storeDir: string;
}

export function daemonPaths(dataDir: string): DaemonPaths {
  return {
    dataDir,
    socketPath: join(dataDir, 'flowtrace.sock'),
    queuePath: join(dataDir, 'queue.db'),
    storeDir: join(dataDir, 'candles'),
  };
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The real daemon (`flowtrace-persistence`) as a child process. READY is read
 * from its 'Ready: …' JSON log line, which also carries the health port.
 */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  readonly exited: Promise<DaemonExit>;
  private log = '';
  private readyInfo: { healthPort: number; readyAfterMs: number } | undefined;
  private readyWaiters: Array<() => void> = [];
  private exitInfo: DaemonExit | undefined;

  constructor(
    readonly paths: DaemonPaths,
    extraArgs: readonly string[] = [],
    /** Node arguments that start the daemon; default the real entry (built or sources). */
    entryArgs: readonly string[] = daemonEntryArgs('daemon').args,
    /** Starts node with these arguments; default a plain spawn (a wrapper such as fiu-run may exec it). */
    launch: (nodeArgs: readonly string[]) => ChildProcess = (nodeArgs) =>
      spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
  ) {
    const args = [...entryArgs, '--data-dir', paths.dataDir, '--health-check-port', '0', ...extraArgs];
    this.child = launch(args);
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
        for (const wake of this.readyWaiters) wake();
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('daemon has no pid (spawn failed)');
    return this.child.pid;
  }

  get isReady(): boolean {
    return this.readyInfo !== undefined;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  get healthPort(): number {
    if (!this.readyInfo) throw new Error('daemon is not ready');
    return this.readyInfo.healthPort;
  }

  get readyAfterMs(): number | undefined {
    return this.readyInfo?.readyAfterMs;
  }

  /** The last 16 KiB of its output, for failure messages. */
  output(): string {
    return this.log;
  }

  /** Resolves once READY was logged; rejects if it exits first or the timeout passes. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = setTimeout(() => {
      for (const wake of this.readyWaiters) wake();
    }, timeoutMs);
    try {
      while (!this.readyInfo) {
        if (this.exitInfo) {
          throw new Error(`daemon exited before READY (${JSON.stringify(this.exitInfo)}): ${this.log}`);
        }
        if (performance.now() - this.startedAt > timeoutMs) {
          throw new Error(`daemon not READY after ${timeoutMs} ms: ${this.log}`);
        }
        await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** SIGKILL, then waits for the exit. */
  async kill9(): Promise<DaemonExit> {
    if (!this.exitInfo) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (graceful stop), then waits for the exit. */
  async stop(): Promise<DaemonExit> {
    if (!this.exitInfo) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Every line the daemon logs on stdout; subclasses may look at them too. */
  protected onLine(line: string): void {
    this.append(`${line}\n`);
    if (this.readyInfo || !line.includes('"Ready: ')) return;
    try {
      const parsed = JSON.parse(line) as { healthPort?: unknown };
      if (typeof parsed.healthPort === 'number') {
        this.readyInfo = { healthPort: parsed.healthPort, readyAfterMs: performance.now() - this.startedAt };
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const wake of waiters) wake();
      }
    } catch {
      // not a JSON log line
    }
  }

  private append(text: string): void {
    this.log = (this.log + text).slice(-16_384);
  }
}

/** Runs `flowtrace <args>` (the CLI) to completion. */
export async function runFlowtraceCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...daemonEntryArgs('cli').args, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Fetches the daemon's Prometheus text and returns the value of each named sample (no labels). */
export async function scrapeMetrics(port: number, names: readonly string[]): Promise<Map<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await response.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const name = line.slice(0, space);
    if (names.includes(name)) values.set(name, Number(line.slice(space + 1)));
  }
  return values;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
