import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
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
 * What a killed export left aside (`.<name>.<pid namespace>.<pid>.tmp` of a
 * process of this PID namespace no longer running) is removed by the next
 * export to the same path.
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
    this.aside = isSpecialFile(path) ? undefined : asidePath(path, process.pid);
    if (this.aside !== undefined) removeAbandonedAside(path);
    try {
      this.fd = openSync(this.aside ?? path, 'w');
    } catch (error) {
      throw cannotWrite(path, error);
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
      throw cannotWrite(this.path, error);
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
      throw cannotWrite(this.path, error);
    }
  }
}

/**
 * Why `--out path` cannot be written, naming the path as given: Node's
 * message names the file written aside (`open 'dir/.x.jsonl.ns….tmp'`),
 * which the user never typed, so its path part is left out.
 */
function cannotWrite(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const dir = dirname(path);
  const reason =
    code === 'ENOENT' && !existsSync(dir)
      ? `directory ${dir} does not exist`
      : code === 'ENOTDIR'
        ? `${dir} is not a directory`
        : code === 'EISDIR'
          ? `${path} is a directory`
          : // `EACCES: permission denied, open '…'`, `…, rename '…' -> '…'`: the code and reason only.
            (error as Error).message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
  return new CliError(`cannot write --out ${path}: ${reason}`, 1);
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
 * (killed, so `close()` never ran). One of a running export is left alone,
 * and so is one of another PID namespace (whose pid cannot be checked here).
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
    // `<namespace>.<pid>`; a bare `<pid>` is the name earlier versions used (no namespace).
    const owner = /^(?:([a-z0-9_-]+)\.)?([1-9]\d*)$/i.exec(name.slice(prefix.length, -'.tmp'.length));
    if (owner === null) continue;
    const [, namespace, pid] = owner;
    // Another PID namespace's pid says nothing here: its export may be running (containers sharing a volume).
    if (namespace !== undefined && namespace !== PID_NAMESPACE) continue;
    if (isRunning(Number(pid))) continue;
    try {
      rmSync(join(dirname(path), name), { force: true });
    } catch {
      // Not ours to fix (a directory by that name, no permission): the export goes on.
    }
  }
}

/**
 * Names the PID namespace this process runs in: the inode of
 * /proc/self/ns/pid on Linux (containers have their own; two that share a
 * volume can both run an export whose pid the other cannot see), else the
 * host name. Only letters, digits, `_` and `-`.
 */
const PID_NAMESPACE = ((): string => {
  try {
    const inode = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    if (inode !== undefined) return `ns${inode}`;
  } catch {
    // not Linux, or no /proc: the host name
  }
  return `h${hostname().replace(/[^a-z0-9_-]/gi, '_')}`;
})();

/** Where an export to `path` by process `pid` (of this PID namespace) writes until it commits. */
export function asidePath(path: string, pid: number): string {
  return join(dirname(path), `.${basename(path)}.${PID_NAMESPACE}.${pid}.tmp`);
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
