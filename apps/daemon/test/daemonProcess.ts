import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const appDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(appDir, '..', '..');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

type Entry = 'daemon' | 'cli';

/** True when dist/{entry}.js exists and no source it is built from (app or packages) is newer. */
function builtIsFresh(built: string): boolean {
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const sources = [
    join(appDir, 'src'),
    ...['core', 'ipc', 'persistence'].map((p) => join(repoRoot, 'packages', p, 'src')),
  ];
  return sources.every((dir) => newestSourceMtime(dir) <= builtAt);
}

/**
 * How tests start the daemon: the built `dist/daemon.js` (what `pnpm test`
 * builds first, and what users run) when it is up to date with every source;
 * otherwise (or with FLOWTRACE_TEST_FROM_SOURCE=1) the TypeScript sources run
 * through tsx, so a stale build never answers for new code.
 */
export function entryCommand(entry: Entry): { args: string[]; label: string } {
  const built = join(appDir, 'dist', `${entry}.js`);
  if (process.env.FLOWTRACE_TEST_FROM_SOURCE !== '1' && builtIsFresh(built)) {
    return { args: [built], label: `built dist/${entry}.js` };
  }
  const tsx = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return {
    args: ['--conditions=flowtrace-source', '--import', tsx, join(appDir, 'src', `${entry}.ts`)],
    label: 'TypeScript sources via tsx',
  };
}

export const daemonCommand = () => entryCommand('daemon');

export interface RunningDaemon {
  child: ChildProcess;
  /** stdout and stderr interleaved as they arrived. */
  output: () => string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startDaemon(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): RunningDaemon {
  const child = spawn(process.execPath, [...daemonCommand().args, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the daemon to completion (for --print-config, --help, bad configs). */
export async function runDaemonOnce(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; entry?: Entry },
): Promise<{ code: number | null; output: string; stdout: string; stderr: string }> {
  const daemon = startDaemon(args, options);
  // 'close', not 'exit': the output is complete only once stdout and stderr have ended.
  const closed = new Promise<void>((resolveClose) => daemon.child.on('close', () => resolveClose()));
  const { code } = await daemon.exited;
  await closed;
  return { code, output: daemon.output(), stdout: daemon.stdout(), stderr: daemon.stderr() };
}

/**
 * Runs `flowtrace <args>` as a child process; stdout and stderr kept apart.
 * With `timeoutMs` the child is killed after that long (code null): a command
 * that could spin fails its test instead of hanging it and outliving it.
 */
export async function runCli(
  args: string[],
  cwd: string,
  options: { timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...entryCommand('cli').args, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: 'SIGKILL' }),
    // Another user (the test runs as root): what a user without write access sees.
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((r) => {
    // Not started (e.g. no permission to switch user): code null, the reason in stderr.
    child.on('error', (error) => {
      stderr += error.message;
      r(null);
    });
    child.on('close', (c) => r(c));
  });
  return { code, stdout, stderr };
}

/**
 * Runs `flowtrace <args>` with its stdout read by a reader that closes the
 * pipe after the first line, as `flowtrace ... | head -1` does: the child's
 * later writes fail with EPIPE. Killed after `timeoutMs` (code null).
 */
export async function runCliIntoHead(
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; firstLine: string; stderr: string }> {
  const child = spawn(process.execPath, [...entryCommand('cli').args, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('\n')) child.stdout.destroy();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    child.on('close', (c, s) => r([c, s])),
  );
  return { code, signal, firstLine: stdout.split('\n')[0] ?? '', stderr };
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
