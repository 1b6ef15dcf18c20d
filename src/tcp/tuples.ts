import type { DecodedPacket } from '../decode/packet.js';

/** Words of a key: the first end's address (4 words) and port, then the second end's. */
const KEY = 10;

/**
 * Four-tuples → small integers ("slots"), in either direction, by open addressing over typed arrays.
 * A lookup reads a hash and ten key words that lie together, and touches no object: with
 * tens of thousands of connections live (most of them quiet in TIME_WAIT), a chain of objects
 * would cost a cache miss per connection passed on the way. Linear probing, with deletion by
 * shifting back the entries after (no tombstones, so lookups never slow down with churn).
 */
export class TupleIndex {
  /** Per table position: slot + 1 (0: empty), and that slot's hash. */
  private at = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private mask = 1023;
  /** Per slot: its key, and its hash. */
  private keys = new Int32Array(1024 * KEY);
  private slotHash = new Int32Array(1024);
  size = 0;
  /** Whether the packet last found travels from the key's first end to its second. */
  forward = true;

  /** The slot of `p`'s four-tuple (hash `hash`, from tupleHash), or -1. */
  find(p: DecodedPacket, hash: number): number {
    const at = this.at;
    const hashes = this.hashes;
    const keys = this.keys;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s1 = at[i]!;
      if (s1 === 0) return -1;
      if (hashes[i] !== hash) continue;
      const k = (s1 - 1) * KEY;
      if (keys[k + 4] === p.sport && keys[k + 9] === p.dport && keys[k] === p.s0 && keys[k + 5] === p.d0 &&
          keys[k + 1] === p.s1 && keys[k + 2] === p.s2 && keys[k + 3] === p.s3 && keys[k + 6] === p.d1 && keys[k + 7] === p.d2 && keys[k + 8] === p.d3) {
        this.forward = true;
        return s1 - 1;
      }
      if (keys[k + 4] === p.dport && keys[k + 9] === p.sport && keys[k] === p.d0 && keys[k + 5] === p.s0 &&
          keys[k + 1] === p.d1 && keys[k + 2] === p.d2 && keys[k + 3] === p.d3 && keys[k + 6] === p.s1 && keys[k + 7] === p.s2 && keys[k + 8] === p.s3) {
        this.forward = false;
        return s1 - 1;
      }
    }
  }

  /** Enters `slot` for `p`'s tuple; `senderFirst` puts the packet's sender as the key's first end. */
  insert(slot: number, hash: number, p: DecodedPacket, senderFirst: boolean): void {
    if (slot * KEY >= this.keys.length) this.growSlots(slot + 1);
    const k = slot * KEY;
    const keys = this.keys;
    const a = senderFirst ? 0 : 5;
    const b = senderFirst ? 5 : 0;
    keys[k + a] = p.s0; keys[k + a + 1] = p.s1; keys[k + a + 2] = p.s2; keys[k + a + 3] = p.s3; keys[k + a + 4] = p.sport;
    keys[k + b] = p.d0; keys[k + b + 1] = p.d1; keys[k + b + 2] = p.d2; keys[k + b + 3] = p.d3; keys[k + b + 4] = p.dport;
    this.slotHash[slot] = hash;
    if ((this.size + 1) * 2 > this.at.length) this.grow();
    this.place(slot, hash);
    this.size++;
  }

  /** Takes `slot` out (its tuple is found no more). */
  remove(slot: number): void {
    const at = this.at;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = this.slotHash[slot]! & mask;
    while (at[i] !== slot + 1) i = (i + 1) & mask;
    // Backward-shift deletion (Knuth 6.4, algorithm R): move up every later entry whose home lies at or before the hole.
    for (let j = (i + 1) & mask; at[j] !== 0; j = (j + 1) & mask) {
      const home = hashes[j]! & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        at[i] = at[j]!;
        hashes[i] = hashes[j]!;
        i = j;
      }
    }
    at[i] = 0;
    this.size--;
  }

  private place(slot: number, hash: number): void {
    const at = this.at;
    const mask = this.mask;
    let i = hash & mask;
    while (at[i] !== 0) i = (i + 1) & mask;
    at[i] = slot + 1;
    this.hashes[i] = hash;
  }

  /** Doubles the table (kept at most half full, so that probes stay short). */
  private grow(): void {
    const old = this.at;
    const n = old.length * 2;
    this.at = new Int32Array(n);
    this.hashes = new Int32Array(n);
    this.mask = n - 1;
    for (let i = 0; i < old.length; i++) {
      const s1 = old[i]!;
      if (s1 !== 0) this.place(s1 - 1, this.slotHash[s1 - 1]!);
    }
  }

  private growSlots(slots: number): void {
    let n = this.slotHash.length;
    while (n < slots) n *= 2;
    const keys = new Int32Array(n * KEY);
    keys.set(this.keys);
    this.keys = keys;
    const h = new Int32Array(n);
    h.set(this.slotHash);
    this.slotHash = h;
  }
}
