import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { PacketBatch } from '../capture/index.js';
import { EvidenceStore } from '../detect/index.js';
import { partitionCount, type TableLimits } from '../tcp/index.js';
import { EventReader, type EventHead, readHead } from './events.js';
import { BATCH_ENTRIES, BatchRing, EventRing, EventType, Phase } from './shared.js';
import type { ConnectionStage, PacketStageOptions } from './stages.js';
import type { WorkerSetup, WorkerTotals } from './worker.js';

/** Event ring of each worker, in words: 4 MiB, some three thousand finished connections. */
const EVENT_WORDS = 512 << 10;

/** Where the compiled worker is (tests run the TypeScript sources, which a worker cannot load). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'worker.js');
  const root = join(dirname(here), '..', '..');
  const compiled = join(root, 'dist', 'src', 'pipeline', 'worker.js');
  if (!existsSync(compiled)) throw new Error(`--threads needs the compiled worker ${compiled}: run npm run build`);
  return compiled;
}

/** Which partitions worker w of `workers` follows: every workers-th, so that each has its share of a busy one's neighbours. */
export function partitionsOf(w: number, workers: number, partitions: number): number[] {
  const out: number[] = [];
  for (let k = w; k < partitions; k += workers) out.push(k);
  return out;
}

/** How many workers --threads N makes: never more than the table has partitions. */
export function workerCount(threads: number, limits: TableLimits): number {
  return Math.max(1, Math.min(Math.floor(threads), partitionCount(limits.maxConnections)));
}

/**
 * The analysis spread over worker threads. This thread reads the captures and copies each batch
 * of records, whole, into shared memory; every worker goes through every batch and follows its own
 * partitions of the connection table (tcp/connections.ts). The connections that begin and finish
 * come back as events, which this thread puts in one order, the order one thread makes them in:
 * by packet, then before that packet (timers) or by it, then by partition; at the end, by connection
 * id. It numbers the connections as they begin and hands each finished one to the connection
 * stage, so that every report is the same, byte for byte, whatever the number of threads.
 */
export class Threads {
  private readonly ring = BatchRing.create();
  private readonly bell = new Int32Array(new SharedArrayBuffer(8));
  private readonly events: EventRing[] = [];
  private readonly workers: Worker[] = [];
  private readonly ports: import('node:worker_threads').MessagePort[] = [];
  private readonly totals: Promise<WorkerTotals>[] = [];
  private readonly reader: EventReader;
  /** Per worker, its numbering of the live connections → the capture's. */
  private readonly ids: Map<number, number>[] = [];
  private nextId = 1;
  private readonly heads: (EventHead | null)[];
  /** Batches published, the entry being filled and its records. */
  private seq = 0;
  private entry: PacketBatch;
  private entryFirst = 1;
  private entryPath = -1;
  private readonly paths: string[];

  constructor(private readonly count: number, options: PacketStageOptions, private readonly conns: ConnectionStage,
    evidence: EvidenceStore | null, paths: readonly (string | null)[]) {
    this.paths = paths.map((p) => p ?? '');
    this.reader = new EventReader(evidence);
    this.heads = new Array<EventHead | null>(count).fill(null);
    const partitions = partitionCount(options.limits.maxConnections);
    const file = workerPath();
    for (let w = 0; w < count; w++) {
      const events = EventRing.create(EVENT_WORDS, this.bell);
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = {
        ring: this.ring.buffers, events: events.buffers, bell: this.bell.buffer as SharedArrayBuffer, port: port2, options,
        evidence: evidence !== null, paths: this.paths, index: w, workers: count, partitions: partitionsOf(w, count, partitions),
      };
      // No options of this process's: with -e, they would make the worker run that code instead of its own.
      const worker = new Worker(file, { workerData: setup, transferList: [port2], execArgv: [] });
      this.totals.push(new Promise((resolve, reject) => {
        worker.once('message', (m: { totals?: WorkerTotals; error?: string }) => (m.error ? reject(new Error(`worker ${w}: ${m.error}`)) : resolve(m.totals!)));
        worker.once('error', reject);
      }));
      this.events.push(events);
      this.workers.push(worker);
      this.ports.push(port1);
      this.ids.push(new Map());
    }
    this.entry = this.ring.batches[0]!;
    this.entry.length = 0;
  }

  /** A whole batch of one input (`path` its index, -1 when it cannot be read again), its records' bytes copied in one piece. */
  batch(b: PacketBatch, path: number, first: number): void {
    const n = b.length;
    if (n === 0) return;
    let ascending = true;
    for (let i = 1; i < n && ascending; i++) ascending = b.start[i]! >= b.start[i - 1]! + b.caplen[i - 1]!;
    if (!ascending) {
      for (let i = 0; i < n; i++) this.record(b, i, path, first + i);
      return;
    }
    const from = b.start[0]!;
    const span = b.start[n - 1]! + b.caplen[n - 1]! - from;
    const e0 = this.entry;
    if (e0.length > 0 && (this.entryPath !== path || e0.length + n > e0.start.length || this.used + span > e0.data.length)) this.publish();
    if (this.entry.length === 0) this.open(first, path, span);
    const e = this.entry;
    const at = this.used;
    const k = e.length;
    e.data.set(b.data.subarray(from, from + span), at);
    const shift = at - from;
    for (let i = 0; i < n; i++) e.start[k + i] = b.start[i]! + shift;
    e.caplen.set(b.caplen.subarray(0, n), k);
    e.sec.set(b.sec.subarray(0, n), k);
    e.nsec.set(b.nsec.subarray(0, n), k);
    e.origLen.set(b.origLen.subarray(0, n), k);
    e.linkType.set(b.linkType.subarray(0, n), k);
    e.offset.set(b.offset.subarray(0, n), k);
    e.dataOffset.set(b.dataOffset.subarray(0, n), k);
    e.length = k + n;
    this.used = at + span;
    if (e.length === e.start.length) this.publish();
  }

  /** One record (several inputs merged by time, or records out of place in their buffer), packet number `n`. */
  record(b: PacketBatch, i: number, path: number, n: number): void {
    const len = b.caplen[i]!;
    const e0 = this.entry;
    if (e0.length > 0 && (e0.length === e0.start.length || this.used + len > e0.data.length)) this.publish();
    if (this.entry.length === 0) this.open(n, path, len);
    // One entry, one input: the evidence of its records is read again from that input; of several, copied.
    if (this.entryPath !== path) this.entryPath = -1;
    const e = this.entry;
    const k = e.length;
    e.data.set(b.data.subarray(b.start[i]!, b.start[i]! + len), this.used);
    e.start[k] = this.used;
    e.caplen[k] = len;
    e.sec[k] = b.sec[i]!;
    e.nsec[k] = b.nsec[i]!;
    e.origLen[k] = b.origLen[i]!;
    e.linkType[k] = b.linkType[i]!;
    e.offset[k] = b.offset[i]!;
    e.dataOffset[k] = b.dataOffset[i]!;
    e.length = k + 1;
    this.used += len;
  }

  private used = 0;

  /** Starts filling the next entry, once every worker is done with what it held. */
  private open(first: number, path: number, bytes: number): void {
    const k = this.seq % BATCH_ENTRIES;
    while (!this.ring.free(k, this.count)) this.wait();
    const data = this.ring.reserve(k, bytes);
    if (data !== null) {
      const gen = this.ring.dataGen(k);
      for (const port of this.ports) port.postMessage({ entry: k, gen, data });
    }
    this.entry = this.ring.batches[k]!;
    this.entry.length = 0;
    this.entryFirst = first;
    this.entryPath = path;
    this.used = 0;
  }

  private publish(): void {
    if (this.entry.length === 0) return;
    this.ring.publish(this.seq % BATCH_ENTRIES, this.seq, this.entryFirst, this.entryPath);
    this.seq++;
    this.entry = this.ring.batches[this.seq % BATCH_ENTRIES]!;
    this.entry.length = 0;
    this.drain();
  }

  /**
   * The capture ended (its last packet at `lastTime`): the workers finish, and every event is taken
   * in. Resolves to the workers' totals, in worker order.
   */
  async finish(lastTime: number): Promise<WorkerTotals[]> {
    this.publish();
    this.ring.end(this.seq, lastTime);
    while (!this.allDone()) this.wait();
    try {
      return await Promise.all(this.totals);
    } finally {
      for (const p of this.ports) p.close();
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  /** Stops the workers (an error elsewhere). */
  async abort(): Promise<void> {
    for (const p of this.ports) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private allDone(): boolean {
    this.drain();
    for (let w = 0; w < this.count; w++) if (!this.events[w]!.done || this.events[w]!.peek() !== -1) return false;
    return true;
  }

  /** Takes in the events that can be put in order; then waits for a worker to say something. */
  private wait(): void {
    const seen = Atomics.load(this.bell, 0);
    if (this.drain()) return;
    if (Atomics.load(this.bell, 1) !== 0) throw new Error('a worker failed (see its error)');
    Atomics.wait(this.bell, 0, seen, 50);
  }

  /** Hands on every event whose place in the order is sure; whether it handed on any. */
  private drain(): boolean {
    let any = false;
    for (;;) {
      const w = this.next();
      if (w < 0) return any;
      any = true;
      const h = this.heads[w]!;
      const r = this.events[w]!;
      if (h.type === EventType.Started) {
        this.ids[w]!.set(h.localId, this.nextId++);
        this.conns.started();
      } else {
        const ids = this.ids[w]!;
        const id = ids.get(h.localId)!;
        ids.delete(h.localId);
        const { c, now } = this.reader.finished(r, h.at, id);
        this.conns.finished(c, now);
      }
      r.consume();
      this.heads[w] = null;
    }
  }

  /** The worker whose head event comes next in the order, or -1 when that is not sure yet. */
  private next(): number {
    let best = -1;
    let bestId = 0;
    for (let w = 0; w < this.count; w++) {
      const h = this.head(w);
      if (h === null) continue;
      const id = h.phase === Phase.End ? this.ids[w]!.get(h.localId)! : 0;
      if (best < 0 || before(h, id, this.heads[best]!, bestId)) {
        best = w;
        bestId = id;
      }
    }
    if (best < 0) return -1;
    const b = this.heads[best]!;
    for (let w = 0; w < this.count; w++) {
      if (this.heads[w] !== null) continue;
      // An empty ring: sure only if that worker can write nothing before the candidate any more.
      const r = this.events[w]!;
      const done = r.done;
      const horizon = r.writtenBefore();
      if (this.head(w) !== null) return this.next();
      if (done) continue;
      if (b.phase === Phase.End || !(b.n < horizon)) return -1;
    }
    return best;
  }

  private head(w: number): EventHead | null {
    let h = this.heads[w];
    if (h !== null) return h;
    const at = this.events[w]!.peek();
    if (at < 0) return null;
    h = { at: 0, type: EventType.Started, n: 0, phase: Phase.Packet, partition: 0, localId: 0 };
    readHead(this.events[w]!, at, h);
    this.heads[w] = h;
    return h;
  }
}

/** Whether event a (id: its connection's, for the end) comes before event b in the order one thread makes them. */
function before(a: EventHead, aId: number, b: EventHead, bId: number): boolean {
  if (a.phase === Phase.End || b.phase === Phase.End) {
    if (a.phase !== b.phase) return b.phase === Phase.End;
    return aId < bId;
  }
  if (a.n !== b.n) return a.n < b.n;
  if (a.phase !== b.phase) return a.phase < b.phase;
  return a.partition < b.partition;
}
