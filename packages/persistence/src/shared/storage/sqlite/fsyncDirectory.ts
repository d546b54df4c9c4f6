import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Makes a directory entry (a newly created file or directory) durable. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
