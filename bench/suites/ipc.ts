/**
 * `pnpm bench ipc`: the @flowtrace/ipc suite. It is implemented in
 * packages/ipc/bench/ipcSuite.ts, where better-sqlite3 (used by its baselines)
 * resolves from the package's own dependencies.
 */
export { default } from '../../packages/ipc/bench/ipcSuite';
