import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  RejectedCandleEntry,
  RejectedCandleLogPort,
  RejectionRecord,
} from '../../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import { REMEMBERED_REJECTIONS } from '../../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import { RecentKeys } from '../../../../features/candlePersistence/application/services/RecentKeys';
import { createDirectories } from '../../../storage/file/createDirectories';
import { RejectedLogUnavailableError } from '../errors';

/** One entry, serialised, with the identity of the rejection it records. */
interface RejectionLine {
  /** SHA-256 (first 128 bits) of the entry without `time` and `channel`: message id, candle id, reasons, payload. */
  readonly key: string;
  readonly text: string;
}

interface PendingAppend {
  lines: readonly RejectionLine[];
  resolve: (records: readonly RejectionRecord[]) => void;
  reject: (error: unknown) => void;
}

/**
 * The rejected-candles log: one JSON object per line (JSONL), appended, and
 * fsync'd before `append` resolves. Concurrent appends share one write and one
 * fsync (group commit), like the candle store.
 *
 * Each rejection of one message is recorded once. A rejection is on record
 * before its batch's storage write is known to have succeeded, and when that
 * write fails (or a candle of the same message is refused by its partition)
 * the message comes again: the queue delivers it again, a producer sends it
 * again (a HybridPublisher queues it with the same id). Its candles are then
 * validated and rejected again, and appended again, with a new `time`. So
 * the log remembers what it made durable (the message id, candle id, reasons
 * and payload, not the time or the channel) and does not write an entry it
 * already holds: a retry adds no line, while the same candle sent again in a
 * new message (a new id) is a new rejection and gets its own line. The memory
 * is bounded (REMEMBERED_REJECTIONS) and lost on restart: a retry after a
 * restart (or after that many other rejections) is written again. A duplicate
 * line is possible then; a missing one never is.
 *
 * `append` tells, per entry, whether it wrote the line (`written`) or found
 * the rejection on record: the use case counts only the rejections written
 * (candles_rejected_total, the error rate), so that a retry is counted once,
 * by this same identity and memory.
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
  /** Keys of the lines made durable, least recently seen first. */
  private readonly recorded: RecentKeys;

  constructor(
    readonly path: string,
    remembered = REMEMBERED_REJECTIONS,
  ) {
    this.recorded = new RecentKeys(remembered);
  }

  append(entries: readonly RejectedCandleEntry[]): Promise<readonly RejectionRecord[]> {
    if (this.closed) return Promise.reject(new Error(`rejected-candles log ${this.path} is closed`));
    if (entries.length === 0) return Promise.resolve([]);
    // Serialised now: the payloads are not kept while the write waits.
    const lines = entries.map(rejectionLine);
    return new Promise<readonly RejectionRecord[]>((resolve, reject) => {
      this.pending.push({ lines, resolve, reject });
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
    // Decided here, not in append(): an earlier write of the same rejection has settled by now,
    // so a retry waits for it and is written only if that write failed.
    const keys = new Set<string>();
    let text = '';
    // Per append, in order: which entries this write carries (a retry's are on record already).
    const records = batch.map(({ lines }) =>
      lines.map((line): RejectionRecord => {
        if (keys.has(line.key) || this.recorded.touch(line.key)) return { key: line.key, written: false };
        keys.add(line.key);
        text += line.text;
        return { key: line.key, written: true };
      }),
    );
    try {
      if (text !== '') {
        const handle = await this.openHandle();
        const lead = this.tornTail ? '\n' : '';
        this.tornTail = true;
        await handle.write(lead + text);
        await handle.sync();
        this.tornTail = false;
        for (const key of keys) this.recorded.add(key);
      }
      batch.forEach((p, index) => {
        p.resolve(records[index] ?? []);
      });
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

/** An entry without its `time` and `channel`: what identifies the rejection of one message. */
type RejectionBody = Omit<RejectedCandleEntry, 'time' | 'channel'>;

function rejectionLine(entry: RejectedCandleEntry): RejectionLine {
  const { time, channel, ...body } = entry;
  const json = serializeBody(body);
  return {
    key: createHash('sha256').update(json).digest().toString('base64', 0, 16),
    text: `${withTimeAndChannel(time, channel, json)}\n`,
  };
}

/**
 * One JSON line per entry, always: a payload that JSON cannot encode (nesting
 * too deep for the stack, a BigInt, a cycle) is replaced by a marker and a
 * bounded preview, so that recording a refusal never fails, and a poison
 * message can neither be answered as retryable nor stall the queue behind it.
 */
export function serializeEntry(entry: RejectedCandleEntry): string {
  const { time, channel, ...body } = entry;
  return withTimeAndChannel(time, channel, serializeBody(body));
}

/** `{"time":…,"channel":…,` then the body's fields: the field order of JSON.stringify(entry). */
function withTimeAndChannel(time: string, channel: string, body: string): string {
  const head = `{"time":${JSON.stringify(time)},"channel":${JSON.stringify(channel)}`;
  return body === '{}' ? `${head}}` : `${head},${body.slice(1)}`;
}

function serializeBody(body: RejectionBody): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    return JSON.stringify({
      ...body,
      payload: undefined,
      payloadUnserializable: true,
      payloadError: `${(error as Error).name}: ${(error as Error).message}`,
      payloadPreview: previewOf(body.payload),
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
