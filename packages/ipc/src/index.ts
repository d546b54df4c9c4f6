/**
 * @flowtrace/ipc: everything from one import (backward compatible with the seed);
 * feature subpaths `@flowtrace/ipc/features/unix-socket` and
 * `@flowtrace/ipc/features/sqlite-queue` export the same pieces per feature.
 */
export const IPC_PACKAGE = '@flowtrace/ipc';
export * from './features/hybrid-publisher/index';
export * from './features/sqlite-queue/index';
export * from './features/unix-socket/index';
