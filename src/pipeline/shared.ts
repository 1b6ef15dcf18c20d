import { BATCH_RECORDS, PacketBatch } from '../capture/index.js';

/**
 * The shared memory between the reading thread and the workers (pipeline/threads.ts): a ring of
 * packet batches the reader fills and every worker reads, and per worker a ring of events (each
 * connection that begins or finishes) the reader's thread takes in. Nothing is copied per packet
 * between threads, and nothing is sent as a message on the way: only Atomics on counters.
 */

/** Batches in flight at once: the reader fills one while the workers go through the others. */
export const BATCH_ENTRIES = 8;
/** Bytes of packet data an entry holds to begin with (a larger batch gets a buffer of its own). */
export const ENTRY_BYTES = 4 << 20;

/** Integers of an entry's control block. */
const enum EntryCtl {
  /** The batch number it holds (-1: none yet), set last when it is published. */
  seq,
  length,
  /** Workers done with it. */
  done,
  /** Bumped when the entry's data buffer is replaced by a larger one (sent to the workers on their ports). */
  dataGen,
  /** The input the records come from, when they can be read again there (evidence), else -1. */
  path,
  SIZE,
}

/** Integers of the ring's own control block, after the entries'. */
const enum RingCtl {
  /** Batches published in all; then the end (set once, with the capture's last time). */
  published,
  ended,
  SIZE,
}

export interface BatchRingBuffers {
  control: SharedArrayBuffer;
  /** Per entry: first packet number and, for the end, the capture's last time. */
  numbers: SharedArrayBuffer;
  arrays: SharedArrayBuffer[];
  data: SharedArrayBuffer[];
}

/** An entry's arrays over shared memory, as a PacketBatch the stages read as they read any. */
function batchOver(arrays: SharedArrayBuffer, data: SharedArrayBuffer): PacketBatch {
  const n = BATCH_RECORDS;
  let o = 0;
  const f64 = () => {
    const a = new Float64Array(arrays, o, n);
    o += n * 8;
    return a;
  };
  const i32 = () => {
    const a = new Int32Array(arrays, o, n);
    o += n * 4;
    return a;
  };
  const b = new PacketBatch({ sec: f64(), nsec: f64(), origLen: f64(), offset: f64(), dataOffset: f64(), start: i32(), caplen: i32(), linkType: i32() });
  b.data = new Uint8Array(data);
  return b;
}

const ARRAY_BYTES = BATCH_RECORDS * (5 * 8 + 3 * 4);

export class BatchRing {
  readonly ctl: Int32Array;
  readonly numbers: Float64Array;
  readonly batches: PacketBatch[];

  constructor(readonly buffers: BatchRingBuffers) {
    this.ctl = new Int32Array(buffers.control);
    this.numbers = new Float64Array(buffers.numbers);
    this.batches = buffers.arrays.map((a, k) => batchOver(a, buffers.data[k]!));
  }

  static create(): BatchRing {
    const control = new SharedArrayBuffer((BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.SIZE) * 4);
    const ring = new BatchRing({
      control,
      numbers: new SharedArrayBuffer((BATCH_ENTRIES + 1) * 8),
      arrays: Array.from({ length: BATCH_ENTRIES }, () => new SharedArrayBuffer(ARRAY_BYTES)),
      data: Array.from({ length: BATCH_ENTRIES }, () => new SharedArrayBuffer(ENTRY_BYTES)),
    });
    for (let k = 0; k < BATCH_ENTRIES; k++) ring.ctl[k * EntryCtl.SIZE + EntryCtl.seq] = -1;
    return ring;
  }

  // Reader's side.

  /** Whether entry `k` may be filled: its last batch has been read by all `workers`. */
  free(k: number, workers: number): boolean {
    const c = k * EntryCtl.SIZE;
    return Atomics.load(this.ctl, c + EntryCtl.seq) === -1 || Atomics.load(this.ctl, c + EntryCtl.done) === workers;
  }

  /** Gives entry `k` a data buffer of at least `bytes`; returns the new buffer when it had to be replaced. */
  reserve(k: number, bytes: number): SharedArrayBuffer | null {
    const b = this.batches[k]!;
    if (b.data.length >= bytes) return null;
    let size = b.data.length;
    while (size < bytes) size *= 2;
    const data = new SharedArrayBuffer(size);
    b.data = new Uint8Array(data);
    this.buffers.data[k] = data;
    Atomics.add(this.ctl, k * EntryCtl.SIZE + EntryCtl.dataGen, 1);
    return data;
  }

  /** Entry `k` holds batch number `seq` (its records already written), from packet number `first` on. */
  publish(k: number, seq: number, first: number, path: number): void {
    const c = k * EntryCtl.SIZE;
    this.numbers[k] = first;
    this.ctl[c + EntryCtl.length] = this.batches[k]!.length;
    this.ctl[c + EntryCtl.path] = path;
    Atomics.store(this.ctl, c + EntryCtl.done, 0);
    Atomics.store(this.ctl, c + EntryCtl.seq, seq);
    Atomics.notify(this.ctl, c + EntryCtl.seq);
    Atomics.store(this.ctl, BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.published, seq + 1);
  }

  /** No batch after the `batches` published: the capture's last packet was at `lastTime`. */
  end(batches: number, lastTime: number): void {
    this.numbers[BATCH_ENTRIES] = lastTime;
    const e = BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.ended;
    Atomics.store(this.ctl, BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.published, batches);
    Atomics.store(this.ctl, e, 1);
    for (let k = 0; k < BATCH_ENTRIES; k++) Atomics.notify(this.ctl, k * EntryCtl.SIZE + EntryCtl.seq);
  }

  // Workers' side.

  /** Waits until batch `seq` is in its entry (returns the entry), or the capture has ended before it (-1). */
  awaitBatch(seq: number): number {
    const k = seq % BATCH_ENTRIES;
    const c = k * EntryCtl.SIZE + EntryCtl.seq;
    for (;;) {
      const have = Atomics.load(this.ctl, c);
      if (have === seq) return k;
      const ended = Atomics.load(this.ctl, BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.ended) === 1;
      if (ended && Atomics.load(this.ctl, BATCH_ENTRIES * EntryCtl.SIZE + RingCtl.published) <= seq) return -1;
      Atomics.wait(this.ctl, c, have, 100);
    }
  }

  length(k: number): number {
    return this.ctl[k * EntryCtl.SIZE + EntryCtl.length]!;
  }

  path(k: number): number {
    return this.ctl[k * EntryCtl.SIZE + EntryCtl.path]!;
  }

  dataGen(k: number): number {
    return Atomics.load(this.ctl, k * EntryCtl.SIZE + EntryCtl.dataGen);
  }

  firstPacket(k: number): number {
    return this.numbers[k]!;
  }

  get lastTime(): number {
    return this.numbers[BATCH_ENTRIES]!;
  }

  /** This worker is done with entry `k`. */
  release(k: number): void {
    Atomics.add(this.ctl, k * EntryCtl.SIZE + EntryCtl.done, 1);
  }
}

/** What an event is. */
export const enum EventType {
  /** The rest of the ring, to its end, is unused: go on from its start. */
  Wrap = 0,
  Started = 1,
  Finished = 2,
}

/** When an event happened, for the order every thread count must agree on (see threads.ts). */
export const enum Phase {
  /** Timers and idle evictions run before packet n. */
  BeforePacket = 0,
  /** Packet n itself. */
  Packet = 1,
  /** The end of the capture, in the order the connections began. */
  End = 2,
}

/** Words (doubles) of an event's header: size and type, packet number, phase and partition, the worker's id of the connection, and when it finished. */
export const EVENT_HEADER = 5;

/** Integers of an event ring's control block. */
const enum EventCtl {
  /** Words written and read so far, modulo 2^30. */
  written,
  read,
  /** Bumped when the worker's horizon (below) moves. */
  progress,
  /** The worker has written all its events. */
  done,
  SIZE,
}

const WRAP = 1 << 30;

export interface EventRingBuffers {
  control: SharedArrayBuffer;
  /** The worker's horizon: every event before packet number `horizon` has been written. */
  horizon: SharedArrayBuffer;
  words: SharedArrayBuffer;
}

/** Events from one worker to the reading thread, in the order the worker made them: one writer, one reader. */
export class EventRing {
  readonly ctl: Int32Array;
  readonly horizon: Float64Array;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly capacity: number;
  /** The reader's and writer's own positions (words, not wrapped). */
  private pos = 0;

  constructor(readonly buffers: EventRingBuffers, private readonly bell: Int32Array) {
    this.ctl = new Int32Array(buffers.control);
    this.horizon = new Float64Array(buffers.horizon);
    this.f64 = new Float64Array(buffers.words);
    this.i32 = new Int32Array(buffers.words);
    this.u8 = new Uint8Array(buffers.words);
    this.capacity = this.f64.length;
  }

  static create(words: number, bell: Int32Array): EventRing {
    return new EventRing({
      control: new SharedArrayBuffer(EventCtl.SIZE * 4),
      horizon: new SharedArrayBuffer(8),
      words: new SharedArrayBuffer(words * 8),
    }, bell);
  }

  // Writer's side: begin(words) returns where to write; commit() publishes.

  /** Room for an event of `words` words, waiting for the reader when the ring is full; returns the word to write it at. */
  begin(words: number): number {
    if (words + 1 > this.capacity) throw new RangeError(`an event of ${words} words does not fit the ring`);
    let at = this.pos % this.capacity;
    const wrap = at + words > this.capacity ? this.capacity - at : 0;
    for (;;) {
      const read = Atomics.load(this.ctl, EventCtl.read);
      const used = ((this.pos % WRAP) - read + WRAP) % WRAP;
      if (used + wrap + words <= this.capacity) break;
      this.ring();
      Atomics.wait(this.ctl, EventCtl.read, read, 100);
    }
    if (wrap > 0) {
      this.i32[2 * at] = wrap;
      this.i32[2 * at + 1] = EventType.Wrap;
      this.pos += wrap;
      at = 0;
    }
    return at;
  }

  commit(words: number): void {
    this.pos += words;
    Atomics.store(this.ctl, EventCtl.written, this.pos % WRAP);
  }

  /** Every event before packet `n` has been written. */
  advance(n: number): void {
    this.horizon[0] = n;
    Atomics.add(this.ctl, EventCtl.progress, 1);
  }

  finish(): void {
    this.horizon[0] = Infinity;
    Atomics.store(this.ctl, EventCtl.done, 1);
    this.ring();
  }

  /** Wakes the reading thread. */
  ring(): void {
    Atomics.add(this.bell, 0, 1);
    Atomics.notify(this.bell, 0);
  }

  // Reader's side.

  /** The word the next event starts at, or -1 when none is waiting (a wrap marker is skipped). */
  peek(): number {
    for (;;) {
      const written = Atomics.load(this.ctl, EventCtl.written);
      if (written === this.pos % WRAP) return -1;
      const at = this.pos % this.capacity;
      if (this.i32[2 * at + 1] === EventType.Wrap) {
        this.pos += this.i32[2 * at]!;
        continue;
      }
      return at;
    }
  }

  /** Done with the event at the head. */
  consume(): void {
    const at = this.pos % this.capacity;
    this.pos += this.i32[2 * at]!;
    Atomics.store(this.ctl, EventCtl.read, this.pos % WRAP);
    Atomics.notify(this.ctl, EventCtl.read);
  }

  /** Every event before this packet number has been written (read after the ring is found empty). */
  writtenBefore(): number {
    Atomics.load(this.ctl, EventCtl.progress);
    return this.horizon[0]!;
  }

  get done(): boolean {
    return Atomics.load(this.ctl, EventCtl.done) === 1;
  }
}
