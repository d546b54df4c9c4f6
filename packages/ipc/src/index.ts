export const IPC_PACKAGE = '@flowtrace/ipc';
