import { closeSync, openSync, writeSync } from 'node:fs';
import { CliError } from './CliError';
import type { Output } from './output';

const CHUNK_BYTES = 64 * 1024;

/**
 * An `--out` file written synchronously in 64 KiB chunks. An fs.WriteStream
 * would queue what the disk has not taken yet (memory unbounded on a slow
 * disk) and report a bad path (ENOENT, EISDIR) or a full disk as an 'error'
 * event nobody listens to: a crash with a stack trace. Here each is thrown
 * where it happens, as a CliError (exit 1).
 */
export class FileOutput implements Output {
  readonly isTTY = false;
  private readonly fd: number;
  private pending: string[] = [];
  private pendingLength = 0;

  constructor(private readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new CliError(`cannot write --out ${path}: ${(error as Error).message}`, 1);
    }
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= CHUNK_BYTES) this.flush();
  }

  /** Writes what is pending and closes the file. */
  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
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
