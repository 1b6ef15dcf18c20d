import type { DecodedPacket } from '../decode/segment.js';
import type { Connection } from './connection.js';
import { CF, CONN_FLOATS } from './layout.js';
import { type ConnectionSink, ConnectionTable, DEFAULT_LIMITS, type IdSource, type TableLimits } from './table.js';
import { tupleHash } from './tuples.js';
import type { TcpState } from './state.js';

/** Partitions of the connection table at most (fewer when --max-connections is smaller). */
export const MAX_PARTITIONS = 16;

/** How many partitions a table of `maxConnections` has: each holds at least one connection. */
export function partitionCount(maxConnections: number): number {
  return Math.max(1, Math.min(MAX_PARTITIONS, Math.floor(maxConnections)));
}

/** Which partition a four-tuple (tupleHash, 30 bits) belongs to: by its top bits (the index of a table uses the low ones). */
export function partitionOf(hash: number, partitions: number): number {
  return Math.floor(hash * (partitions / 1073741824));
}

/** Partition k's share of `maxConnections`: the shares differ by at most one and add up to it. */
export function partitionLimits(limits: TableLimits, k: number, partitions: number): TableLimits {
  const n = Math.max(1, Math.floor(limits.maxConnections));
  return { maxConnections: Math.floor(n / partitions) + (k < n % partitions ? 1 : 0), idleTimeout: limits.idleTimeout };
}

/**
 * The connection table, split by four-tuple hash into partitions that share nothing but the
 * numbering of connections: each has its own rows, index, timers and least-recently-active list,
 * and its share of --max-connections. What happens to a connection depends only on its own
 * partition's packets, so the partitions can be followed on one thread or spread over several
 * (see pipeline/) with the same result. `only` lists the partitions this instance follows (all by default).
 */
export class Connections {
  readonly partitions: number;
  readonly tables: (ConnectionTable | null)[];
  /** The table the last segment went to. */
  table: ConnectionTable | null = null;
  private readonly ids: IdSource = { next: 1 };
  /** The earliest timer deadline of all partitions (or earlier: it is recomputed when reached). */
  private nextDeadline = Infinity;
  /** No connection has been quiet since before this (a lower bound, recomputed when the idle timeout is reached). */
  private quietSince = Infinity;
  private readonly idle: number;
  /** Whether the partitions are being gone through for timers and idle evictions before a packet. */
  inPass = false;

  constructor(msl: number, sink: ConnectionSink, recordTransitions = true, limits: TableLimits = DEFAULT_LIMITS, only?: readonly number[]) {
    this.partitions = partitionCount(limits.maxConnections);
    this.idle = limits.idleTimeout > 0 ? limits.idleTimeout : Infinity;
    this.tables = [];
    const onTimerSet = (deadline: number) => {
      if (deadline < this.nextDeadline) this.nextDeadline = deadline;
    };
    for (let k = 0; k < this.partitions; k++) {
      const mine = only === undefined || only.includes(k);
      const t = mine ? new ConnectionTable(msl, sink, recordTransitions, partitionLimits(limits, k, this.partitions), this.ids, k) : null;
      if (t !== null) t.onTimerSet = onTimerSet;
      this.tables.push(t);
    }
  }

  /**
   * Before the packet at `ts`: every partition runs its timers due by then and evicts what has been
   * idle too long, partition by partition. Done before every packet (of any partition), so that
   * where and when each happens does not depend on which partitions this instance follows.
   */
  advance(ts: number): void {
    if (ts >= this.nextDeadline) this.nextDeadline = this.sweep(ts, true);
    if (ts - this.idle >= this.quietSince) this.quietSince = this.sweep(ts, false);
  }

  /** Runs every partition's timers due by `ts` (`timers`), or evicts its idle connections: the next time to do it again. */
  private sweep(ts: number, timers: boolean): number {
    this.inPass = true;
    let next = Infinity;
    for (const t of this.tables) {
      if (t === null) continue;
      if (timers) t.runTimers(ts);
      else t.evictIdle(ts);
      const at = timers ? t.nextDeadline : t.quietSince;
      if (at < next) next = at;
    }
    this.inPass = false;
    return next;
  }

  /** The partition of `p`'s four-tuple, or -1 when this instance does not follow it. */
  partitionOfPacket(p: DecodedPacket): number {
    return partitionOf(tupleHash(p), this.partitions);
  }

  /**
   * Applies one TCP segment to its partition, after advance(ts); false when that partition is not
   * followed here (only advance() then: a TCP segment of any partition moves every partition's clock).
   */
  segment(p: DecodedPacket, packet: number, sec: number, nsec: number, ts: number): boolean {
    this.advance(ts);
    const hash = tupleHash(p);
    const t = this.tables[partitionOf(hash, this.partitions)]!;
    if (t === null) return false;
    t.segment(p, hash, packet, sec, nsec, ts);
    this.table = t;
    if (ts < this.quietSince) this.quietSince = ts;
    return true;
  }

  get current(): Connection | null {
    return this.table === null ? null : this.table.current;
  }

  get currentFromClient(): boolean {
    return this.table!.currentFromClient;
  }

  get clientBefore(): TcpState {
    return this.table!.clientBefore;
  }

  get serverBefore(): TcpState {
    return this.table!.serverBefore;
  }

  /** Wireshark's analysis flags of the last segment. */
  get analysis(): number {
    return this.table!.analysis;
  }

  /**
   * The capture ended at `now`: every connection still open, in every partition, is handed to the
   * sink, in the order they began (so that what keeps "the first N" keeps the earliest).
   */
  flush(now: number): void {
    const live: { t: ConnectionTable; slot: number; id: number }[] = [];
    for (const t of this.tables) {
      if (t === null) continue;
      for (const slot of t.liveSlots()) live.push({ t, slot, id: t.rows.f[slot * CONN_FLOATS + CF.id]! });
    }
    live.sort((a, b) => a.id - b.id);
    for (const l of live) l.t.finishAtEnd(l.slot, now);
    for (const t of this.tables) t?.clear();
  }

  /** The sums and largest of the partitions' counters. */
  get evictedIdle(): number {
    return this.sum((t) => t.evictedIdle);
  }

  get evictedFull(): number {
    return this.sum((t) => t.evictedFull);
  }

  private sum(f: (t: ConnectionTable) => number): number {
    let n = 0;
    for (const t of this.tables) if (t !== null) n += f(t);
    return n;
  }
}
