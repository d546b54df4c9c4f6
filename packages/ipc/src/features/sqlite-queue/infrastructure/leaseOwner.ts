import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a lease: `{host}:{pid}:{token}`, one token per open SQLiteQueue.
 * It lets a restarted consumer take back at once the messages its crashed
 * predecessor had leased, instead of waiting for their leases to expire
 * (which would also deliver newer messages before them).
 *
 * A lease is abandoned only when that is certain: its owner is on this host
 * and either its process is gone, or it is this process and its token belongs
 * to no queue open here (a container's pid 1 restarted). An owner on another
 * host, an unparsable owner or a live pid (perhaps reused by another program)
 * keeps its lease until it expires, as before.
 */
export interface LeaseOwner {
  readonly host: string;
  readonly pid: number;
  readonly token: string;
}

const liveTokens = new Set<string>();

export function newLeaseOwner(): LeaseOwner {
  const owner = { host: hostname(), pid: process.pid, token: randomUUID() };
  liveTokens.add(owner.token);
  return owner;
}

export function retireLeaseOwner(owner: LeaseOwner): void {
  liveTokens.delete(owner.token);
}

export function formatLeaseOwner(owner: LeaseOwner): string {
  return `${owner.host}:${owner.pid}:${owner.token}`;
}

/** True when the lease holder `text` (a `leased_by` value) can no longer answer for its lease. */
export function isAbandonedLeaseOwner(text: string): boolean {
  const match = /^(.*):(\d+):([^:]+)$/.exec(text);
  if (!match) return false;
  const [, host, pidText, token] = match as unknown as [string, string, string, string];
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !liveTokens.has(token);
  return !processExists(pid);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else. Only ESRCH proves it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
