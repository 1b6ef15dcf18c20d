/**
 * Pending timers of the connection table, in deadline order. Every deadline is "packet time +
 * 2MSL", so a FIFO keeps them ordered; it is a ring over typed arrays that grows only when full,
 * so a long capture allocates nothing here once warmed up.
 */
export class TimerQueue {
  private slots = new Int32Array(1024);
  private ids = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private gens = new Int32Array(1024);
  private deadlines = new Float64Array(1024);
  /** The same deadline exactly, for the transition it records. */
  private secs = new Float64Array(1024);
  private nsecs = new Int32Array(1024);
  private head = 0;
  size = 0;

  /** Deadline of the earliest timer, Infinity when none is pending. */
  get next(): number {
    return this.size ? this.deadlines[this.head]! : Infinity;
  }

  /** A timer for the connection `id` in table slot `slot`. */
  push(slot: number, id: number, kind: number, gen: number, sec: number, nsec: number): void {
    if (this.size === this.slots.length) this.grow();
    const i = (this.head + this.size++) & (this.slots.length - 1);
    this.slots[i] = slot;
    this.ids[i] = id;
    this.kinds[i] = kind;
    this.gens[i] = gen;
    this.deadlines[i] = sec + nsec * 1e-9;
    this.secs[i] = sec;
    this.nsecs[i] = nsec;
  }

  /** Fields of the earliest timer, valid until the next shift(). */
  slot = 0;
  id = 0;
  kind = 0;
  gen = 0;
  sec = 0;
  nsec = 0;

  shift(): void {
    const i = this.head;
    this.slot = this.slots[i]!;
    this.id = this.ids[i]!;
    this.kind = this.kinds[i]!;
    this.gen = this.gens[i]!;
    this.sec = this.secs[i]!;
    this.nsec = this.nsecs[i]!;
    this.head = (i + 1) & (this.slots.length - 1);
    this.size--;
  }

  private grow(): void {
    const n = this.slots.length;
    const order = (k: number) => (this.head + k) & (n - 1);
    const slots = new Int32Array(n * 2);
    const ids = new Float64Array(n * 2);
    const kinds = new Uint8Array(n * 2);
    const gens = new Int32Array(n * 2);
    const deadlines = new Float64Array(n * 2);
    const secs = new Float64Array(n * 2);
    const nsecs = new Int32Array(n * 2);
    for (let k = 0; k < n; k++) {
      const i = order(k);
      slots[k] = this.slots[i]!;
      ids[k] = this.ids[i]!;
      kinds[k] = this.kinds[i]!;
      gens[k] = this.gens[i]!;
      deadlines[k] = this.deadlines[i]!;
      secs[k] = this.secs[i]!;
      nsecs[k] = this.nsecs[i]!;
    }
    this.slots = slots;
    this.ids = ids;
    this.kinds = kinds;
    this.gens = gens;
    this.deadlines = deadlines;
    this.secs = secs;
    this.nsecs = nsecs;
    this.head = 0;
  }
}
