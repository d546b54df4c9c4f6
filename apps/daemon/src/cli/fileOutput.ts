import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from './CliError';
import type { Output } from './output';

const CHUNK_BYTES = 64 * 1024;

/**
 * An `--out` file written synchronously in 64 KiB chunks. An fs.WriteStream
 * would queue what the disk has not taken yet (memory unbounded on a slow
 * disk) and report a bad path (ENOENT, EISDIR) or a full disk as an 'error'
 * event nobody listens to: a crash with a stack trace. Here each is thrown
 * where it happens, as a CliError (exit 1).
 *
 * A regular file (or a new one) is written aside and renamed over `path` only
 * by `commit()`, once the whole export is written and fsync'd: an export that
 * fails half-way (a read error, a full disk, a kill) leaves the earlier file
 * at `path` as it was, never an empty or truncated one in its place. A path
 * that is not a regular file (`/dev/stdout`, a FIFO) is written in place.
 * What a killed export left aside (`.<name>.<pid>.tmp` of a process no
 * longer running) is removed by the next export to the same path.
 */
export class FileOutput implements Output {
  readonly isTTY = false;
  private readonly fd: number;
  /** Where the export is written until `commit()`; undefined when written in place. */
  private readonly aside: string | undefined;
  private pending: string[] = [];
  private pendingLength = 0;
  private finished = false;

  constructor(private readonly path: string) {
    this.aside = isSpecialFile(path)
      ? undefined
      : join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    if (this.aside !== undefined) removeAbandonedAside(path);
    try {
      this.fd = openSync(this.aside ?? path, 'w');
    } catch (error) {
      throw new CliError(`cannot write --out ${path}: ${(error as Error).message}`, 1);
    }
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= CHUNK_BYTES) this.flush();
  }

  /** Writes what is pending, makes it durable and puts the file in place of `path`. */
  commit(): void {
    try {
      this.flush();
      if (this.aside !== undefined) fsyncSync(this.fd);
    } catch (error) {
      this.close();
      throw error;
    }
    this.finished = true;
    closeSync(this.fd);
    if (this.aside === undefined) return;
    try {
      renameSync(this.aside, this.path);
    } catch (error) {
      rmSync(this.aside, { force: true });
      throw new CliError(`cannot write --out ${this.path}: ${(error as Error).message}`, 1);
    }
  }

  /** Closes the file unless `commit()` did: what was written aside is then removed, `path` left as it was. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    closeSync(this.fd);
    if (this.aside !== undefined) rmSync(this.aside, { force: true });
  }

  private flush(): void {
    const bytes = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
    try {
      for (let offset = 0; offset < bytes.length; ) offset += writeSync(this.fd, bytes, offset);
    } catch (error) {
      throw new CliError(`cannot write --out ${this.path}: ${(error as Error).message}`, 1);
    }
  }
}

/** Whether `path` exists and is not a regular file (a device, a FIFO, a socket). */
function isSpecialFile(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Removes the files aside of earlier exports to `path` whose process is gone
 * (killed, so `close()` never ran). One of a running export is left alone.
 * Best effort: a leftover that cannot be removed costs only its space.
 */
function removeAbandonedAside(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // the directory's own problem is reported when the export opens its file
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = name.slice(prefix.length, -'.tmp'.length);
    if (!/^[1-9]\d*$/.test(pid) || isRunning(Number(pid))) continue;
    try {
      rmSync(join(dirname(path), name), { force: true });
    } catch {
      // Not ours to fix (a directory by that name, no permission): the export goes on.
    }
  }
}

/** Whether a process `pid` exists (signal 0 checks without signalling; EPERM: it exists, someone else's). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
