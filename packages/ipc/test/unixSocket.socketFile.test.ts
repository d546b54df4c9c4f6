import { existsSync, linkSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_SOCKET_PATH_BYTES,
  maxSocketPathBytes,
  SocketPathTooLongError,
  UnixSocketClient,
  UnixSocketServer,
} from '../src/features/unix-socket/index';
import { spawnFixture, waitForExit, waitForLine } from './helpers/child';
import { makeTempDir } from './helpers/tempDir';

let tmp: ReturnType<typeof makeTempDir>;
const cleanups: Array<() => Promise<void> | void> = [];

beforeEach(() => {
  tmp = makeTempDir('ftsf-');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  tmp.cleanup();
});

const bytes = (s: string) => Buffer.byteLength(s);

/** A path of exactly `total` bytes ending in `/<name>`, its directory created under tmp. */
function pathOfLength(total: number, name: string): { dir: string; socketPath: string } {
  const padding = total - bytes(tmp.dir) - 2 - bytes(name);
  if (padding < 1) throw new Error(`tmp dir ${tmp.dir} too long for a ${total}-byte path`);
  const dir = join(tmp.dir, 'd'.repeat(padding));
  mkdirSync(dir, { recursive: true });
  const socketPath = join(dir, name);
  expect(bytes(socketPath)).toBe(total);
  return { dir, socketPath };
}

async function startServer(socketPath: string, reply = 'ok'): Promise<UnixSocketServer> {
  const server = new UnixSocketServer({ socketPath, stopTimeoutMs: 100 });
  server.setRequestHandler(() => reply);
  cleanups.push(() => server.stop());
  await server.start();
  return server;
}

async function ask(socketPath: string): Promise<unknown> {
  const client = new UnixSocketClient({ socketPath, autoReconnect: false });
  await client.connect();
  try {
    return (await client.request({ type: 't', payload: 1 })).data;
  } finally {
    await client.disconnect();
  }
}

/** A socket file nobody listens on any more, as a crashed server leaves it. */
async function makeStaleSocket(path: string): Promise<void> {
  const helper = join(tmp.dir, 'helper.sock');
  const server = createServer();
  await new Promise<void>((r) => server.listen(helper, r));
  linkSync(helper, path);
  // libuv unlinks `helper` on close; the second name stays, refusing connections.
  await new Promise<void>((r) => server.close(() => r()));
}

function listenRaw(path: string): Promise<Server> {
  const server = createServer((s) => s.end());
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((r) => server.listen(path, () => r(server)));
}

const hourAgo = () => new Date(Date.now() - 3_600_000);
const bindDirsIn = (dir: string) =>
  readdirSync(dir).filter((e) => e.startsWith('.') && statSync(join(dir, e)).isDirectory());

describe('socket path length', () => {
  it('MAX_SOCKET_PATH_BYTES is what sun_path holds (108 bytes with the NUL on Linux)', () => {
    expect(MAX_SOCKET_PATH_BYTES).toBe(process.platform === 'linux' ? 107 : 103);
  });

  // [file name, longest path the server takes with it]: names of 10 bytes or more
  // get the whole sun_path; a shorter one is limited by the temporary bind path.
  const cases: Array<[string, number]> = [
    ['flowtrace.sock', MAX_SOCKET_PATH_BYTES],
    ['ünïcødé-sock', MAX_SOCKET_PATH_BYTES],
    ['0123456789', MAX_SOCKET_PATH_BYTES],
    ['x.sock', MAX_SOCKET_PATH_BYTES - 4],
    ['s', MAX_SOCKET_PATH_BYTES - 9],
  ];

  it.each(cases)('listens on the longest path a file name %j allows (%i bytes)', async (name, max) => {
    const { dir, socketPath } = pathOfLength(max, name);
    expect(maxSocketPathBytes(socketPath)).toBe(max);
    const server = await startServer(socketPath, name);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(await ask(socketPath)).toBe(name);
    await server.stop();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(cases)(
    'refuses a path one byte longer than %j allows (%i) with SocketPathTooLongError, creating nothing',
    async (name, max) => {
      const { dir, socketPath } = pathOfLength(max + 1, name);
      const server = new UnixSocketServer({ socketPath });
      const error = await server.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SocketPathTooLongError);
      expect(error).toMatchObject({
        code: 'FLOWTRACE_SOCKET_PATH_TOO_LONG',
        retryable: false,
        pathBytes: max + 1,
        maxBytes: max,
      });
      expect((error as Error).message).toContain(`socket path too long (${max + 1} bytes, max ${max}`);
      expect(readdirSync(dir)).toEqual([]);
      expect(server.isListening()).toBe(false);
    },
  );

  it('refuses the reproduced 103-byte path ending in /s without leaving a truncated socket', async () => {
    const { dir, socketPath } = pathOfLength(103, 's');
    const error = await new UnixSocketServer({ socketPath }).start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SocketPathTooLongError);
    expect((error as Error).message).toContain(
      `socket path too long (103 bytes, max ${MAX_SOCKET_PATH_BYTES - 9}`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a client refuses a path longer than sun_path at construction, instead of reaching a truncated one', async () => {
    // A server listening on exactly the path libuv would truncate the long one to.
    const { socketPath: truncated } = pathOfLength(MAX_SOCKET_PATH_BYTES, 'flowtrace.sock');
    const decoy = new UnixSocketServer({ socketPath: truncated });
    await decoy.start();
    cleanups.push(() => decoy.stop());
    const tooLong = `${truncated}x`;
    expect(() => new UnixSocketClient({ socketPath: tooLong, autoReconnect: false })).toThrow(
      expect.objectContaining({
        code: 'FLOWTRACE_INVALID_OPTIONS',
        message: expect.stringContaining(`at most ${MAX_SOCKET_PATH_BYTES} bytes`),
      }),
    );
    // The longest valid path connects.
    const client = new UnixSocketClient({ socketPath: truncated, autoReconnect: false });
    await client.connect();
    await client.disconnect();
  });
});

describe('stale private bind directories', () => {
  it('the next start removes the bind directories of servers killed with SIGKILL; the socket works', async () => {
    const socketPath = join(tmp.dir, 'flowtrace.sock');
    const idsDir = makeTempDir('ftsf-ids-');
    cleanups.push(() => idsDir.cleanup());
    for (let i = 0; i < 3; i++) {
      const child = spawnFixture('durableAckServer.ts', [socketPath, join(idsDir.dir, 'ids.txt')]);
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      await waitForLine(child, (l) => l === 'READY');
      child.kill('SIGKILL');
      expect((await waitForExit(child)).signal).toBe('SIGKILL');
      // Each restart already cleaned up after the previous kill: one leftover at a time.
      expect(bindDirsIn(tmp.dir)).toHaveLength(1);
    }
    expect(statSync(socketPath).isSocket()).toBe(true);

    const server = await startServer(socketPath, 'fresh');
    expect(readdirSync(tmp.dir).filter((e) => e !== 'flowtrace.sock')).toHaveLength(1); // its own
    expect(await ask(socketPath)).toBe('fresh');
    await server.stop();
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('removes old empty leftovers (also of earlier versions) and stale ones; keeps anything that may be in use', async () => {
    const socketPath = join(tmp.dir, 'flowtrace.sock');
    const at = (e: string) => join(tmp.dir, e);
    const emptyDir = (e: string, old: boolean) => {
      mkdirSync(at(e), { mode: 0o700 });
      if (old) utimesSync(at(e), hourAgo(), hourAgo());
    };
    // Removed:
    emptyDir('.flowtrac-AbC123', true); // earlier versions: `.` + 8 chars + `-`, empty while alive
    emptyDir('.flowtrac-Zz9900', true);
    emptyDir('.flow-Old001', true); // crashed between mkdtemp and listen
    emptyDir('.flow-Stale1', false);
    await makeStaleSocket(at('.flow-Stale1/s'));
    emptyDir('.flow-Stale2', false); // crashed between link and rename
    await makeStaleSocket(at('.flow-Stale2/s'));
    linkSync(at('.flow-Stale2/s'), at('.flow-Stale2/p'));
    // Kept:
    emptyDir('.flow-Young1', false); // may be a concurrent start() about to listen in it
    emptyDir('.flow-Live01', true); // a concurrent start() listening, not yet published
    await listenRaw(at('.flow-Live01/s'));
    utimesSync(at('.flow-Live01'), hourAgo(), hourAgo());
    emptyDir('.flow-Mixed1', true); // not only our names
    writeFileSync(at('.flow-Mixed1/notes'), 'x');
    await makeStaleSocket(at('.flow-Mixed1/s'));
    utimesSync(at('.flow-Mixed1'), hourAgo(), hourAgo());
    emptyDir('.flow-TooLong', true); // not the pattern (7 random characters)
    emptyDir('.other-AbC123', true); // another socket name's
    writeFileSync(at('.flow-File01'), 'a file, not a directory');
    const expectedKept = [
      '.flow-File01',
      '.flow-Live01',
      '.flow-Mixed1',
      '.flow-TooLong',
      '.flow-Young1',
      '.other-AbC123',
    ];

    await startServer(socketPath, 'works');
    expect(await ask(socketPath)).toBe('works');
    const left = readdirSync(tmp.dir).filter((e) => e !== 'flowtrace.sock');
    const own = left.filter((e) => !expectedKept.includes(e));
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/^\.flow-[A-Za-z0-9]{6}$/);
    expect(left.sort()).toEqual([...expectedKept, own[0]].sort());
    expect(readdirSync(at('.flow-Live01'))).toEqual(['s']);
    expect(readdirSync(at('.flow-Mixed1')).sort()).toEqual(['notes', 's']);
  });

  it('servers of different names sharing a bind prefix never remove each other’s directory', async () => {
    // Both names are under 10 bytes, so both bind under `.-XXXXXX`.
    const a = join(tmp.dir, 'a.sock');
    const b = join(tmp.dir, 'b.sock');
    for (let round = 0; round < 5; round++) {
      const [serverA, serverB] = await Promise.all([startServer(a, 'A'), startServer(b, 'B')]);
      expect(bindDirsIn(tmp.dir)).toHaveLength(2);
      // Old enough that only the answering socket inside protects them.
      for (const dir of bindDirsIn(tmp.dir)) utimesSync(join(tmp.dir, dir), hourAgo(), hourAgo());
      await serverB.stop();
      await startServer(b, 'B again');
      expect(bindDirsIn(tmp.dir)).toHaveLength(2);
      expect(await ask(a)).toBe('A');
      expect(await ask(b)).toBe('B again');
      await serverA.stop();
      for (const c of cleanups.splice(0).reverse()) await c();
      expect(readdirSync(tmp.dir)).toEqual([]);
    }
    expect(existsSync(a)).toBe(false);
  });
});
