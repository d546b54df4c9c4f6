import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BinaryStorageAdapter } from '../../src/features/candlePersistence/infrastructure/adapters/BinaryStorageAdapter';
import { backupStore } from '../../src/shared/storage/backup/backupStore';
import {
  LOCK_DATABASE_FILE_NAME,
  LOCK_FILE_NAME,
  LOCK_WAIT_MS,
} from '../../src/shared/storage/file/StoreLock';
import { ltcCandlesFrom, useTempDirs } from './helpers';

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

describe('writer lock: a second writer in the process that holds it', () => {
  const tempDir = useTempDirs();
  const inThisProcess = `is already open for writing in this process (pid ${process.pid}): close the other instance first`;

  /** Opens a writer on `baseDir` expecting the in-process refusal; how long the refusal took, ms. */
  async function refusedHere(baseDir: string): Promise<number> {
    const started = performance.now();
    const error = await BinaryStorageAdapter.open({ baseDir }).then(
      (store) => store.close().then(() => new Error('opened')),
      (refusal: unknown) => refusal,
    );
    const took = performance.now() - started;
    expect(error).toMatchObject({ name: 'StorageLockedError', code: 'FLOWTRACE_STORAGE_LOCKED' });
    expect((error as Error).message).toBe(
      `Store ${baseDir} ${inThisProcess}, and await its close() (one writer per store directory)`,
    );
    return took;
  }

  it('is refused at once, saying the store is open in this process (not "locked by the writer process <own pid>"), by any path', async () => {
    const baseDir = await tempDir();
    const viaLink = join(await tempDir(), 'link');
    await symlink(baseDir, viaLink);
    const first = await BinaryStorageAdapter.open({ baseDir });
    for (const path of [baseDir, join(baseDir, '.'), viaLink]) {
      // LOCK_WAIT_MS is what a writer of another process waits; this one has nothing to wait for.
      expect(await refusedHere(path)).toBeLessThan(LOCK_WAIT_MS / 2);
    }
    // The refusals took nothing from the first writer: it saves, and once closed the store opens again.
    const [candle] = ltcCandlesFrom(Date.UTC(2024, 0, 1), 1, 1, 3);
    await first.save(candle!);
    await first.close();
    const second = await BinaryStorageAdapter.open({ baseDir });
    expect(await second.findBySymbol('LTCUSDT', 'binance', '1m')).toHaveLength(1);
    await second.close();
  });

  it('two opens at once in one process: one gets the store, the other is refused at once', async () => {
    const baseDir = await tempDir();
    const started = performance.now();
    const outcomes = await Promise.allSettled([
      BinaryStorageAdapter.open({ baseDir }),
      BinaryStorageAdapter.open({ baseDir }),
    ]);
    expect(performance.now() - started).toBeLessThan(LOCK_WAIT_MS / 2);
    const opened = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(opened).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      code: 'FLOWTRACE_STORAGE_LOCKED',
      message: expect.stringContaining(inThisProcess),
    });
    await opened[0]!.close();
  });
});

describe('writer lock: processes that start together', () => {
  const tempDir = useTempDirs();
  const CONTENDER = join(import.meta.dirname, 'fixtures/lockContender.ts');
  const LOCK_ROUNDS = join(import.meta.dirname, 'fixtures/lockRounds.ts');
  const contenders: ChildProcess[] = [];
  afterEach(() => {
    for (const child of contenders.splice(0)) child.kill('SIGKILL');
  });

  interface Contender {
    readonly child: ChildProcess;
    /** The next line the child prints. */
    readonly nextLine: () => Promise<string>;
  }

  function startContender(baseDir: string): Contender {
    const child = spawn(
      process.execPath,
      ['--conditions=flowtrace-source', '--import', 'tsx', CONTENDER, baseDir],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    contenders.push(child);
    const lines: string[] = [];
    const waiting: ((line: string) => void)[] = [];
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        const waiter = waiting.shift();
        if (waiter) waiter(line);
        else lines.push(line);
      }
    });
    const nextLine = () =>
      new Promise<string>((resolveLine, reject) => {
        const line = lines.shift();
        if (line !== undefined) return resolveLine(line);
        waiting.push(resolveLine);
        child.once('exit', (code) => reject(new Error(`contender exited (${code}) before printing`)));
      });
    return { child, nextLine };
  }

  /** Starts `count` contenders on `baseDir`, releases them at once, and returns what each printed. */
  async function race(baseDir: string, count: number): Promise<{ outcomes: string[]; group: Contender[] }> {
    const group = Array.from({ length: count }, () => startContender(baseDir));
    for (const contender of group) expect(await contender.nextLine()).toBe('ready');
    for (const contender of group) contender.child.stdin?.write('go\n');
    const outcomes = await Promise.all(group.map((contender) => contender.nextLine()));
    return { outcomes, group };
  }

  async function closeAll(group: Contender[]): Promise<void> {
    await Promise.all(
      group.map(
        (contender) =>
          new Promise((resolveExit) => {
            contender.child.once('exit', resolveExit);
            contender.child.stdin?.end();
          }),
      ),
    );
  }

  it('gives the store to exactly one of 6 writers started at once, on a new store and over a stale lock, round after round', async () => {
    for (let round = 0; round < 8; round += 1) {
      const baseDir = await tempDir();
      if (round % 2 === 1) {
        // A lock left by a writer that was killed: every contender finds it stale at once.
        const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
        await new Promise((resolveExit) => gone.once('exit', resolveExit));
        await writeFile(join(baseDir, LOCK_FILE_NAME), `${gone.pid}\n`);
      }
      const { outcomes, group } = await race(baseDir, 6);
      expect(
        outcomes.filter((outcome) => outcome === 'ok'),
        `round ${round}: ${outcomes.join(' ')}`,
      ).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual(
        Array(5).fill('FLOWTRACE_STORAGE_LOCKED'),
      );
      const winner = group[outcomes.indexOf('ok')] as Contender;
      const holder = await readFile(join(baseDir, LOCK_FILE_NAME), 'utf8');
      expect(holder.startsWith(`${winner.child.pid}\n`)).toBe(true);
      await closeAll(group);
      // Released on close: the next writer opens at once, and the holder file is gone.
      expect(existsSync(join(baseDir, LOCK_FILE_NAME))).toBe(false);
      await (await BinaryStorageAdapter.open({ baseDir })).close();
    }
  }, 120_000);

  it('gives the lock to exactly one of two writers starting in the same millisecond, round after round', async () => {
    // Old code waited 0 ms for the lock database: each writer could meet the other's brief lock
    // while taking its own, and neither got the store (20 % of such rounds).
    const rounds = 20;
    const dir = await tempDir();
    for (let round = 0; round < rounds; round += 1) await mkdir(join(dir, `r${round}`));
    const start = Date.now() + 4000; // both children loaded (tsx) before the first round
    const period = LOCK_WAIT_MS + 400;
    const children = [0, 1].map(() => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=flowtrace-source',
          '--import',
          'tsx',
          LOCK_ROUNDS,
          dir,
          String(start),
          String(rounds),
          String(period),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      contenders.push(child);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      return new Promise<string[]>((resolveOutcomes, reject) =>
        child.once('exit', (code) =>
          code === 0 ? resolveOutcomes(JSON.parse(output) as string[]) : reject(new Error(`exited ${code}`)),
        ),
      );
    });
    const [first, second] = (await Promise.all(children)) as [string[], string[]];
    const perRound = first.map((outcome, round) => [outcome, second[round]].sort().join(' '));
    expect(perRound).toEqual(Array(rounds).fill('FLOWTRACE_STORAGE_LOCKED ok'));
  }, 90_000);

  it('frees the store the moment its writer is killed (kill -9), with no stale lock to judge', async () => {
    const baseDir = await tempDir();
    const { outcomes, group } = await race(baseDir, 2);
    expect([...outcomes].sort()).toEqual(['FLOWTRACE_STORAGE_LOCKED', 'ok']);
    const winner = group[outcomes.indexOf('ok')] as Contender;
    await expect(BinaryStorageAdapter.open({ baseDir })).rejects.toMatchObject({
      code: 'FLOWTRACE_STORAGE_LOCKED',
      message: expect.stringContaining(`writer process ${winner.child.pid}`),
    });
    await new Promise((resolveExit) => {
      winner.child.once('exit', resolveExit);
      winner.child.kill('SIGKILL');
    });
    const store = await BinaryStorageAdapter.open({ baseDir });
    expect(await store.findLatest('LTCUSDT', 'binance', '1m', 1)).toHaveLength(1);
    await store.close();
  }, 60_000);

  /** Whether some process holds the kernel lock of `baseDir`, as another process finds it. */
  function lockDatabaseIsHeld(baseDir: string): boolean {
    const probe = `
      const Database = require('better-sqlite3');
      const database = new Database(process.argv[1]);
      database.pragma('busy_timeout = 0');
      try { database.exec('BEGIN EXCLUSIVE'); process.stdout.write('free'); }
      catch (error) { process.stdout.write(error.code); }`;
    const result = spawnSync(process.execPath, ['-e', probe, join(baseDir, LOCK_DATABASE_FILE_NAME)], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    return result.stdout === 'SQLITE_BUSY';
  }

  it('keeps the kernel lock while a backup of the store runs in the writer process itself', async () => {
    const baseDir = await tempDir();
    const destination = join(await tempDir(), 'copy');
    const store = await BinaryStorageAdapter.open({ baseDir });
    expect(lockDatabaseIsHeld(baseDir)).toBe(true);
    await store.save(ltcCandlesFrom(Date.UTC(2024, 0, 1), 1, 1, 3)[0]!);
    await backupStore(baseDir, destination);
    // Closing any descriptor of the lock database in this process would have dropped its fcntl lock.
    expect(lockDatabaseIsHeld(baseDir)).toBe(true);
    expect(existsSync(join(destination, LOCK_DATABASE_FILE_NAME))).toBe(false);
    await store.close();
    expect(lockDatabaseIsHeld(baseDir)).toBe(false);
  }, 60_000);
});
