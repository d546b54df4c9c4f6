import type { Options } from 'tsup';

/**
 * The one build recipe of every package: ESM (`.js`) and CommonJS (`.cjs`)
 * with their own declaration files (`.d.ts` / `.d.cts`), for Node >= 20.19.
 * `entry` maps output names (e.g. `features/unix-socket/index`) to sources.
 */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    treeshake: true,
    outDir: 'dist',
    ...overrides,
  };
}
