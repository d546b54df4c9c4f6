import { readFileSync } from 'node:fs';

/** Fewest idle partition file handles a store keeps by default (`maxOpenFiles`). */
export const MIN_DEFAULT_OPEN_FILES = 128;
/** Most idle partition file handles a store keeps by default. */
export const MAX_DEFAULT_OPEN_FILES = 8192;

/**
 * The process's soft limit on open file descriptors, read from
 * /proc/self/limits (Linux), or undefined where that cannot be read. Node
 * raises its soft limit to the hard one at start-up, so under systemd this is
 * the unit's `LimitNOFILE`. `unlimited` reads as +Infinity.
 */
export function openFileLimit(
  readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = readLimits();
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined) return undefined;
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  const value = Number(soft);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * The default `maxOpenFiles`: a quarter of the descriptor limit (the rest is
 * left to sockets, databases and the embedding program), at least 128 and at
 * most 8192; 128 where the limit is unknown. Every live series appends to its
 * newest partition in each commit cycle that has a candle for it: with fewer
 * handles than series written at once, every such cycle closes and reopens
 * their files (a minute boundary with 1,000 live series took ~1.4× as long
 * with a pool of 128 as with one that holds them all).
 */
export function defaultMaxOpenFiles(limit: number | undefined): number {
  if (limit === undefined) return MIN_DEFAULT_OPEN_FILES;
  return Math.min(MAX_DEFAULT_OPEN_FILES, Math.max(MIN_DEFAULT_OPEN_FILES, Math.floor(limit / 4)));
}
