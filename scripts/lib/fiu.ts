import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** errno of EIO on Linux: libfiu's posix failpoints set errno to the failinfo given when enabled. */
export const EIO = 5;

/**
 * libfiu failpoints of the POSIX preload library (Debian package fiu-utils) that
 * the daemon's storage reaches. libuv runs `FileHandle.datasync()` as fdatasync
 * and `sync()` as fsync in its thread pool; positional writes (`writev`/`write`
 * with a position) become pwritev/pwrite; SQLite writes with pwrite64 and syncs
 * with fsync. Plain write/writev are never failed: libuv wakes its loop by
 * writing to an eventfd and aborts the process when that fails, and sockets and
 * the log go through them too.
 */
export const FIU_FAULTS = {
  sync: ['posix/io/sync/fsync', 'posix/io/sync/fdatasync'],
  positionalWrite: ['posix/io/rw/pwrite', 'posix/io/rw/pwritev'],
} as const;

export type FiuFault = keyof typeof FIU_FAULTS;

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why libfiu fault injection cannot run here, or undefined when it can. Checks
 * more than the presence of `fiu-run`: under `fiu-run -x` with every failpoint
 * of FIU_FAULTS enabled, the calls the daemon makes (async FileHandle sync,
 * datasync and positional writes, through libuv's thread pool) must really
 * fail with EIO. They would not if the preload were refused, or if libuv sent
 * file operations to io_uring, bypassing libc.
 */
export function fiuUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'libfiu fault injection needs Linux';
  for (const tool of ['fiu-run', 'fiu-ctrl']) {
    if (!onPath(tool)) return `${tool} is not installed (Debian: apt-get install fiu-utils)`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'flowtrace-fiu-check-'));
  try {
    const script = `
      const { open } = require('node:fs/promises');
      (async () => {
        const handle = await open('probe', 'w');
        const codes = [];
        for (const call of [
          () => handle.sync(),
          () => handle.datasync(),
          () => handle.write(Buffer.from('a'), 0, 1, 0),
          () => handle.writev([Buffer.from('a'), Buffer.from('b')], 0),
        ]) {
          try { await call(); codes.push('ok'); } catch (error) { codes.push(error.code); }
        }
        await handle.close();
        process.stdout.write(codes.join(','));
      })();`;
    const enable = [...FIU_FAULTS.sync, ...FIU_FAULTS.positionalWrite].flatMap((name) => [
      '-c',
      `enable name=${name},failinfo=${EIO}`,
    ]);
    const result = spawnSync('fiu-run', ['-x', '-f', '', ...enable, process.execPath, '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...process.env, NODE_OPTIONS: '' },
      cwd: dir,
    });
    if (result.stdout !== 'EIO,EIO,EIO,EIO') {
      return (
        'under fiu-run -x, fsync/fdatasync/pwrite/pwritev did not all fail with EIO ' +
        `(got ${JSON.stringify(result.stdout)} ${result.stderr ?? ''})`
      );
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The arguments that run `command args…` under `fiu-run -x` with remote control
 * through named pipes `<ctrlPrefix>-<pid>.in/.out` (fiu-run execs, so the pid is
 * the program's own).
 */
export function fiuRunArgs(ctrlPrefix: string, command: string, args: readonly string[]): string[] {
  return ['-x', '-f', ctrlPrefix, command, ...args];
}

/** Runs `fiu-ctrl` commands against a process started by fiu-run; resolves once they are applied. */
export async function fiuCtrl(ctrlPrefix: string, pid: number, commands: readonly string[]): Promise<void> {
  if (!existsSync(`${ctrlPrefix}-${pid}.in`)) {
    throw new Error(`no libfiu control pipe ${ctrlPrefix}-${pid}.in: was ${pid} started by fiu-run?`);
  }
  const child = spawn('fiu-ctrl', ['-f', ctrlPrefix, ...commands.flatMap((c) => ['-c', c]), String(pid)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  // fiu-ctrl exits 0 even when a command failed; it says so on stdout.
  if (code !== 0 || /error/i.test(output)) {
    throw new Error(`fiu-ctrl ${JSON.stringify(commands)} on ${pid} failed (exit ${code}): ${output.trim()}`);
  }
}

/** Makes every call behind `fault` fail with EIO in process `pid` from the moment this resolves. */
export function enableFault(ctrlPrefix: string, pid: number, fault: FiuFault): Promise<void> {
  return fiuCtrl(
    ctrlPrefix,
    pid,
    FIU_FAULTS[fault].map((name) => `enable name=${name},failinfo=${EIO}`),
  );
}

export function disableFault(ctrlPrefix: string, pid: number, fault: FiuFault): Promise<void> {
  return fiuCtrl(
    ctrlPrefix,
    pid,
    FIU_FAULTS[fault].map((name) => `disable name=${name}`),
  );
}
