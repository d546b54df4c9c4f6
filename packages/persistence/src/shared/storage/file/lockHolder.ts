import { readFileSync } from 'node:fs';

/**
 * Who wrote a writer lock: its pid, and what tells that process apart from a
 * later one given the same pid. `bootId` (Linux: /proc/sys/kernel/random/boot_id)
 * changes at every boot; `startTime` (field 22 of /proc/<pid>/stat, clock ticks
 * since boot) differs for a pid reused within a boot; `token` is the lock's
 * own id, so a process tells its lock from one an earlier process with its
 * pid left (a container's pid 1). Elsewhere than Linux only the pid is known,
 * and a live pid holds the lock as before.
 */
export interface LockHolder {
  readonly pid: number;
  readonly bootId: string | undefined;
  readonly startTime: string | undefined;
  readonly token: string | undefined;
}

export interface ProcessIdentity {
  readonly bootId: string | undefined;
  readonly startTime: string | undefined;
}

let bootIdCache: string | undefined | null = null;

/** The boot id and start time of `pid` (this process by default), where the system tells them. */
export function currentProcessIdentity(pid: number = process.pid): ProcessIdentity {
  if (bootIdCache === null) bootIdCache = readTrimmed('/proc/sys/kernel/random/boot_id');
  return { bootId: bootIdCache, startTime: startTimeOf(pid) };
}

/**
 * A lock file's text: `<pid>\n` (all a lock written before this format has),
 * then `boot=<id> start=<ticks> token=<uuid>\n` (each part optional).
 */
export function parseLockHolder(text: string): LockHolder | undefined {
  const [pidLine = '', identityLine = ''] = text.split('\n');
  const pid = Number.parseInt(pidLine, 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const parts = new Map(
    identityLine
      .split(' ')
      .map((part) => part.split('=', 2) as [string, string | undefined])
      .filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== ''),
  );
  return { pid, bootId: parts.get('boot'), startTime: parts.get('start'), token: parts.get('token') };
}

export function describeLockHolder(holder: LockHolder): string {
  return `the writer process ${holder.pid}`;
}

function startTimeOf(pid: number): string | undefined {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19]; // field 22 overall: the fields after the name start at field 3
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
