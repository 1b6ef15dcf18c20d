import type { DecodedPacket } from '../decode/segment.js';

/** Offsets, within a key, of the first end's address (4 words) and port, and of the second end's. */
export interface KeyLayout {
  /** Integers per slot in `keys`. */
  stride: number;
  /** Where the first end's a0..a3 and port lie (5 consecutive words), and the second end's. */
  first: number;
  second: number;
}

/**
 * Four-tuples → small integers ("slots"), in either direction, by open addressing over a typed
 * array. The keys are not copied: they are read where the caller keeps them (the connection
 * table's rows, which the packet touches next anyway), so that a lookup costs one cache line of
 * the index and the row it finds, and touches no object: with tens of thousands of connections
 * live (most of them quiet in TIME_WAIT), a chain of objects would cost a cache miss per
 * connection passed on the way. Linear probing, with deletion by shifting back the entries after
 * (no tombstones, so lookups never slow down with churn).
 */
export class TupleIndex {
  /** Per table position, two integers: slot + 1 (0: empty), and that slot's hash. */
  private at = new Int32Array(2048);
  private mask = 1023;
  /** Per slot, its hash (to find its position again on removal). */
  private slotHash = new Int32Array(1024);
  size = 0;
  /** Whether the packet last found travels from the key's first end to its second. */
  forward = true;

  constructor(private readonly layout: KeyLayout) {}

  /** The slot of `p`'s four-tuple (hash `hash`, from tupleHash), or -1; the keys are read from `keys`. */
  find(p: DecodedPacket, hash: number, keys: Int32Array): number {
    const at = this.at;
    const mask = this.mask;
    const stride = this.layout.stride;
    const first = this.layout.first;
    const second = this.layout.second;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s1 = at[2 * i]!;
      if (s1 === 0) return -1;
      if (at[2 * i + 1] !== hash) continue;
      const base = (s1 - 1) * stride;
      const a = base + first;
      const b = base + second;
      if (keys[a + 4] === p.sport && keys[b + 4] === p.dport && keys[a] === p.s0 && keys[b] === p.d0 &&
          keys[a + 1] === p.s1 && keys[a + 2] === p.s2 && keys[a + 3] === p.s3 && keys[b + 1] === p.d1 && keys[b + 2] === p.d2 && keys[b + 3] === p.d3) {
        this.forward = true;
        return s1 - 1;
      }
      if (keys[a + 4] === p.dport && keys[b + 4] === p.sport && keys[a] === p.d0 && keys[b] === p.s0 &&
          keys[a + 1] === p.d1 && keys[a + 2] === p.d2 && keys[a + 3] === p.d3 && keys[b + 1] === p.s1 && keys[b + 2] === p.s2 && keys[b + 3] === p.s3) {
        this.forward = false;
        return s1 - 1;
      }
    }
  }

  /** Enters `slot`, whose key is already in place, under `hash`. */
  insert(slot: number, hash: number): void {
    if (slot >= this.slotHash.length) {
      let n = this.slotHash.length;
      while (n <= slot) n *= 2;
      const h = new Int32Array(n);
      h.set(this.slotHash);
      this.slotHash = h;
    }
    this.slotHash[slot] = hash;
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.place(slot, hash);
    this.size++;
  }

  /** Loads what remove(slot) reads first (see ConnectionTable's warm()); returns it. */
  warm(slot: number): number {
    return this.at[2 * (this.slotHash[slot]! & this.mask)]!;
  }

  /** Takes `slot` out (its tuple is found no more). */
  remove(slot: number): void {
    const at = this.at;
    const mask = this.mask;
    let i = this.slotHash[slot]! & mask;
    while (at[2 * i] !== slot + 1) i = (i + 1) & mask;
    // Backward-shift deletion (Knuth 6.4, algorithm R): move up every later entry whose home lies at or before the hole.
    for (let j = (i + 1) & mask; at[2 * j] !== 0; j = (j + 1) & mask) {
      const home = at[2 * j + 1]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        at[2 * i] = at[2 * j]!;
        at[2 * i + 1] = at[2 * j + 1]!;
        i = j;
      }
    }
    at[2 * i] = 0;
    this.size--;
  }

  private place(slot: number, hash: number): void {
    const at = this.at;
    const mask = this.mask;
    let i = hash & mask;
    while (at[2 * i] !== 0) i = (i + 1) & mask;
    at[2 * i] = slot + 1;
    at[2 * i + 1] = hash;
  }

  /** Doubles the table (kept at most half full, so that probes stay short). */
  private grow(): void {
    const old = this.at;
    const n = (this.mask + 1) * 2;
    this.at = new Int32Array(2 * n);
    this.mask = n - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0) this.place(old[i]! - 1, old[i + 1]!);
    }
  }
}

function mix(a0: number, a1: number, a2: number, a3: number, port: number): number {
  let x = Math.imul(a0 ^ (port * 0x10001), 0x9e3779b1);
  x = Math.imul(x ^ a1, 0x85ebca6b);
  x = Math.imul(x ^ a2, 0xc2b2ae35);
  x = Math.imul(x ^ a3, 0x27d4eb2f);
  x ^= x >>> 15;
  return Math.imul(x, 0x2c1b3c6d);
}

/** The same hash for both directions of a four-tuple (kept in small-integer range). */
export function tupleHash(p: DecodedPacket): number {
  return tupleHashOf(p.s0, p.s1, p.s2, p.s3, p.sport, p.d0, p.d1, p.d2, p.d3, p.dport);
}

/** tupleHash of a four-tuple given as its two ends' address words and ports. */
export function tupleHashOf(a0: number, a1: number, a2: number, a3: number, aport: number,
  b0: number, b1: number, b2: number, b3: number, bport: number): number {
  return (mix(a0, a1, a2, a3, aport) + mix(b0, b1, b2, b3, bport)) & 0x3fffffff;
}
