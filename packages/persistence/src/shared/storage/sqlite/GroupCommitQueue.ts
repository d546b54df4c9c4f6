/**
 * Collects work submitted within one event-loop turn and hands it to `commit`
 * as one group (one transaction, one fsync), then settles every submitter.
 * A commit cycle starts only after the previous one finished.
 */
export class GroupCommitQueue<Item, Result> {
  private pending: { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private scheduled: Promise<void> | undefined;

  constructor(
    /** Commits a group; returns one result per item, or throws to fail the whole group. */
    private readonly commit: (items: readonly Item[]) => Result[],
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.scheduled ??= new Promise<void>((done) => {
        setImmediate(() => {
          this.scheduled = undefined;
          this.runGroup();
          done();
        });
      });
    });
  }

  /** Resolves once everything submitted so far has been committed or rejected. */
  async drain(): Promise<void> {
    while (this.scheduled) await this.scheduled;
  }

  get size(): number {
    return this.pending.length;
  }

  private runGroup(): void {
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let results: Result[];
    try {
      results = this.commit(group.map((entry) => entry.item));
    } catch (error) {
      for (const entry of group) entry.reject(error);
      return;
    }
    group.forEach((entry, index) => {
      entry.resolve(results[index] as Result);
    });
  }
}
