import { chmod, lstat, mkdtemp, rename, rmdir, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { SocketInUseError, SocketPathNotSocketError } from '../domain/errors';

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
 */
export async function listenOnPrivatePath(
  server: Server,
  socketPath: string,
  mode: number,
): Promise<BoundSocketFile> {
  const privateDir = await mkdtemp(join(dirname(socketPath), `.${basename(socketPath).slice(0, 8)}-`));
  const tempPath = join(privateDir, 's');
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
    // Re-check right before publishing: a server may have started meanwhile.
    await assertSocketPathReplaceable(socketPath);
    await rename(tempPath, socketPath);
    const { ino } = await lstat(socketPath);
    return { privateDir, inode: ino };
  } catch (error) {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(tempPath).catch(() => undefined);
    await rmdir(privateDir).catch(() => undefined);
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
  await unlink(join(bound.privateDir, 's')).catch(() => undefined);
  await rmdir(bound.privateDir).catch(() => undefined);
}
