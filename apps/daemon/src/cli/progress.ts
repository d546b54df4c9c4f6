/**
 * Progress on a terminal: one line on stderr, redrawn at most every 200 ms.
 * Silent when stderr is not a TTY, so piped output stays machine-readable.
 */
export class Progress {
  private last = 0;
  private shown = false;

  constructor(
    private readonly enabled: boolean,
    private readonly stream: { write(text: string): unknown } = process.stderr,
  ) {}

  update(text: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.shown = true;
    this.stream.write(`\r\x1b[2K${text}`);
  }

  done(text?: string): void {
    if (!this.enabled) return;
    if (this.shown || text) this.stream.write(`\r\x1b[2K${text ? `${text}\n` : ''}`);
  }
}
