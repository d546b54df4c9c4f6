import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { LOCK_FILE_NAME } from '../../src/shared/storage/file/StoreLock';
import { useTempDirs } from './helpers';

const linux = existsSync('/proc/self/stat') && existsSync('/proc/sys/kernel/random/boot_id');
const bootId = linux ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
}

describe.skipIf(!linux)('writer lock: who holds it (Linux: boot id, start time, token)', () => {
  const tempDir = useTempDirs();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** A live process that is not this one. */
  async function liveOtherProcess(): Promise<number> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    return child.pid as number;
  }

  async function openWithLock(text: string) {
    const baseDir = await tempDir();
    await writeFile(join(baseDir, LOCK_FILE_NAME), text);
    return { baseDir, opening: BinaryStorageAdapter.open({ baseDir }) };
  }

  it('takes over a lock an earlier process with this pid left (a container daemon is pid 1 at every start)', async () => {
    const { baseDir, opening } = await openWithLock(
      `${process.pid}\nboot=${bootId} start=${startTimeOf(process.pid)} token=left-by-an-earlier-run\n`,
    );
    const store = await opening;
    const lock = await readFile(join(baseDir, LOCK_FILE_NAME), 'utf8');
    expect(lock.startsWith(`${process.pid}\n`)).toBe(true);
    expect(lock).not.toContain('left-by-an-earlier-run');
    // ...and still refuses a second writer in this process.
    await expect(BinaryStorageAdapter.open({ baseDir })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORAGE_LOCKED',
    });
    await store.close();
  });

  it('takes over a lock written before a reboot, even when its pid is alive now', async () => {
    const pid = await liveOtherProcess();
    const { opening } = await openWithLock(
      `${pid}\nboot=00000000-0000-0000-0000-000000000000 start=1 token=t\n`,
    );
    await (await opening).close();
  });

  it('takes over a lock whose pid now belongs to another process (started at another time)', async () => {
    const pid = await liveOtherProcess();
    const { opening } = await openWithLock(`${pid}\nboot=${bootId} start=1 token=t\n`);
    await (await opening).close();
  });

  it('refuses a lock held by a live writer (same pid, boot and start time), and one in the old pid-only format', async () => {
    const pid = await liveOtherProcess();
    const held = await openWithLock(`${pid}\nboot=${bootId} start=${startTimeOf(pid)} token=t\n`);
    await expect(held.opening).rejects.toMatchObject({
      code: 'FLOWTRACE_STORAGE_LOCKED',
      message: expect.stringContaining(`writer process ${pid}`),
    });
    const oldFormat = await openWithLock(`${pid}\n`);
    await expect(oldFormat.opening).rejects.toMatchObject({ code: 'FLOWTRACE_STORAGE_LOCKED' });
  });

  it('takes over a lock of a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    const { opening } = await openWithLock(`${pid}\n`);
    await (await opening).close();
  });
});
