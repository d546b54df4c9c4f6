import { open } from 'node:fs/promises';

export interface FileImage {
  readonly bytes: Uint8Array;
  readonly inode: number;
}

/**
 * A whole file and its inode, read through one handle: the bytes are those of
 * that inode even if the path is replaced meanwhile (a compaction renames a
 * new file over the old one), so an index built from them can be checked
 * against the file later found at the path.
 */
export async function readFileImage(path: string): Promise<FileImage> {
  const handle = await open(path, 'r');
  try {
    const { ino } = await handle.stat();
    return { bytes: await handle.readFile(), inode: ino };
  } finally {
    await handle.close();
  }
}
