import { type DecodedPacket, TH_ACK, TH_RST, TH_SYN } from '../decode/segment.js';
import { Connection, Eviction } from './connection.js';
import { analyzeSegment } from './analysis.js';
import { judgeRst } from './rst-origin.js';
import { timeSegment } from './timing.js';
import {
  CF, CF_FINALIZED, CF_LINGERING, CF_REWRITTEN, CF_ROLE_INFERRED, CF_STATE_INFERRED, CI, CONN_FLOATS, CONN_INTS, EF, EI, Rows,
} from './layout.js';
import { TcpMachine, type TimerHost } from './machine.js';
import { mptcpSegment } from './mptcp.js';
import { TcpState } from './state.js';
import { TimerQueue } from './timers.js';
import { TupleIndex } from './tuples.js';
import { LruList } from '../lru.js';

/** Receives each connection once, when it leaves the table; the object is reused afterwards, so copy what you keep. */
export interface ConnectionSink {
  /** A connection has just begun (its first packet is being applied). */
  started?(c: Connection): void;
  /** `c` stopped being followed at `now`: its last timer, an eviction, or the end of the capture. */
  finished(c: Connection, now: number): void;
}

/** Numbers connections in the order they begin, across the partitions that share it. */
export interface IdSource {
  next: number;
}

/** How much the table holds: the defaults are the README's (section Security). */
export interface TableLimits {
  /** Live connections followed at once; when full, the least recently active one is evicted. */
  maxConnections: number;
  /** Seconds without a packet after which a live connection is evicted; Infinity for never. */
  idleTimeout: number;
}

/**
 * A live connection takes a row of CONN_INTS integers and CONN_FLOATS doubles (about 1.6 KB): 50,000
 * keep the million-SYN flood of the README well under 400 MiB of RSS. Three hours of silence is longer than Linux's whole keep-alive schedule (7,200 s,
 * then 9 probes 75 s apart): a kept-alive connection, or one a pool holds idle for an hour, is never
 * split in two by the timeout.
 */
export const DEFAULT_LIMITS: Readonly<TableLimits> = Object.freeze({ maxConnections: 50_000, idleTimeout: 10_800 });

/** Slots a partition's rows are made with, at most (more only as they fill): 6 MB of rows for each, mapped only as used. */
const RESERVED_SLOTS = 4096;

const TIMER_TIME_WAIT_CLIENT = 0;
const TIMER_TIME_WAIT_SERVER = 1;
const TIMER_LINGER = 2;

const CLIENT = CI.SIZE;
const SERVER = CI.SIZE + EI.SIZE;
const CLIENT_F = CF.SIZE;
const SERVER_F = CF.SIZE + EF.SIZE;
const NONE = -1;

/**
 * Live connections keyed by four-tuple in either direction. A connection leaves the table
 * when its TIME_WAIT expires or, closed without one, after lingering 2MSL so that stray
 * late segments still find it; memory is bounded by live connections, not capture length.
 * Connections are rows of typed arrays (layout.ts) in numbered slots; a finished connection's
 * slot goes to the next connection.
 */
export class ConnectionTable implements TimerHost {
  readonly rows = new Rows();
  private readonly index = new TupleIndex({ stride: CONN_INTS, first: CLIENT + EI.a0, second: SERVER + EI.a0 });
  /**
   * The view every connection is handed on through, moved to its slot: a view per slot would be
   * cold in the cache by the time its connection finishes (tens of thousands live at once).
   */
  private readonly handing: Connection;
  /** The view of each slot, made when print or show first asks for it. */
  private readonly views: (Connection | undefined)[] = [];
  /** Slots handed out so far; freed ones are given again first. */
  private slots = 0;
  private readonly freeSlots: number[] = [];
  private readonly machine: TcpMachine;
  /** Whether connections are handed on with their transitions (reports that list them need them; counts do not). */
  private readonly record: boolean;
  live = 0;
  /** The slot the last segment went to, whether the client sent it, and both sides' states just before it. */
  currentSlot = NONE;
  currentFromClient = true;
  clientBefore: TcpState = TcpState.CLOSED;
  serverBefore: TcpState = TcpState.CLOSED;
  /** Wireshark's analysis flags of the last segment (A_* in analysis.ts). */
  analysis = 0;
  /** Connections evicted before they were over: idle for the timeout, or least recently active in a full table. */
  evictedIdle = 0;
  evictedFull = 0;

  /** Live connections, least recently active first (slots). */
  private readonly lru: LruList;
  private readonly maxLive: number;
  private readonly idle: number;

  private readonly timers = new TimerQueue();

  /** 2×MSL in seconds, and split into whole seconds and nanoseconds for exact deadlines. */
  private readonly msl2: number;
  private readonly msl2Sec: number;
  private readonly msl2Nsec: number;

  constructor(mslSeconds: number, private readonly sink: ConnectionSink, recordTransitions = true, limits: TableLimits = DEFAULT_LIMITS,
    private readonly ids: IdSource = { next: 1 }, readonly partition = 0) {
    this.machine = new TcpMachine(this.rows, this);
    this.handing = new Connection(this.rows, 0, partition);
    this.lru = new LruList(this.rows, CONN_INTS, CI.lruPrev, CI.lruNext);
    this.record = recordTransitions;
    this.maxLive = Math.max(1, Math.floor(limits.maxConnections));
    this.rows.reserve(Math.min(this.maxLive, RESERVED_SLOTS));
    this.idle = limits.idleTimeout > 0 ? limits.idleTimeout : Infinity;
    this.msl2 = 2 * mslSeconds;
    this.msl2Sec = Math.floor(this.msl2);
    this.msl2Nsec = Math.round((this.msl2 - this.msl2Sec) * 1e9);
  }

  /** The connection the last segment went to. */
  get current(): Connection | null {
    return this.currentSlot === NONE ? null : this.view(this.currentSlot);
  }

  /** The first packet of the connection in `slot` whose states may still be rewritten (Infinity: none). */
  earliestOpen(slot: number): number {
    return this.machine.earliestOpen(slot);
  }

  /** The connection's transitions so far, as its history has them now (for print). */
  transitionsNow(c: Connection, out: number[]): void {
    this.machine.transitions(c, out);
  }

  /** The view of the connection in `slot` (its own, for good: unlike the one connections are handed on through). */
  view(slot: number): Connection {
    return (this.views[slot] ??= new Connection(this.rows, slot, this.partition));
  }

  /**
   * Applies one TCP segment whose four-tuple hashes to `hash` (tupleHash); `ts` is sec + nsec·10⁻⁹.
   * The timers and idle evictions due by `ts` must have been run first (Connections does it for
   * every partition at every packet).
   */
  segment(p: DecodedPacket, hash: number, packet: number, sec: number, nsec: number, ts: number): void {
    let slot = this.index.find(p, hash, this.rows.i);
    let fromClient = this.index.forward;
    const pureSyn = (p.flags & (TH_SYN | TH_ACK | TH_RST)) === TH_SYN;
    if (slot !== NONE && pureSyn && this.isOver(slot)) {
      // A SYN on a known tuple opens a new incarnation when the old one is over: both sides
      // closed or in TIME_WAIT (RFC 9293 section 3.10.7.4, RFC 6191). A SYN on a live connection
      // is a retransmission or an anomaly of that connection.
      this.warm(slot);
      this.machine.reuse(slot * CONN_INTS, slot * CONN_FLOATS, slot * CONN_INTS + (fromClient ? CLIENT : SERVER),
        slot * CONN_FLOATS + (fromClient ? CLIENT_F : SERVER_F), packet, sec, nsec);
      this.leave(slot, this.endTime(slot), sec + nsec * 1e-9);
      slot = NONE;
    }
    if (slot === NONE) {
      if (this.live >= this.maxLive) this.evict(this.lru.head, Eviction.Full, ts);
      slot = this.create(p, hash, packet, sec, nsec);
      fromClient = this.createdBySender;
    } else {
      this.lru.touch(slot);
    }
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    // Since the connection's last packet (create() makes that its first).
    const gap = (sec - f[cf + CF.endSec]!) + (nsec - i[ci + CI.endNsec]!) * 1e-9;
    f[cf + CF.lastPacket] = packet;
    f[cf + CF.endSec] = sec;
    i[ci + CI.endNsec] = nsec;
    this.currentSlot = slot;
    this.currentFromClient = fromClient;
    this.clientBefore = i[ci + CLIENT + EI.state]!;
    this.serverBefore = i[ci + SERVER + EI.state]!;
    const s = ci + (fromClient ? CLIENT : SERVER);
    const r = ci + (fromClient ? SERVER : CLIENT);
    const sf = cf + (fromClient ? CLIENT_F : SERVER_F);
    const rf = cf + (fromClient ? SERVER_F : CLIENT_F);
    i[s + EI.packets]!++;
    f[sf + EF.payloadBytes]! += p.payloadLen;
    f[sf + EF.wireBytes]! += p.wireLen;
    if ((p.flags & (TH_SYN | TH_RST)) !== 0 && p.mptcpSubtype >= 0) mptcpSegment(i, ci, p, fromClient);
    const a = analyzeSegment(i, f, ci, cf, s, sf, r, rf, p, ts, sec, nsec);
    this.analysis = a;
    timeSegment(i, f, ci, cf, s, sf, r, rf, p, a, sec, nsec, gap);
    if ((p.flags & TH_RST) !== 0) judgeRst(i, s, r, p);
    i[s + EI.lastIpId] = p.ipId;
    this.machine.segment(ci, cf, s, sf, r, rf, p, packet, sec, nsec);
    if ((i[ci + CI.flags]! & CF_LINGERING) === 0 && this.isFullyClosed(slot)) this.schedule(slot, TIMER_LINGER, 0, sec, nsec);
  }

  /**
   * The slots of the live connections, in slot order: the rows walked in the order they lie in
   * memory, rather than by the list of live connections, which at the end of a capture would be a
   * cache miss per connection, one after the other. A slot is free once finished (or cleared).
   */
  liveSlots(): number[] {
    const live: number[] = [];
    const i = this.rows.i;
    for (let s = 0; s < this.slots; s++) if ((i[s * CONN_INTS + CI.flags]! & CF_FINALIZED) === 0) live.push(s);
    return live;
  }

  /** The capture ended at `now`: the connection in `slot` is handed on as it stands (clear() empties the table after). */
  finishAtEnd(slot: number, now: number): void {
    this.warm(slot);
    this.handOn(slot, now);
  }

  /**
   * The connection in `slot` stops being followed at `now`: what is still in question is decided,
   * as of `quiet` (until when the capture showed nothing more of it), and it goes to the sink.
   */
  private handOn(slot: number, now: number, quiet = now): void {
    this.machine.decide(slot, quiet);
    const c = this.handing.at(slot);
    // Its transitions when reports list them, and when what was seen at a packet is no longer its history
    // (read from the row, which decide() has just read, rather than through the view, which is cold).
    if (this.record || (this.rows.i[slot * CONN_INTS + CI.flags]! & CF_REWRITTEN) !== 0) {
      const dropped = this.machine.transitions(c, c.transitions);
      this.rows.i[slot * CONN_INTS + CI.transitionLen] = c.transitions.length;
      this.rows.i[slot * CONN_INTS + CI.transitionsDropped] = dropped;
    }
    this.sink.finished(c, now);
  }

  /** Where warm() puts what it loaded: a value nobody reads would let the compiler leave the loads out. */
  warmed = 0;

  /**
   * Loads every cache line of the row in `slot` at once. A connection leaves the table long after
   * its last packet (its TIME_WAIT, or the next use of its four-tuple), when its row is cold; then
   * the hand-on reads all of it, and create() writes all of it for the next connection, which takes
   * the slot. These loads depend on nothing, so the processor fetches the lines together rather
   * than one miss at a time as they are used.
   */
  private warm(slot: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    let a = 0;
    for (let k = slot * CONN_INTS, end = k + CONN_INTS; k < end; k += 16) a |= i[k]!;
    // Or-ed in as integers: sums of doubles would wait for one another, a cycle or four each.
    for (let k = slot * CONN_FLOATS, end = k + CONN_FLOATS; k < end; k += 8) a |= f[k]!;
    // Its neighbours in the list of live connections, whose links its removal rewrites.
    const prev = i[slot * CONN_INTS + CI.lruPrev]!;
    const next = i[slot * CONN_INTS + CI.lruNext]!;
    if (prev !== NONE) a |= i[prev * CONN_INTS + CI.lruNext]!;
    if (next !== NONE) a |= i[next * CONN_INTS + CI.lruPrev]!;
    // And its place in the tuple index.
    a |= this.index.warm(slot);
    this.warmed = a;
  }

  /** Empties the table (after the end of the capture). */
  clear(): void {
    for (const s of this.liveSlots()) {
      this.index.remove(s);
      this.rows.i[s * CONN_INTS + CI.flags]! |= CF_FINALIZED;
      this.freeSlots.push(s);
    }
    this.lru.clear();
    this.live = 0;
  }

  /** The earliest deadline of a timer set in this partition, Infinity for none. */
  get nextDeadline(): number {
    return this.timers.next;
  }

  /** When the least recently active connection went quiet, Infinity when none is live. */
  get quietSince(): number {
    return this.lru.head === NONE ? Infinity : this.endTime(this.lru.head);
  }

  private endTime(slot: number): number {
    return this.rows.f[slot * CONN_FLOATS + CF.endSec]! + this.rows.i[slot * CONN_INTS + CI.endNsec]! * 1e-9;
  }



  /** Neither side holds the connection open any more (TIME_WAIT still waits for its 2MSL). */
  private isOver(slot: number): boolean {
    const i = this.rows.i;
    const a = i[slot * CONN_INTS + CLIENT + EI.state]!;
    const b = i[slot * CONN_INTS + SERVER + EI.state]!;
    return (a === TcpState.CLOSED || a === TcpState.TIME_WAIT || a === TcpState.LISTEN) &&
      (b === TcpState.CLOSED || b === TcpState.TIME_WAIT || b === TcpState.LISTEN);
  }

  /** Both sides CLOSED (or a listener that never took the connection). */
  private isFullyClosed(slot: number): boolean {
    const i = this.rows.i;
    const a = i[slot * CONN_INTS + CLIENT + EI.state]!;
    const b = i[slot * CONN_INTS + SERVER + EI.state]!;
    return (a === TcpState.CLOSED || a === TcpState.LISTEN) && (b === TcpState.CLOSED || b === TcpState.LISTEN);
  }

  /** Every connection quiet for the idle timeout by `now` leaves, as of the moment its timeout ran out. */
  evictIdle(now: number): void {
    for (let s = this.lru.head; s !== NONE && now - this.idle >= this.endTime(s); s = this.lru.head) {
      this.evict(s, Eviction.Idle, this.endTime(s) + this.idle);
    }
  }

  /** The connection in `slot` leaves the table at `now` in whatever states it is in; they are recorded as its end states. */
  private evict(slot: number, why: Eviction, now: number): void {
    this.rows.i[slot * CONN_INTS + CI.evicted] = why;
    if (why === Eviction.Idle) this.evictedIdle++;
    else this.evictedFull++;
    this.finish(slot, now);
  }

  startTimeWait(slot: number, side: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const gen = ++i[slot * CONN_INTS + CI.SIZE + side * EI.SIZE + EI.timerGen]!;
    this.schedule(slot, side === 0 ? TIMER_TIME_WAIT_CLIENT : TIMER_TIME_WAIT_SERVER, gen, sec, nsec);
  }

  /** Sets a timer of `kind` to run out 2MSL after the time sec.nsec. */
  private schedule(slot: number, kind: number, gen: number, sec: number, nsec: number): void {
    if (kind === TIMER_LINGER) this.rows.i[slot * CONN_INTS + CI.flags]! |= CF_LINGERING;
    let dsec = sec + this.msl2Sec;
    let dnsec = nsec + this.msl2Nsec;
    if (dnsec >= 1e9) {
      dsec++;
      dnsec -= 1e9;
    }
    this.timers.push(slot, this.rows.f[slot * CONN_FLOATS + CF.id]!, kind, gen, dsec, dnsec);
    this.onTimerSet(dsec + dnsec * 1e-9);
  }

  /** Told of every deadline set (Connections keeps the earliest of all partitions). */
  onTimerSet: (deadline: number) => void = () => {};

  /**
   * Runs the timers due by `now`. Each acts as of its own deadline, never of `now`, so that what
   * it does does not depend on which packet came next.
   */
  runTimers(now: number): void {
    const q = this.timers;
    while (q.next <= now) {
      const deadline = q.next;
      q.shift();
      const slot = q.slot;
      const ci = slot * CONN_INTS;
      const cf = slot * CONN_FLOATS;
      const i = this.rows.i;
      // The connection may have been finished, or its slot given to a later connection, since the timer was set.
      if ((i[ci + CI.flags]! & CF_FINALIZED) !== 0 || this.rows.f[cf + CF.id] !== q.id) continue;
      if (q.kind === TIMER_LINGER) {
        i[ci + CI.flags]! &= ~CF_LINGERING;
        if (!this.isFullyClosed(slot)) continue;
        if (this.endTime(slot) + this.msl2 > deadline) this.schedule(slot, TIMER_LINGER, 0, this.rows.f[cf + CF.endSec]!, i[ci + CI.endNsec]!);
        else this.finish(slot, this.endTime(slot), deadline);
        continue;
      }
      const side = q.kind;
      const e = ci + CI.SIZE + side * EI.SIZE;
      if (i[e + EI.timerGen] !== q.gen || i[e + EI.state] !== TcpState.TIME_WAIT) continue;
      this.machine.expireTimeWait(ci, e, cf + CF.SIZE + side * EF.SIZE, q.sec, q.nsec);
      // The TIME_WAIT itself was the quiet period: nothing more can belong to this incarnation.
      if (this.isFullyClosed(slot)) this.finish(slot, this.endTime(slot), deadline);
    }
  }

  /** Whether the connection create() made last was begun by its packet's sender (the client). */
  private createdBySender = true;

  private create(p: DecodedPacket, hash: number, packet: number, sec: number, nsec: number): number {
    const id = this.ids.next++;
    let slot: number;
    if (this.freeSlots.length > 0) {
      slot = this.freeSlots.pop()!;
    } else {
      slot = this.slots++;
      this.rows.ensure(slot + 1);
    }
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    // Copied whole rather than zeroed by loops of stores: 0.98 times their time, measured.
    this.rows.blank(slot);
    i[ci + CI.family] = p.ipVersion === 6 ? 6 : 4;
    i[ci + CI.encap] = p.encap;
    f[cf + CF.id] = id;
    f[cf + CF.firstPacket] = packet;
    f[cf + CF.startSec] = f[cf + CF.endSec] = sec;
    i[ci + CI.startNsec] = i[ci + CI.endNsec] = nsec;
    const fl = p.flags;
    let senderIsClient: boolean;
    if ((fl & (TH_SYN | TH_ACK)) === TH_SYN) {
      senderIsClient = true;
    } else if ((fl & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      senderIsClient = false;
      i[ci + CI.flags]! |= CF_ROLE_INFERRED | CF_STATE_INFERRED;
    } else {
      senderIsClient = !looksLikeServerPort(p.sport, p.dport);
      i[ci + CI.flags]! |= CF_ROLE_INFERRED | CF_STATE_INFERRED;
    }
    const cl = ci + CLIENT;
    const sv = ci + SERVER;
    const src = senderIsClient ? cl : sv;
    const dst = senderIsClient ? sv : cl;
    i[src + EI.a0] = p.s0; i[src + EI.a1] = p.s1; i[src + EI.a2] = p.s2; i[src + EI.a3] = p.s3; i[src + EI.port] = p.sport;
    i[dst + EI.a0] = p.d0; i[dst + EI.a1] = p.d1; i[dst + EI.a2] = p.d2; i[dst + EI.a3] = p.d3; i[dst + EI.port] = p.dport;
    this.machine.open(ci, cf, p, packet, sec, nsec);
    this.createdBySender = senderIsClient;
    this.index.insert(slot, hash);
    this.lru.append(slot);
    this.live++;
    this.sink.started?.(this.handing.at(slot));
    return slot;
  }

  /** The connection in `slot` leaves the table at `now`; nothing more of it came until `quiet`. */
  private finish(slot: number, now: number, quiet = now): void {
    this.warm(slot);
    this.leave(slot, now, quiet);
  }

  /** finish() of a row warm() has loaded already. */
  private leave(slot: number, now: number, quiet: number): void {
    this.index.remove(slot);
    this.lru.remove(slot);
    this.rows.i[slot * CONN_INTS + CI.flags]! |= CF_FINALIZED;
    this.live--;
    this.handOn(slot, now, quiet);
    this.freeSlots.push(slot);
  }
}

/**
 * Which side is the server when the handshake was not captured: a port below 1024
 * against one above it, else a port outside the Linux ephemeral range against one inside it.
 */
function looksLikeServerPort(sport: number, dport: number): boolean {
  if (sport < 1024 !== dport < 1024) return sport < 1024;
  const sEph = sport >= 32768;
  const dEph = dport >= 32768;
  if (sEph !== dEph) return !sEph;
  return false;
}
