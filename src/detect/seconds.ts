/**
 * Counts per whole second, in at most `maxBuckets` buckets: past that (a capture whose timestamps
 * spread over more seconds than that, as a crafted one can) buckets double in width and merge, so
 * memory stays bounded and rates become averages over the wider buckets. Counts mostly come in
 * time order: the current second's total is kept aside and reaches the map when the second changes.
 */
export class SecondCounts {
  private readonly map = new Map<number, number>();
  width = 1;
  private pendingSec = NaN;
  private pendingCount = 0;

  constructor(private readonly maxBuckets = 16384) {}

  add(sec: number, n: number): void {
    if (sec === this.pendingSec) {
      this.pendingCount += n;
      return;
    }
    this.flush();
    this.pendingSec = sec;
    this.pendingCount = n;
  }

  /** Bucket start second → count; buckets are `width` seconds wide. */
  buckets(): ReadonlyMap<number, number> {
    this.flush();
    return this.map;
  }

  /** Makes the buckets `width` wide (for counts to line up with others'). */
  widen(width: number): void {
    this.flush();
    while (this.width < width) this.coarsen();
  }

  /** The counts as plain data (for another thread to merge). */
  toData(): { width: number; buckets: [number, number][] } {
    return { width: this.width, buckets: [...this.buckets()] };
  }

  /**
   * Adds counts made elsewhere (toData of another SecondCounts with the same bound). The result is
   * what one counter fed everything would hold: the width is always the narrowest that fits all
   * the seconds seen, whatever order they came in.
   */
  merge(other: { width: number; buckets: [number, number][] }): void {
    this.widen(other.width);
    for (const [sec, n] of other.buckets) {
      const k = Math.floor(sec / this.width) * this.width;
      this.map.set(k, (this.map.get(k) ?? 0) + n);
    }
    while (this.map.size > this.maxBuckets) this.coarsen();
  }

  private flush(): void {
    if (this.pendingCount === 0) return;
    const k = this.width === 1 ? this.pendingSec : Math.floor(this.pendingSec / this.width) * this.width;
    this.map.set(k, (this.map.get(k) ?? 0) + this.pendingCount);
    this.pendingCount = 0;
    this.pendingSec = NaN;
    if (this.map.size > this.maxBuckets) this.coarsen();
  }

  private coarsen(): void {
    const old = [...this.map];
    this.map.clear();
    this.width *= 2;
    for (const [k, v] of old) {
      const nk = Math.floor(k / this.width) * this.width;
      this.map.set(nk, (this.map.get(nk) ?? 0) + v);
    }
  }
}

/**
 * The largest count in one second, and the largest sum over any `window` consecutive seconds (a rate
 * over a window, a number held at once for a lifetime). Over buckets wider than a second, the
 * second's count is the bucket's average, and a window narrower than a bucket counts the bucket's share.
 */
export function peaks(counts: SecondCounts, window: number): { second: number; window: number } {
  const perSecond = counts.buckets();
  const w = counts.width;
  const span = Math.max(window, w);
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  let second = 0;
  let best = 0;
  let sum = 0;
  let lo = 0;
  for (let hi = 0; hi < seconds.length; hi++) {
    const n = perSecond.get(seconds[hi]!)!;
    if (n > second) second = n;
    sum += n;
    while (seconds[lo]! <= seconds[hi]! - span) sum -= perSecond.get(seconds[lo++]!)!;
    if (sum > best) best = sum;
  }
  return { second: second / w, window: (best * window) / span };
}
