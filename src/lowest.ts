/**
 * The `limit` items of lowest rank (ties kept in the order they came), in memory bounded by about
 * twice the limit however many are offered. Trimmed first when the limit is reached, then whenever
 * it is doubled; once trimmed, an item ranked at or above the last one kept can never make it back,
 * and `admits` says so before the caller builds it.
 */
export class Lowest<T> {
  private items: T[] = [];
  private cutoff = Infinity;

  constructor(private readonly limit: number, private readonly rank: (item: T) => number) {}

  admits(rank: number): boolean {
    return rank < this.cutoff;
  }

  add(item: T): void {
    this.items.push(item);
    if (this.items.length >= (this.cutoff === Infinity ? this.limit : 2 * this.limit)) this.trim();
  }

  /** The kept items, lowest rank first. */
  sorted(): T[] {
    this.trim();
    return this.items;
  }

  private trim(): void {
    // Array.prototype.sort is stable: equal ranks stay in the order they came.
    this.items.sort((x, y) => this.rank(x) - this.rank(y));
    if (this.items.length > this.limit) this.items.length = this.limit;
    if (this.items.length === this.limit && this.limit > 0) this.cutoff = this.rank(this.items[this.limit - 1]!);
  }
}
