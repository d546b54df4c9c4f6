import { spawn } from 'node:child_process';
import { type DaemonPaths, DaemonProcess } from './daemon';
import { disableFault, enableFault, type FiuFault, fiuRunArgs } from './fiu';
import { daemonEntryArgs, REPO_ROOT } from './repo';

/**
 * The real daemon started under `fiu-run -x` (libfiu's POSIX preload), so
 * failpoints can be switched on and off while it serves. fiu-run execs node,
 * so `pid` is the daemon's own pid.
 */
export class FiuDaemonProcess extends DaemonProcess {
  /** How many times each log message (`msg` of its JSON lines) was logged. */
  readonly logMessages = new Map<string, number>();

  constructor(
    paths: DaemonPaths,
    /** Base name of the libfiu control pipes; `-<pid>.in/.out` is appended. */
    readonly ctrlPrefix: string,
    extraArgs: readonly string[] = [],
  ) {
    super(paths, extraArgs, daemonEntryArgs('daemon').args, (nodeArgs) =>
      spawn('fiu-run', fiuRunArgs(ctrlPrefix, process.execPath, nodeArgs), {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
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

  protected override onLine(line: string): void {
    super.onLine(line);
    let msg: unknown;
    try {
      msg = (JSON.parse(line) as { msg?: unknown }).msg;
    } catch {
      return; // not a JSON log line
    }
    if (typeof msg === 'string') this.logMessages.set(msg, (this.logMessages.get(msg) ?? 0) + 1);
  }
}
