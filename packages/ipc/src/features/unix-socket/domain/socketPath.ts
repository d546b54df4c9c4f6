import { basename, dirname, join } from 'node:path';

/**
 * Longest path bind()/connect() take without truncating it: `sun_path` is 108
 * bytes on Linux and 104 on macOS and the BSDs, the terminating NUL included.
 * (libuv silently truncates a longer path, so it must be checked before.)
 */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** Name the server binds under inside its private directory. */
export const BIND_NAME = 's';
/** Second name of the bound socket, renamed onto the target path (so BIND_NAME stays while it lives). */
export const PUBLISH_NAME = 'p';
/** mkdtemp appends six characters from [A-Za-z0-9] to its prefix. */
const RANDOM_SUFFIX = 'XXXXXX';
const RANDOM_SUFFIX_PATTERN = /^[A-Za-z0-9]{6}$/;

/**
 * Bytes `.<head>-XXXXXX/s` takes beyond `<head>`. With the head taking the
 * file name's bytes beyond this, the bind path is never longer than the
 * target path, so only file names shorter than this lower the limit.
 */
const BIND_PATH_OVERHEAD = Buffer.byteLength(`.-${RANDOM_SUFFIX}/${BIND_NAME}`);

/**
 * mkdtemp prefix of the private bind directory for a socket file `name`:
 * `.<head>-` where `<head>` is as much of `name` as fits without making the
 * bind path longer than the target path (none for names under 10 bytes), so
 * leftovers can be told apart per socket name at no cost in path length.
 */
export function bindDirPrefix(name: string): string {
  let budget = Buffer.byteLength(name) - BIND_PATH_OVERHEAD;
  let head = '';
  // By code point, so a multi-byte character is never cut in half.
  for (const char of name) {
    const bytes = Buffer.byteLength(char);
    if (bytes > budget) break;
    head += char;
    budget -= bytes;
  }
  return `.${head}-`;
}

/** Prefix earlier versions used (`.` + the first 8 characters + `-`), so their leftovers are cleaned too. */
export function legacyBindDirPrefix(name: string): string {
  return `.${name.slice(0, 8)}-`;
}

/** Whether `entry` (a directory entry name) is a private bind directory made with `prefix`. */
export function isBindDirName(entry: string, prefix: string): boolean {
  return (
    entry.length === prefix.length + RANDOM_SUFFIX.length &&
    entry.startsWith(prefix) &&
    RANDOM_SUFFIX_PATTERN.test(entry.slice(prefix.length))
  );
}

/**
 * Longest `socketPath` (in bytes) the server can listen on given its file
 * name: MAX_SOCKET_PATH_BYTES, less what the temporary bind path
 * `<dir>/.<head>-XXXXXX/s` is longer than the target (only for a file name
 * under 10 bytes). Equivalently: the path at most 107 bytes on Linux and its
 * directory at most 96.
 */
export function maxSocketPathBytes(socketPath: string): number {
  const bindPath = join(
    dirname(socketPath),
    `${bindDirPrefix(basename(socketPath))}${RANDOM_SUFFIX}`,
    BIND_NAME,
  );
  const overhead = Buffer.byteLength(bindPath) - Buffer.byteLength(socketPath);
  return MAX_SOCKET_PATH_BYTES - Math.max(0, overhead);
}

/** Why the server cannot listen on `socketPath`, or undefined when it fits. */
export function socketPathLengthProblem(
  socketPath: string,
): { pathBytes: number; maxBytes: number } | undefined {
  const pathBytes = Buffer.byteLength(socketPath);
  const maxBytes = maxSocketPathBytes(socketPath);
  return pathBytes > maxBytes ? { pathBytes, maxBytes } : undefined;
}
