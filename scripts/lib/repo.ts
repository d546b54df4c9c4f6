import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (scripts/lib is two levels below it). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Node arguments that run a TypeScript file of this repository against the package sources. */
export function tsScriptArgs(script: string): string[] {
  return ['--conditions=flowtrace-source', '--import', TSX_LOADER, script];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when apps/daemon/dist/<entry>.js exists and no source it is built from is newer. */
function builtIsFresh(built: string): boolean {
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const sources = [
    join(REPO_ROOT, 'apps', 'daemon', 'src'),
    ...['core', 'ipc', 'persistence'].map((p) => join(REPO_ROOT, 'packages', p, 'src')),
  ];
  return sources.every((dir) => newestMtime(dir) <= builtAt);
}

export type DaemonEntry = 'daemon' | 'cli';

/**
 * Same rule as apps/daemon/test/daemonProcess.ts: the built `dist/<entry>.js`
 * when it is up to date with every source (what CI runs after `pnpm build`),
 * otherwise, or with FLOWTRACE_TEST_FROM_SOURCE=1, the TypeScript sources via tsx,
 * so a stale build never answers for new code.
 */
export function daemonEntryArgs(entry: DaemonEntry): { args: string[]; label: string } {
  const built = join(REPO_ROOT, 'apps', 'daemon', 'dist', `${entry}.js`);
  if (process.env.FLOWTRACE_TEST_FROM_SOURCE !== '1' && builtIsFresh(built)) {
    return { args: [built], label: `built dist/${entry}.js` };
  }
  return {
    args: tsScriptArgs(join(REPO_ROOT, 'apps', 'daemon', 'src', `${entry}.ts`)),
    label: 'TypeScript sources via tsx',
  };
}
