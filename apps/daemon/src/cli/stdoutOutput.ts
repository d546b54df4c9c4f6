import type { Output } from './output';

/**
 * The CLI's stdout. A reader that goes away (`flowtrace export <store> |
 * head -1`) makes writes fail with EPIPE, which Node reports as an 'error'
 * event on stdout: nobody listened, so the command died with a stack trace
 * and left its store open. Here the error marks the output closed: what is
 * written after it is dropped, a streaming command stops at its next candle
 * (writeCandles) and ends as it would have (store closed, its own exit code,
 * 0 for export and query: the reader took what it wanted).
 *
 * Writes also wait while the pipe's reader is behind (`drained`): Node would
 * otherwise queue an export in memory as fast as the store reads, and learn
 * of the EPIPE only once the whole store had been read (a SQLite store's
 * iteration never yields to the event loop that reports it).
 */
export class StdoutOutput implements Output {
  readonly isTTY: boolean;
  private failure: NodeJS.ErrnoException | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.isTTY = stream.isTTY === true;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= error;
    });
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * The error that closed stdout when it was not the reader leaving (EPIPE):
   * output was lost that someone meant to keep, so the command failed.
   */
  get lostOutput(): Error | undefined {
    return this.failure?.code === 'EPIPE' ? undefined : this.failure;
  }

  write(text: string): void {
    if (!this.closed) this.stream.write(text);
  }

  /**
   * Settles once what was written so far reached the reader, or failed: a
   * command's last write (a report) fails after the command returned, and
   * `lostOutput` must know of it before the exit code is chosen.
   */
  flushed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // setImmediate: the write's callback runs before the stream emits its 'error' (next tick).
    return new Promise((resolve) => this.stream.write('', () => setImmediate(resolve)));
  }

  drained(): Promise<void> | undefined {
    if (this.closed || !this.stream.writableNeedDrain) return undefined;
    return new Promise((resolve) => {
      const settle = () => {
        for (const event of ['drain', 'error', 'close'] as const) this.stream.off(event, settle);
        resolve();
      };
      for (const event of ['drain', 'error', 'close'] as const) this.stream.once(event, settle);
    });
  }
}
