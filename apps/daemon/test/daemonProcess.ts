import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const appDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(appDir, '..', '..');
const builtDaemon = join(appDir, 'dist', 'daemon.js');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when dist/daemon.js exists and no source it is built from (app or packages) is newer. */
function builtDaemonIsFresh(): boolean {
  if (!existsSync(builtDaemon)) return false;
  const builtAt = statSync(builtDaemon).mtimeMs;
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
export function daemonCommand(): { args: string[]; label: string } {
  if (process.env.FLOWTRACE_TEST_FROM_SOURCE !== '1' && builtDaemonIsFresh()) {
    return { args: [builtDaemon], label: 'built dist/daemon.js' };
  }
  const tsx = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return {
    args: ['--conditions=flowtrace-source', '--import', tsx, join(appDir, 'src', 'daemon.ts')],
    label: 'TypeScript sources via tsx',
  };
}

export interface RunningDaemon {
  child: ChildProcess;
  output: () => string;
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
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return { child, output: () => output, exited };
}

/** Runs the daemon to completion (for --print-config, --help, bad configs). */
export async function runDaemonOnce(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  const daemon = startDaemon(args, options);
  const { code } = await daemon.exited;
  return { code, output: daemon.output() };
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
