import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  RejectedCandleEntry,
  RejectedCandleLogPort,
} from '../../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import { createDirectories } from '../../../storage/file/createDirectories';
import { RejectedLogUnavailableError } from '../errors';

interface PendingAppend {
  text: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The rejected-candles log: one JSON object per line (JSONL), appended, and
 * fsync'd before `append` resolves. Concurrent appends share one write and one
 * fsync (group commit), like the candle store.
 *
 * A write that failed half-way may leave a torn last line; the next successful
 * append starts on a fresh line, so readers skip at most that torn line.
 */
export class JsonlRejectedCandleLog implements RejectedCandleLogPort {
  private handle: FileHandle | undefined;
  private pending: PendingAppend[] = [];
  private draining: Promise<void> | undefined;
  private tornTail = false;
  private closed = false;

  constructor(readonly path: string) {}

  append(entries: readonly RejectedCandleEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`rejected-candles log ${this.path} is closed`));
    if (entries.length === 0) return Promise.resolve();
    const text = entries.map((entry) => `${serializeEntry(entry)}\n`).join('');
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      this.kick();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /**
   * Opens the file (creating its directory) for the service's start, also
   * after close() (start after stop): a path that cannot be written fails the
   * start (RejectedLogUnavailableError) instead of the first rejection.
   */
  async open(): Promise<void> {
    this.closed = false;
    try {
      await this.openHandle();
    } catch (error) {
      throw new RejectedLogUnavailableError(this.path, error);
    }
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.pending.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const handle = await this.openHandle();
      const text = (this.tornTail ? '\n' : '') + batch.map((p) => p.text).join('');
      this.tornTail = true;
      await handle.write(text);
      await handle.sync();
      this.tornTail = false;
      for (const p of batch) p.resolve();
    } catch (error) {
      // A failed fsync leaves the page cache state unknown: reopen before trusting the file again.
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close().catch(() => undefined);
      for (const p of batch) p.reject(error);
    }
  }

  private async openHandle(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const directory = dirname(this.path);
    // One level at a time: the recursive mkdir spins forever on procfs (`/proc/x/r.jsonl`) and
    // the append, and the request waiting on it, would never settle.
    await createDirectories(directory, 'the directory of rejectedLogPath');
    const handle = await open(this.path, 'a');
    const { size } = await handle.stat();
    if (size === 0) await syncDirectory(directory);
    this.handle = handle;
    return handle;
  }
}

/** Makes a newly created file's directory entry durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Characters of an unserialisable payload kept as a preview. */
const PAYLOAD_PREVIEW_CHARS = 4096;

/**
 * One JSON line per entry, always: a payload that JSON cannot encode (nesting
 * too deep for the stack, a BigInt, a cycle) is replaced by a marker and a
 * bounded preview, so that recording a refusal never fails, and a poison
 * message can neither be answered as retryable nor stall the queue behind it.
 */
export function serializeEntry(entry: RejectedCandleEntry): string {
  try {
    return JSON.stringify(entry);
  } catch (error) {
    return JSON.stringify({
      ...entry,
      payload: undefined,
      payloadUnserializable: true,
      payloadError: `${(error as Error).name}: ${(error as Error).message}`,
      payloadPreview: previewOf(entry.payload),
    });
  }
}

function previewOf(payload: unknown): string {
  // String() of a deep object does not recurse into it; a bounded walk keeps the preview useful.
  const parts: string[] = [];
  let length = 0;
  const walk = (value: unknown, depth: number): void => {
    if (length > PAYLOAD_PREVIEW_CHARS) return;
    const push = (text: string) => {
      parts.push(text);
      length += text.length;
    };
    if (depth > 64) {
      push('…');
      return;
    }
    if (Array.isArray(value)) {
      push('[');
      for (const item of value.slice(0, 32)) walk(item, depth + 1);
      push(']');
      return;
    }
    if (typeof value === 'object' && value !== null) {
      push('{');
      for (const [key, item] of Object.entries(value).slice(0, 32)) {
        push(`${JSON.stringify(key)}:`);
        walk(item, depth + 1);
      }
      push('}');
      return;
    }
    push(typeof value === 'bigint' ? `${value}n` : String(JSON.stringify(value) ?? String(value)));
  };
  walk(payload, 0);
  return parts.join('').slice(0, PAYLOAD_PREVIEW_CHARS);
}
