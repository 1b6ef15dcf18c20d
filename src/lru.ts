/** No entry (an end of the list). */
export const NO_ENTRY = -1;

/**
 * Live entries, least recently used first, as a doubly linked list of entry numbers whose links sit
 * in the owner's own integer rows: entry k's links at k·stride + prev and k·stride + next of
 * `rows.i` (read through `rows`, since an owner that grows replaces the array). The connection
 * table and Zeek's tracker both evict the least recently active connection with it.
 */
export class LruList {
  /** The least and the most recently used entries. */
  head = NO_ENTRY;
  tail = NO_ENTRY;

  constructor(private readonly rows: { i: Int32Array }, private readonly stride: number, private readonly prev: number, private readonly next: number) {}

  /** The entry used after `k`, NO_ENTRY after the most recent. */
  after(k: number): number {
    return this.rows.i[k * this.stride + this.next]!;
  }

  /** Entry k, not in the list, becomes the most recently used. */
  append(k: number): void {
    const i = this.rows.i;
    const b = k * this.stride;
    i[b + this.prev] = this.tail;
    i[b + this.next] = NO_ENTRY;
    if (this.tail === NO_ENTRY) this.head = k;
    else i[this.tail * this.stride + this.next] = k;
    this.tail = k;
  }

  /** Entry k leaves the list. */
  remove(k: number): void {
    const i = this.rows.i;
    const b = k * this.stride;
    const prev = i[b + this.prev]!;
    const next = i[b + this.next]!;
    if (prev === NO_ENTRY) this.head = next;
    else i[prev * this.stride + this.next] = next;
    if (next === NO_ENTRY) this.tail = prev;
    else i[next * this.stride + this.prev] = prev;
    i[b + this.prev] = i[b + this.next] = NO_ENTRY;
  }

  /** Entry k, in the list, becomes the most recently used. */
  touch(k: number): void {
    if (k === this.tail) return;
    this.remove(k);
    this.append(k);
  }

  /** Empties the list (the entries' links are left as they are). */
  clear(): void {
    this.head = this.tail = NO_ENTRY;
  }
}
