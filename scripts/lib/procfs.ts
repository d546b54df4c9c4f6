import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status); undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Number of open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Decodes the hex address of /proc/net/tcp (little-endian IPv4) or tcp6 (four little-endian words). */
function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  const groups: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => w.slice(i, i + 2)).join('');
    groups.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  return groups.map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

/**
 * Local addresses on which a TCP socket listens on `port`, read from the
 * process's network namespace (/proc/<pid>/net/tcp and tcp6). Reading them
 * proves which interfaces the port is reachable on without sending a packet.
 */
export function listeningAddresses(pid: number, port: number): string[] {
  const found: string[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      if (!local || state !== '0A') continue; // 0A = LISTEN
      const [addressHex, portHex] = local.split(':');
      if (addressHex && portHex && Number.parseInt(portHex, 16) === port)
        found.push(decodeAddress(addressHex));
    }
  }
  return found;
}
