/**
 * A set of keys bounded to `capacity`: once full, adding a key forgets the
 * least recently used one (added or found by `touch`). Insertion order of a
 * Set is the recency order: a key used again is deleted and added anew.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.keys.size;
  }

  /** Whether `key` is held; if so it becomes the most recently used. */
  touch(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.keys.add(key);
    return true;
  }

  /** Holds `key` as the most recently used, forgetting the least recently used beyond `capacity`. */
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size <= this.capacity) return;
    const oldest = this.keys.values().next();
    if (oldest.done !== true) this.keys.delete(oldest.value);
  }

  /** Forgets `key`; whether it was held. */
  delete(key: string): boolean {
    return this.keys.delete(key);
  }
}
