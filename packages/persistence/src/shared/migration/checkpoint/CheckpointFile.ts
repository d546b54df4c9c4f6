import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from '../../storage/sqlite/fsyncDirectory';
import { MigrationCheckpointError } from '../MigrationErrors';
import { type MigrationCheckpoint, migrationCheckpointSchema } from './MigrationCheckpoint';

/**
 * The checkpoint as one small JSON file, replaced atomically: written to a temp
 * file in the same directory, fsync'd, renamed over the old one, then the
 * directory fsync'd. A kill at any moment leaves either the previous or the new
 * checkpoint, never a torn one.
 */
export class CheckpointFile {
  private readonly tempPath: string;

  constructor(readonly path: string) {
    this.tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  }

  /** The stored checkpoint, or undefined when there is none yet. Removes temp files a killed run left. */
  load(): MigrationCheckpoint | undefined {
    this.removeStaleTemporaries();
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new MigrationCheckpointError(`Cannot read checkpoint ${this.path}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new MigrationCheckpointError(`Checkpoint ${this.path} is not JSON`, { cause: error });
    }
    const parsed = migrationCheckpointSchema.safeParse(json);
    if (!parsed.success) {
      const details = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
      throw new MigrationCheckpointError(`Checkpoint ${this.path} is malformed: ${details.join('; ')}`);
    }
    return parsed.data;
  }

  /** `.{name}.{pid}.tmp` of earlier, killed runs: never renamed, so never part of the checkpoint. */
  private removeStaleTemporaries(): void {
    const dir = dirname(this.path);
    const prefix = `.${basename(this.path)}.`;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return; // no directory yet: nothing stale, and load() reports the missing checkpoint
    }
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
    }
  }

  save(checkpoint: MigrationCheckpoint): void {
    const bytes = Buffer.from(`${JSON.stringify(checkpoint, null, 2)}\n`, 'utf8');
    let fd: number | undefined;
    try {
      fd = openSync(this.tempPath, 'w', 0o644);
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(this.tempPath, this.path);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      rmSync(this.tempPath, { force: true });
      throw new MigrationCheckpointError(
        `Cannot write checkpoint ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    fsyncDirectory(dirname(this.path));
  }
}
