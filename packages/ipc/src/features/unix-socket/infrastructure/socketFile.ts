import { chmod, link, lstat, mkdtemp, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';
import {
  SocketDirectoryMissingError,
  SocketInUseError,
  SocketPathNotSocketError,
  SocketPathTooLongError,
} from '../domain/errors';
import {
  BIND_NAME,
  bindDirPrefix,
  isBindDirName,
  legacyBindDirPrefix,
  PUBLISH_NAME,
  socketPathLengthProblem,
} from '../domain/socketPath';

/**
 * Throws SocketPathTooLongError unless both `socketPath` and the temporary path
 * the server binds through fit in `sun_path`: libuv would otherwise bind a
 * truncated path (a stray socket file under another name) or fail obscurely.
 */
export function assertSocketPathFits(socketPath: string): void {
  const problem = socketPathLengthProblem(socketPath);
  if (problem) throw new SocketPathTooLongError(socketPath, problem.pathBytes, problem.maxBytes);
}

/**
 * Fails when `socketPath` holds something we must not replace: a non-socket
 * file, or a socket a live server still answers on. A socket nobody answers on
 * (left by a crashed server) is "stale" and may be replaced.
 */
export async function assertSocketPathReplaceable(socketPath: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isSocket()) {
    throw new SocketPathNotSocketError(`${socketPath} exists and is not a socket; refusing to replace it`);
  }
  if (await somethingAnswersOn(socketPath)) {
    throw new SocketInUseError(`Another live server is listening on ${socketPath}`);
  }
}

function somethingAnswersOn(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath);
    const timer = setTimeout(() => finish(true), 1_000);
    function finish(answered: boolean): void {
      clearTimeout(timer);
      probe.destroy();
      resolve(answered);
    }
    probe.once('connect', () => finish(true));
    probe.once('error', (error: NodeJS.ErrnoException) =>
      // ECONNREFUSED: the file is there but nobody accepts, i.e. stale.
      finish(!(error.code === 'ECONNREFUSED' || error.code === 'ENOENT')),
    );
  });
}

export interface BoundSocketFile {
  privateDir: string;
  inode: number;
}

/**
 * Binds `server` to `socketPath` with `mode` and no moment where the socket is
 * reachable with wider permissions.
 *
 * Why this way: bind() creates the socket file with the process umask, and
 * changing the umask is process-wide (unsafe in a library sharing the process).
 * So we bind inside a fresh directory created by mkdtemp, which is 0700: while
 * the socket's own mode may be wider, no other user can traverse the directory
 * to connect. We chmod the socket to `mode`, then rename() it into place;
 * rename is atomic and keeps the inode, so the listening socket is published
 * already with its final mode (and atomically replaces a stale file). The
 * directory sits beside the target so the rename never crosses a filesystem.
 *
 * What is renamed is a second hard link (`p`), so the bind name `s` stays in
 * the directory while the server lives: libuv unlinks the bind path on close,
 * which must still be ours, and a live `s` that answers tells
 * removeStaleBindDirs that the directory is in use. After a crash `s` is left
 * refusing connections, which marks the directory as stale.
 *
 * The directory's name (`.<head>-XXXXXX`, see bindDirPrefix) keeps the bind
 * path no longer than `socketPath` for file names of 10 bytes or more;
 * assertSocketPathFits checks it fits before anything is created.
 */
export async function listenOnPrivatePath(
  server: Server,
  socketPath: string,
  mode: number,
): Promise<BoundSocketFile> {
  assertSocketPathFits(socketPath);
  const privateDir = await makePrivateDir(socketPath);
  const tempPath = join(privateDir, BIND_NAME);
  const publishPath = join(privateDir, PUBLISH_NAME);
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(tempPath, () => {
        server.off('error', onError);
        resolve();
      });
    });
    await chmod(tempPath, mode);
    let published = publishPath;
    await link(tempPath, publishPath).catch(() => {
      // A filesystem without hard links: publish the bind name itself. Only the
      // stale-directory check loses its signal (the directory is then empty).
      published = tempPath;
    });
    // Re-check right before publishing: a server may have started meanwhile.
    await assertSocketPathReplaceable(socketPath);
    await rename(published, socketPath);
    const { ino } = await lstat(socketPath);
    return { privateDir, inode: ino };
  } catch (error) {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(tempPath).catch(() => undefined);
    await unlink(publishPath).catch(() => undefined);
    await rmdir(privateDir).catch(() => undefined);
    throw error;
  }
}

/**
 * mkdtemp of the private bind directory beside `socketPath`. Its ENOENT (the
 * socket's directory is missing) would name the internal `.<head>-XXXXXX`
 * path, which the caller never gave: SocketDirectoryMissingError names the
 * directory and the socket path instead.
 */
async function makePrivateDir(socketPath: string): Promise<string> {
  const directory = dirname(socketPath);
  try {
    return await mkdtemp(join(directory, bindDirPrefix(basename(socketPath))));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SocketDirectoryMissingError(socketPath, directory, { cause: error });
    }
    throw error;
  }
}

/** Removes the socket file if it is still ours (a successor may have replaced it), and the private dir. */
export async function removeSocketFile(socketPath: string, bound: BoundSocketFile): Promise<void> {
  try {
    const { ino } = await lstat(socketPath);
    if (ino === bound.inode) await unlink(socketPath);
  } catch {
    // Already gone.
  }
  await unlink(join(bound.privateDir, BIND_NAME)).catch(() => undefined);
  await unlink(join(bound.privateDir, PUBLISH_NAME)).catch(() => undefined);
  await rmdir(bound.privateDir).catch(() => undefined);
}

/**
 * An empty bind directory this young may belong to a start() between its
 * mkdtemp and its listen (a moment, normally well under a millisecond).
 * Older empty ones are left by a crash in that moment, or by earlier versions,
 * which kept the directory empty for a server's whole life.
 */
const EMPTY_BIND_DIR_GRACE_MS = 60_000;

/**
 * Removes private bind directories beside `socketPath` left by servers that
 * died without stop() (SIGKILL, OOM, power loss), for this socket name's
 * prefix and the prefix of earlier versions, except `ownDir`. Meant to run once
 * this server has published its socket, so no live server owns the name; a
 * directory is still only removed when nothing in it answers:
 *  - holding only our bind/publish names, all sockets that refuse connections
 *    (a dead listener's; a socket never comes back to life), or
 *  - empty and older than EMPTY_BIND_DIR_GRACE_MS.
 * A concurrent start() for the same or another name (prefixes can be shared)
 * is safe: its `s` answers once it listens, and before that its directory is
 * empty and young. Unknown entries, other owners (EACCES) and races (ENOENT,
 * ENOTEMPTY when a bind lands meanwhile) leave the directory alone.
 * Best effort: never throws.
 */
export async function removeStaleBindDirs(socketPath: string, ownDir: string): Promise<void> {
  const dir = dirname(socketPath);
  const name = basename(socketPath);
  const prefixes = [bindDirPrefix(name), legacyBindDirPrefix(name)];
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!prefixes.some((prefix) => isBindDirName(entry, prefix))) continue;
    const candidate = join(dir, entry);
    if (candidate === ownDir) continue;
    await removeIfStale(candidate).catch(() => undefined);
  }
}

async function removeIfStale(bindDir: string): Promise<void> {
  const info = await lstat(bindDir);
  if (!info.isDirectory()) return;
  const inside = await readdir(bindDir);
  if (inside.some((entry) => entry !== BIND_NAME && entry !== PUBLISH_NAME)) return;
  if (inside.length === 0) {
    if (Date.now() - info.mtimeMs < EMPTY_BIND_DIR_GRACE_MS) return;
  } else {
    for (const entry of inside) {
      const path = join(bindDir, entry);
      if (!(await lstat(path)).isSocket()) return;
      if (await somethingAnswersOn(path)) return;
    }
    for (const entry of inside) {
      await unlink(join(bindDir, entry)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }
  await rmdir(bindDir);
}
