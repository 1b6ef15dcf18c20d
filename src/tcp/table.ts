import { type DecodedPacket, TH_ACK, TH_RST, TH_SYN } from '../decode/packet.js';
import { Connection, Eviction, isFullyClosed, isOver } from './connection.js';
import type { Endpoint } from './endpoint.js';
import { analyzeSegment } from './analysis.js';
import { TcpMachine, type TimerHost } from './machine.js';
import { TcpEvent, TcpState } from './state.js';
import { TimerQueue } from './timers.js';
import { TupleIndex } from './tuples.js';

/** Receives each connection once, when it leaves the table; the object is reused afterwards, so copy what you keep. */
export interface ConnectionSink {
  finished(c: Connection): void;
}

/** How much the table holds: the defaults are the README's (section Security). */
export interface TableLimits {
  /** Live connections followed at once; when full, the least recently active one is evicted. */
  maxConnections: number;
  /** Seconds without a packet after which a live connection is evicted; Infinity for never. */
  idleTimeout: number;
}

/**
 * A live connection takes about 1.8 KB of objects, and the heap holds as much again in garbage
 * between collections: 50,000 keep the million-SYN flood of the README under 400 MiB of RSS. Three hours of silence is
 * longer than Linux's whole keep-alive schedule (7,200 s, then 9 probes 75 s apart): a kept-alive
 * connection, or one a pool holds idle for an hour, is never split in two by the timeout.
 */
export const DEFAULT_LIMITS: Readonly<TableLimits> = Object.freeze({ maxConnections: 50_000, idleTimeout: 10_800 });

const TIMER_TIME_WAIT_CLIENT = 0;
const TIMER_TIME_WAIT_SERVER = 1;
const TIMER_LINGER = 2;

/**
 * Live connections keyed by four-tuple in either direction. A connection leaves the table
 * when its TIME_WAIT expires or, closed without one, after lingering 2MSL so that stray
 * late segments still find it; memory is bounded by live connections, not capture length.
 */
export class ConnectionTable implements TimerHost {
  private readonly index = new TupleIndex();
  /**
   * Connection objects by slot. A finished connection's object stays in its slot, for the next
   * connection given that slot to reuse: no garbage per connection.
   */
  private readonly slots: Connection[] = [];
  private readonly freeSlots: number[] = [];
  private readonly machine: TcpMachine;
  private nextId = 1;
  live = 0;
  /** The connection the last segment went to, whether the client sent it, and both sides' states just before it. */
  current: Connection | null = null;
  currentFromClient = true;
  clientBefore: TcpState = TcpState.CLOSED;
  serverBefore: TcpState = TcpState.CLOSED;
  /** Wireshark's analysis flags of the last segment (A_* in analysis.ts). */
  analysis = 0;
  /** When the connection being handed to the sink stopped being followed: its last timer, or the end of the capture. */
  finishTime = 0;
  /** Connections evicted before they were over: idle for the timeout, or least recently active in a full table. */
  evictedIdle = 0;
  evictedFull = 0;
  /** The most connections live at once. */
  peakLive = 0;
  /** Connections seen in total (ids handed out). */
  get created(): number {
    return this.nextId - 1;
  }

  /** Live connections, least recently active first. */
  private lruHead: Connection | null = null;
  private lruTail: Connection | null = null;
  private readonly maxLive: number;
  private readonly idle: number;

  private readonly timers = new TimerQueue();
  private nextDeadline = Infinity;

  /** 2×MSL in seconds, and split into whole seconds and nanoseconds for exact deadlines. */
  private readonly msl2: number;
  private readonly msl2Sec: number;
  private readonly msl2Nsec: number;

  constructor(mslSeconds: number, private readonly sink: ConnectionSink, recordTransitions = true, limits: TableLimits = DEFAULT_LIMITS) {
    this.machine = new TcpMachine(this, recordTransitions);
    this.maxLive = Math.max(1, Math.floor(limits.maxConnections));
    this.idle = limits.idleTimeout > 0 ? limits.idleTimeout : Infinity;
    this.msl2 = 2 * mslSeconds;
    this.msl2Sec = Math.floor(this.msl2);
    this.msl2Nsec = Math.round((this.msl2 - this.msl2Sec) * 1e9);
  }

  /** Applies one TCP segment; `ts` is sec + nsec·10⁻⁹. */
  segment(p: DecodedPacket, packet: number, sec: number, nsec: number, ts: number): void {
    if (ts >= this.nextDeadline) this.runTimers(ts);
    const oldest = this.lruHead;
    if (oldest !== null && ts - this.idle >= oldest.endSec + oldest.endNsec * 1e-9) this.evictIdle(ts);
    const hash = tupleHash(p);
    const slot = this.index.find(p, hash);
    let c: Connection | null = slot < 0 ? null : this.slots[slot]!;
    let fromClient = this.index.forward;
    const pureSyn = (p.flags & (TH_SYN | TH_ACK | TH_RST)) === TH_SYN;
    if (c !== null && pureSyn && this.startsNewIncarnation(c)) {
      c.at(packet, sec, nsec);
      this.endForReuse(c, c.client);
      this.endForReuse(c, c.server);
      this.finish(c);
      c = null;
    }
    if (c === null) {
      if (this.live >= this.maxLive) this.evict(this.lruHead!, Eviction.Full, ts);
      c = this.create(p, hash, packet, sec, nsec);
      fromClient = this.createdBySender;
    } else if (c !== this.lruTail) {
      this.touch(c);
    }
    if (c.client.holdsAck || c.server.holdsAck) this.machine.settle(c, ts);
    c.lastPacket = packet;
    c.endSec = sec;
    c.endNsec = nsec;
    c.at(packet, sec, nsec);
    this.current = c;
    this.currentFromClient = fromClient;
    this.clientBefore = c.client.state;
    this.serverBefore = c.server.state;
    const s = fromClient ? c.client : c.server;
    const r = fromClient ? c.server : c.client;
    s.packets++;
    s.payloadBytes += p.payloadLen;
    s.wireBytes += p.wireLen;
    this.analysis = analyzeSegment(c, s, r, p, ts);
    this.machine.segment(c, s, r, p);
    if (!c.lingering && isFullyClosed(c)) this.schedule(c, TIMER_LINGER, 0, sec, nsec);
  }

  /** The capture ended at `now`: every connection still in the table is handed on as it stands. */
  flush(now: number): void {
    this.finishTime = now;
    const live: Connection[] = [];
    for (let c = this.lruHead; c !== null; c = c.lruNext) live.push(c);
    // In the order they began, so that what keeps "the first N" (evidence, ids) keeps the earliest.
    live.sort((a, b) => a.id - b.id);
    for (const c of live) {
      if (c.client.holdsAck || c.server.holdsAck) this.machine.settle(c, now);
      this.sink.finished(c);
    }
    for (const c of live) {
      this.index.remove(c.slot);
      this.freeSlots.push(c.slot);
    }
    this.lruHead = this.lruTail = null;
    this.live = 0;
  }

  /** Every connection quiet for the idle timeout leaves, as of the moment its timeout ran out. */
  private evictIdle(now: number): void {
    for (let c = this.lruHead; c !== null && now - this.idle >= c.endSec + c.endNsec * 1e-9; c = this.lruHead) {
      this.evict(c, Eviction.Idle, c.endSec + c.endNsec * 1e-9 + this.idle);
    }
  }

  /** `c` leaves the table at `now` in whatever states it is in; they are recorded as its end states. */
  private evict(c: Connection, why: Eviction, now: number): void {
    if (c.client.holdsAck || c.server.holdsAck) this.machine.settle(c, now);
    c.evicted = why;
    if (why === Eviction.Idle) this.evictedIdle++;
    else this.evictedFull++;
    this.finish(c, now);
  }

  /** Moves `c` to the most recently active end of the list. */
  private touch(c: Connection): void {
    this.unlink(c);
    this.append(c);
  }

  private append(c: Connection): void {
    c.lruPrev = this.lruTail;
    c.lruNext = null;
    if (this.lruTail === null) this.lruHead = c;
    else this.lruTail.lruNext = c;
    this.lruTail = c;
  }

  private unlink(c: Connection): void {
    const prev = c.lruPrev;
    const next = c.lruNext;
    if (prev === null) this.lruHead = next;
    else prev.lruNext = next;
    if (next === null) this.lruTail = prev;
    else next.lruPrev = prev;
    c.lruPrev = c.lruNext = null;
  }

  startTimeWait(c: Connection, ep: Endpoint): void {
    ep.timerGen++;
    this.schedule(c, ep.side === 0 ? TIMER_TIME_WAIT_CLIENT : TIMER_TIME_WAIT_SERVER, ep.timerGen, c.curSec, c.curNsec);
  }

  /** Sets a timer of `kind` to run out 2MSL after the time sec.nsec. */
  private schedule(c: Connection, kind: number, gen: number, sec: number, nsec: number): void {
    if (kind === TIMER_LINGER) c.lingering = true;
    let dsec = sec + this.msl2Sec;
    let dnsec = nsec + this.msl2Nsec;
    if (dnsec >= 1e9) {
      dsec++;
      dnsec -= 1e9;
    }
    this.timers.push(c, kind, gen, dsec, dnsec);
    this.nextDeadline = this.timers.next;
  }

  private runTimers(now: number): void {
    const q = this.timers;
    while (q.next <= now) {
      q.shift();
      const c = q.conn!;
      // The object may have been finished, or reused by a later connection, since the timer was set.
      if (c.finalized || c.id !== q.id) continue;
      if (c.client.holdsAck || c.server.holdsAck) this.machine.settle(c, now);
      if (q.kind === TIMER_LINGER) {
        c.lingering = false;
        if (!isFullyClosed(c)) continue;
        if (c.endSec + c.endNsec * 1e-9 + this.msl2 > now) this.schedule(c, TIMER_LINGER, 0, c.endSec, c.endNsec);
        else this.finish(c);
        continue;
      }
      const ep = c.endpoint(q.kind);
      if (ep.timerGen !== q.gen || ep.state !== TcpState.TIME_WAIT) continue;
      c.at(0, q.sec, q.nsec);
      this.machine.expireTimeWait(c, ep);
      // The TIME_WAIT itself was the quiet period: nothing more can belong to this incarnation.
      if (isFullyClosed(c)) this.finish(c);
    }
    this.nextDeadline = q.next;
  }

  /**
   * A SYN on a known tuple opens a new incarnation when the old one is over: both sides
   * closed or in TIME_WAIT (RFC 9293 section 3.10.7.4, RFC 6191). A SYN on a live connection
   * is a retransmission or an anomaly of that connection.
   */
  private startsNewIncarnation(c: Connection): boolean {
    return isOver(c);
  }

  private endForReuse(c: Connection, ep: Endpoint): void {
    if (ep.state === TcpState.TIME_WAIT) this.machine.setState(c, ep, TcpState.CLOSED, TcpEvent.TupleReused);
  }

  /** Whether the connection create() made last was begun by its packet's sender (the client). */
  private createdBySender = true;

  private create(p: DecodedPacket, hash: number, packet: number, sec: number, nsec: number): Connection {
    const id = this.nextId++;
    const family = p.ipVersion === 6 ? 6 : 4;
    let c: Connection;
    if (this.freeSlots.length > 0) {
      c = this.slots[this.freeSlots.pop()!]!;
      c.reset(id, family);
    } else {
      c = new Connection(id, family);
      c.slot = this.slots.push(c) - 1;
    }
    c.encap = p.encap;
    c.firstPacket = packet;
    c.startSec = sec;
    c.startNsec = nsec;
    c.at(packet, sec, nsec);
    const f = p.flags;
    let senderIsClient: boolean;
    if ((f & (TH_SYN | TH_ACK)) === TH_SYN) {
      senderIsClient = true;
    } else if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      senderIsClient = false;
      c.roleInferred = true;
    } else {
      senderIsClient = !looksLikeServerPort(p.sport, p.dport);
      c.roleInferred = true;
    }
    const cl = c.client;
    const sv = c.server;
    if (senderIsClient) {
      cl.a0 = p.s0; cl.a1 = p.s1; cl.a2 = p.s2; cl.a3 = p.s3; cl.port = p.sport;
      sv.a0 = p.d0; sv.a1 = p.d1; sv.a2 = p.d2; sv.a3 = p.d3; sv.port = p.dport;
    } else {
      sv.a0 = p.s0; sv.a1 = p.s1; sv.a2 = p.s2; sv.a3 = p.s3; sv.port = p.sport;
      cl.a0 = p.d0; cl.a1 = p.d1; cl.a2 = p.d2; cl.a3 = p.d3; cl.port = p.dport;
    }
    if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      // A SYN,ACK proves the client sent a SYN the capture did not see.
      c.stateInferred = true;
      cl.iss = (p.ack - 1) | 0;
      cl.issKnown = true;
      this.machine.setState(c, cl, TcpState.SYN_SENT, TcpEvent.InferredSynNotCaptured);
      sv.peerSynSeen = true;
    } else if (!(f & TH_SYN)) {
      // Mid-stream: the handshake happened before the capture started.
      c.stateInferred = true;
      this.machine.setState(c, cl, TcpState.ESTABLISHED, TcpEvent.InferredMidStream);
      this.machine.setState(c, sv, TcpState.ESTABLISHED, TcpEvent.InferredMidStream);
    }
    this.createdBySender = senderIsClient;
    this.index.insert(c.slot, hash, p, senderIsClient);
    this.append(c);
    if (++this.live > this.peakLive) this.peakLive = this.live;
    return c;
  }

  /** `c` leaves the table: at `now`, or when it was over (its last packet). */
  private finish(c: Connection, now = c.endSec + c.endNsec * 1e-9): void {
    this.index.remove(c.slot);
    this.unlink(c);
    c.finalized = true;
    this.live--;
    this.finishTime = now;
    this.sink.finished(c);
    this.freeSlots.push(c.slot);
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
