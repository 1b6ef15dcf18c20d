import { type CaptureInput, finerPrecision, type PcapReaderName } from '../capture/index.js';
import { addrToString } from '../decode/index.js';
import { type ConnectionRecord, DEFAULT_LIMITS, type EndpointRecord, type TableLimits } from '../tcp/index.js';
import { Vantage } from '../tcp/vantage.js';
import { TOOL_NAME, VERSION } from '../version.js';
import {
  type ClockEstimate, type CorrelateReport, type CorrelatedConnection, type CorrelatedEndpoint, DEFAULT_PATH_LOSS, type DelayStats,
  type Fate, MAX_RUNGS, type PathLossThresholds, type PathSegment, type Point,
} from './model.js';
import { type CaptureSide, FLAG_BITS, FROM_CLIENT, readSide, type SegmentTable } from './packets.js';
import { pathLoss } from './path-loss.js';

export interface CorrelateOptions {
  msl?: number;
  limits?: TableLimits;
  reader?: PcapReaderName;
  thresholds?: PathLossThresholds;
  /** Keep each connection's segments in order for a ladder (the HTML page's). */
  rungs?: boolean;
}

/** A transit this much shorter than zero, on the clocks as estimated, is no match (timestamps' own noise is less). */
const EARLY = 0.001;
/** 2^26: B's connection ids below it. */
const PAIR_KEY = 67108864;
/** A matched pair whose IPv4 IDs differ scores this many seconds worse: the ID tells a retransmission from its original. */
const ID_MISMATCH = 1000;

/** One connection found in both captures: its ids, and whether B names its client the other way round from A. */
interface Pair {
  a: number;
  b: number;
  /** A's, B's client is the correlated server (A's roles are kept unless A inferred them and B did not). */
  flipA: boolean;
  flipB: boolean;
  nearClient: Point | null;
}

/**
 * Two captures of the same traffic at two points of its path, matched segment by segment: by what
 * a NAT between the points leaves alone (sequence and acknowledgment numbers, flags, length, the
 * first payload bytes, the IPv4 ID), so that the four-tuples may differ and the mapping is found
 * from the segments. Each connection's endpoints take their states from the capture nearer them.
 */
export async function correlate(a: CaptureInput, b: CaptureInput, options: CorrelateOptions = {}): Promise<CorrelateReport> {
  const msl = options.msl ?? 30;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const reader = options.reader ?? 'tcpstate';
  const A = await readSide(a, msl, limits, reader);
  const B = await readSide(b, msl, limits, reader);
  return new Correlation(A, B, options.rungs ?? false).report(options.thresholds ?? DEFAULT_PATH_LOSS);
}

class Correlation {
  /** Seconds from A's base to B's: B's times plus this are on A's base. */
  private readonly shift: number;
  private readonly chainA: Chains;
  private readonly chainB: Chains;
  private readonly pairsByA = new Map<number, Pair>();
  private readonly pairsByB = new Map<number, Pair>();
  private readonly matchA: Int32Array;
  private readonly matchB: Int32Array;
  private clock: ClockEstimate = { offset: 0, drift: null, bounds: null, synchronized: true, samples: 0 };
  /** A's time the offset is given at, and the least transit each way (A to B, B to A) on the estimated clocks. */
  private clockAt = 0;
  private minAB = 0;
  private minBA = 0;
  private nearClient: Point | null = null;

  constructor(private readonly A: CaptureSide, private readonly B: CaptureSide, private readonly keepRungs: boolean) {
    this.shift = Number.isNaN(A.base) || Number.isNaN(B.base) ? 0 : B.base - A.base;
    this.chainA = new Chains(A.segments);
    this.chainB = new Chains(B.segments);
    this.matchA = new Int32Array(A.segments.count).fill(-1);
    this.matchB = new Int32Array(B.segments.count).fill(-1);
  }

  report(thresholds: PathLossThresholds): CorrelateReport {
    const unique = this.uniqueMatches();
    this.pairConnections(unique);
    this.estimateClock(unique);
    this.matchAll();
    const connections = this.connections();
    const A = this.A;
    const B = this.B;
    const input = (s: CaptureSide) => ({
      file: s.file, packets: s.packets, segments: s.segments.count, precision: s.precision,
      first: Number.isNaN(s.first) ? null : split(s.base, s.first), last: Number.isNaN(s.last) ? null : split(s.base, s.last),
    });
    const c2s: number[] = [];
    const s2c: number[] = [];
    for (const c of this.transits.values()) {
      c2s.push(...c.c2s);
      s2c.push(...c.s2c);
    }
    let matched = 0;
    for (let i = 0; i < this.matchA.length; i++) if (this.matchA[i]! >= 0) matched++;
    const report: CorrelateReport = {
      tool: { name: TOOL_NAME, version: VERSION },
      inputs: [input(A), input(B)],
      precision: finerPrecision(A.precision, B.precision),
      nearClient: this.nearClient,
      clock: this.clock,
      matched: {
        segments: matched, connections: this.pairsByA.size,
        onlyA: A.connections.size - this.pairsByA.size, onlyB: B.connections.size - this.pairsByB.size,
      },
      oneWayDelay: { clientToServer: stats(c2s), serverToClient: stats(s2c) },
      connections,
      findings: [],
      thresholds,
      damage: A.damage ?? B.damage,
    };
    report.findings = pathLoss(report, thresholds);
    return report;
  }

  /** B's time of segment j on A's clock, as the clock estimate has it. */
  private onA(j: number): number {
    const t = this.B.segments.time[j]! + this.shift;
    return t - this.offsetAt(t);
  }

  private offsetAt(t: number): number {
    const c = this.clock;
    return c.synchronized ? 0 : c.offset + (c.drift ?? 0) * (t - this.clockAt);
  }

  /** Segment i of A and j of B carry the same bytes (the payload compared as far as both captured it). */
  private same(i: number, j: number): boolean {
    const x = this.A.segments;
    const y = this.B.segments;
    if (x.seq[i] !== y.seq[j] || x.ack[i] !== y.ack[j] || x.len[i] !== y.len[j] || (x.flags[i]! & FLAG_BITS) !== (y.flags[j]! & FLAG_BITS)) return false;
    const m = Math.min(x.hashed[i]!, y.hashed[j]!);
    return m === 0 || x.hashed[i] !== y.hashed[j] || x.hash[i] === y.hash[j];
  }

  /** Pairs (A index, B index) of segments that are the only one of their kind in each capture. */
  private uniqueMatches(): Int32Array {
    const out: number[] = [];
    const x = this.A.segments;
    for (let i = 0; i < x.count; i++) {
      let twins = 0;
      for (let k = this.chainA.first(x, i); k >= 0 && twins < 2; k = this.chainA.next[k]!) if (k !== i && this.sameA(i, k)) twins++;
      if (twins) continue;
      let found = -1;
      let n = 0;
      for (let j = this.chainB.first(x, i); j >= 0 && n < 2; j = this.chainB.next[j]!) {
        if (this.same(i, j)) {
          found = j;
          n++;
        }
      }
      // Two in B are as ambiguous as two in A (which the twins above are).
      if (n === 1) out.push(i, found);
    }
    return Int32Array.from(out);
  }

  private sameA(i: number, k: number): boolean {
    const x = this.A.segments;
    return x.seq[i] === x.seq[k] && x.ack[i] === x.ack[k] && x.len[i] === x.len[k] && (x.flags[i]! & FLAG_BITS) === (x.flags[k]! & FLAG_BITS) &&
      x.hash[i] === x.hash[k];
  }

  /** Each A connection paired with the B connection most of its unique segments are in, where that choice is mutual. */
  private pairConnections(unique: Int32Array): void {
    const x = this.A.segments;
    const y = this.B.segments;
    // Keyed by both ids in one number (exact while A's ids stay below 2^27).
    const votes = new Map<number, { n: number; flipped: number }>();
    for (let k = 0; k < unique.length; k += 2) {
      const i = unique[k]!;
      const j = unique[k + 1]!;
      const key = x.conn[i]! * PAIR_KEY + y.conn[j]!;
      const v = votes.get(key) ?? { n: 0, flipped: 0 };
      v.n++;
      if ((x.flags[i]! & FROM_CLIENT) !== (y.flags[j]! & FROM_CLIENT)) v.flipped++;
      votes.set(key, v);
    }
    const bestOfA = new Map<number, [number, number]>();
    const bestOfB = new Map<number, [number, number]>();
    // In key order, so that ties go the same way every run.
    for (const [key, v] of [...votes].sort((p, q) => p[0] - q[0])) {
      const ca = Math.floor(key / PAIR_KEY);
      const cb = key % PAIR_KEY;
      if ((bestOfA.get(ca)?.[1] ?? 0) < v.n) bestOfA.set(ca, [cb, v.n]);
      if ((bestOfB.get(cb)?.[1] ?? 0) < v.n) bestOfB.set(cb, [ca, v.n]);
    }
    for (const [ca, [cb]] of bestOfA) {
      if (bestOfB.get(cb)?.[0] !== ca) continue;
      const v = votes.get(ca * PAIR_KEY + cb)!;
      const reversed = v.flipped * 2 > v.n;
      const ra = this.A.connections.get(ca);
      const rb = this.B.connections.get(cb);
      // A's roles stand, unless A had to guess them and B saw the handshake.
      const keepB = reversed && ra !== undefined && rb !== undefined && ra.roleInferred && !rb.roleInferred;
      const pair: Pair = { a: ca, b: cb, flipA: keepB, flipB: reversed && !keepB, nearClient: null };
      this.pairsByA.set(ca, pair);
      this.pairsByB.set(cb, pair);
    }
  }

  /** Whether segment k of a capture came from the correlated client. */
  private fromClientA(i: number): boolean {
    const p = this.pairsByA.get(this.A.segments.conn[i]!);
    return ((this.A.segments.flags[i]! & FROM_CLIENT) !== 0) !== (p?.flipA ?? false);
  }

  private fromClientB(j: number): boolean {
    const p = this.pairsByB.get(this.B.segments.conn[j]!);
    return ((this.B.segments.flags[j]! & FROM_CLIENT) !== 0) !== (p?.flipB ?? false);
  }

  /**
   * Which capture is nearer each connection's client, then the clocks. With A nearer the client, a
   * client's segment reaches B later than A (B − A is the transit plus the offset) and a server's
   * earlier (B − A is the offset less the transit): every client's difference is then above every
   * server's, whatever the offset. The offset lies between the largest difference of segments that
   * passed B first and the smallest of those that passed A first.
   */
  private estimateClock(unique: Int32Array): void {
    const x = this.A.segments;
    const perPair = new Map<Pair, { c: [number, number]; s: [number, number] }>();
    for (let k = 0; k < unique.length; k += 2) {
      const i = unique[k]!;
      const j = unique[k + 1]!;
      const p = this.pairsByA.get(x.conn[i]!);
      if (p === undefined || p.b !== this.B.segments.conn[j]) continue;
      const d = this.B.segments.time[j]! + this.shift - x.time[i]!;
      const r = perPair.get(p) ?? { c: [Infinity, -Infinity], s: [Infinity, -Infinity] };
      const side = this.fromClientA(i) ? r.c : r.s;
      side[0] = Math.min(side[0], d);
      side[1] = Math.max(side[1], d);
      perPair.set(p, r);
    }
    let votesA = 0;
    let votesB = 0;
    for (const [p, r] of perPair) {
      p.nearClient = r.c[0] > r.s[1] ? 'A' : r.s[0] > r.c[1] ? 'B' : null;
      if (p.nearClient === 'A') votesA++;
      else if (p.nearClient === 'B') votesB++;
    }
    this.nearClient = votesA && !votesB ? 'A' : votesB && !votesA ? 'B' : null;
    // The connections that cannot tell by themselves take the capture's side, else their handshake's (analyze's vantage).
    for (const p of this.pairsByA.values()) if (p.nearClient === null) p.nearClient = this.nearClient ?? this.vantageNear(p.a, p.b);
    // Bounds from every matched unique segment: A first (upper bound) or B first (lower bound).
    const samples: { t: number; d: number; aFirst: boolean }[] = [];
    for (let k = 0; k < unique.length; k += 2) {
      const i = unique[k]!;
      const j = unique[k + 1]!;
      const p = this.pairsByA.get(x.conn[i]!);
      if (p === undefined || p.b !== this.B.segments.conn[j] || p.nearClient === null) continue;
      samples.push({ t: x.time[i]!, d: this.B.segments.time[j]! + this.shift - x.time[i]!, aFirst: this.fromClientA(i) === (p.nearClient === 'A') });
    }
    const bounds = (list: typeof samples) => {
      let hi = Infinity;
      let lo = -Infinity;
      for (const s of list) {
        if (s.aFirst) hi = Math.min(hi, s.d);
        else lo = Math.max(lo, s.d);
      }
      return { lo, hi };
    };
    const all = bounds(samples);
    this.clockAt = samples.length ? samples.reduce((m, s) => Math.min(m, s.t), Infinity) : 0;
    const synchronized = all.lo <= 0 && 0 <= all.hi;
    const mid = (b: { lo: number; hi: number }) => (Number.isFinite(b.lo) && Number.isFinite(b.hi) ? (b.lo + b.hi) / 2 : Number.isFinite(b.hi) ? b.hi : b.lo);
    // Drift: the middle of the allowed interval in each half of the capture.
    let drift: number | null = null;
    if (samples.length >= 8) {
      const sorted = [...samples].sort((p, q) => p.t - q.t);
      const h = sorted.length >> 1;
      const first = sorted.slice(0, h);
      const second = sorted.slice(h);
      const b1 = bounds(first);
      const b2 = bounds(second);
      const t1 = first.reduce((m, s) => m + s.t, 0) / first.length;
      const t2 = second.reduce((m, s) => m + s.t, 0) / second.length;
      // A clock that drifts moves both bounds the same way; bounds moving apart or together are the
      // path's delay changing (or its noise), not the clocks. The smaller move is all the segments prove.
      if ([b1.lo, b1.hi, b2.lo, b2.hi].every(Number.isFinite) && t2 > t1) {
        const hi = (b2.hi - b1.hi) / (t2 - t1);
        const lo = (b2.lo - b1.lo) / (t2 - t1);
        drift = Math.sign(hi) === Math.sign(lo) ? Math.sign(hi) * Math.min(Math.abs(hi), Math.abs(lo)) : 0;
      }
    }
    const offset = samples.length === 0 || synchronized ? 0 : mid(all);
    this.clock = {
      offset, drift, synchronized, samples: samples.length,
      bounds: Number.isFinite(all.lo) && Number.isFinite(all.hi) ? { min: all.lo, max: all.hi } : null,
    };
    // The least transit each way, on the clocks as estimated: where a segment not seen at the other point should have been.
    let minAB = Infinity;
    let minBA = Infinity;
    for (const s of samples) {
      const transit = s.aFirst ? s.d - this.offsetAt(s.t) : this.offsetAt(s.t) - s.d;
      if (s.aFirst) minAB = Math.min(minAB, transit);
      else minBA = Math.min(minBA, transit);
    }
    this.minAB = Number.isFinite(minAB) ? Math.max(0, minAB) : 0;
    this.minBA = Number.isFinite(minBA) ? Math.max(0, minBA) : 0;
  }

  private vantageNear(a: number, b: number): Point | null {
    const ra = this.A.connections.get(a);
    const rb = this.B.connections.get(b);
    if (ra?.vantage === Vantage.NearClient || rb?.vantage === Vantage.NearServer) return 'A';
    if (ra?.vantage === Vantage.NearServer || rb?.vantage === Vantage.NearClient) return 'B';
    return null;
  }

  /**
   * Every segment of a paired connection matched to its copy at the other point: of several
   * candidates (retransmissions carry the same bytes), the one whose transit is nearest the least
   * transit that way and whose IPv4 ID is the same. Each B segment keeps the A segment it suits best;
   * the A segments it turned down try again among the rest.
   */
  private matchAll(): void {
    const x = this.A.segments;
    const y = this.B.segments;
    for (let round = 0; round < 3; round++) {
      const offers = new Map<number, [number, number]>();
      for (let i = 0; i < x.count; i++) {
        if (this.matchA[i]! >= 0) continue;
        const p = this.pairsByA.get(x.conn[i]!);
        if (p === undefined) continue;
        const fromClient = this.fromClientA(i);
        const aFirst = p.nearClient === null ? null : fromClient === (p.nearClient === 'A');
        let best = -1;
        let bestScore = Infinity;
        for (let j = this.chainB.first(x, i); j >= 0; j = this.chainB.next[j]!) {
          if (this.matchB[j]! >= 0 || y.conn[j] !== p.b || this.fromClientB(j) !== fromClient || !this.same(i, j)) continue;
          const d = this.onA(j) - x.time[i]!;
          const transit = aFirst === null ? Math.abs(d) : aFirst ? d : -d;
          if (transit < -EARLY) continue;
          const score = Math.abs(transit - (aFirst === false ? this.minBA : this.minAB)) +
            (x.ipId[i]! >= 0 && y.ipId[j]! >= 0 && x.ipId[i] !== y.ipId[j] ? ID_MISMATCH : 0);
          if (score < bestScore) {
            bestScore = score;
            best = j;
          }
        }
        if (best < 0) continue;
        const held = offers.get(best);
        if (held === undefined || bestScore < held[1]) offers.set(best, [i, bestScore]);
      }
      if (offers.size === 0) break;
      for (const [j, [i]] of offers) {
        this.matchA[i] = j;
        this.matchB[j] = i;
      }
    }
  }

  /** Transits of each connection's matched segments, by A's connection id (read by report()). */
  private readonly transits = new Map<number, { c2s: number[]; s2c: number[] }>();

  private connections(): CorrelatedConnection[] {
    const out: CorrelatedConnection[] = [];
    const x = this.A.segments;
    const y = this.B.segments;
    const byA = new Map<number, CorrelatedConnection>();
    const byB = new Map<number, CorrelatedConnection>();
    for (const [id, rec] of this.A.connections) {
      const p = this.pairsByA.get(id);
      const c = this.connection(p ?? null, rec, p ? this.B.connections.get(p.b)! : null, p ? null : 'A');
      byA.set(id, c);
      if (p) byB.set(p.b, c);
      out.push(c);
      this.transits.set(id, { c2s: [], s2c: [] });
    }
    for (const [id, rec] of this.B.connections) {
      if (this.pairsByB.has(id)) continue;
      const c = this.connection(null, null, rec, 'B');
      byB.set(id, c);
      out.push(c);
    }
    for (let i = 0; i < x.count; i++) {
      const c = byA.get(x.conn[i]!)!;
      c.segments.A++;
      const j = this.matchA[i]!;
      const fromClient = this.fromClientA(i);
      if (j >= 0) {
        c.segments.matched++;
        const d = this.onA(j) - x.time[i]!;
        const t = this.transits.get(x.conn[i]!)!;
        // A segment that passed A first reached B later, by its transit (d on A's clock).
        const aFirst = c.nearClient === null ? d >= 0 : (c.nearClient === 'A') === fromClient;
        const transit = aFirst ? d : -d;
        (fromClient ? t.c2s : t.s2c).push(transit);
        this.rung(c, 'A', i, fromClient, aFirst ? x.time[i]! : this.onA(j), transit, 'both');
        continue;
      }
      this.place(c, 'A', i, fromClient);
    }
    for (let j = 0; j < y.count; j++) {
      const c = byB.get(y.conn[j]!)!;
      c.segments.B++;
      if (this.matchB[j]! < 0) this.place(c, 'B', j, this.fromClientB(j));
    }
    for (const [id, t] of this.transits) {
      const c = byA.get(id)!;
      c.oneWayDelay = { clientToServer: stats(t.c2s), serverToClient: stats(t.s2c) };
    }
    // B's unmatched segments came after A's: the ladder is put in time order.
    for (const c of out) c.rungs?.sort((p, q) => p.at - q.at || (p.seq - q.seq));
    const key = (c: CorrelatedConnection) => (c.ids.A !== null ? c.ids.A : Infinity);
    // A's connections in A's order; those only in B after them, in B's.
    return out.sort((p, q) => key(p) - key(q) || (p.ids.B ?? 0) - (q.ids.B ?? 0));
  }

  /**
   * Where a segment seen at one point only belongs. Near its sender, it should have reached the
   * other point after the least transit that way: lost between the points if the other capture was
   * running then, not arrived yet if it had stopped. Near its receiver, it should have passed the
   * other point before: missed there, or made between the points.
   */
  private place(c: CorrelatedConnection, at: Point, k: number, fromClient: boolean): void {
    const s = at === 'A' ? this.A.segments : this.B.segments;
    const other = at === 'A' ? this.B : this.A;
    const t = at === 'A' ? s.time[k]! : this.onA(k);
    const near = c.nearClient ?? this.nearClient;
    // Without a side, a segment seen once is taken to be seen near its sender.
    const nearSender = near === null || (fromClient === (near === at));
    const shift = other === this.B ? this.shift : 0;
    const firstOther = other === this.B ? other.first + shift - this.offsetAt(other.first + shift) : other.first;
    const lastOther = other === this.B ? other.last + shift - this.offsetAt(other.last + shift) : other.last;
    const toOther = at === 'A' ? this.minAB : this.minBA;
    const fromOther = at === 'A' ? this.minBA : this.minAB;
    let fate: Fate;
    if (Number.isNaN(firstOther)) {
      fate = 'outsideOther';
    } else if (nearSender) {
      const due = t + toOther;
      fate = due > lastOther ? 'notArrived' : due < firstOther ? 'outsideOther' : 'lost';
    } else {
      const left = t - fromOther;
      fate = left < firstOther || left > lastOther ? 'outsideOther' : 'onlyNearReceiver';
    }
    c[fate].push(this.segment(at, k, fromClient));
    this.rung(c, at, k, fromClient, t, null, fate);
  }

  private rung(c: CorrelatedConnection, at: Point, k: number, fromClient: boolean, when: number, transit: number | null, fate: Fate): void {
    if (c.rungs === null || c.rungs.length >= MAX_RUNGS) return;
    const s = at === 'A' ? this.A.segments : this.B.segments;
    c.rungs.push({
      from: fromClient ? 'client' : 'server', flags: s.flags[k]! & FLAG_BITS, seq: s.seq[k]! >>> 0, ack: s.ack[k]! >>> 0, len: s.len[k]!,
      at: when, transit, fate,
    });
  }

  private segment(at: Point, k: number, fromClient: boolean): PathSegment {
    const s = at === 'A' ? this.A.segments : this.B.segments;
    return {
      capture: at, packet: s.packet[k]!, sec: s.sec[k]!, nsec: s.nsec[k]!, from: fromClient ? 'client' : 'server',
      seq: s.seq[k]! >>> 0, ack: s.ack[k]! >>> 0, len: s.len[k]!, flags: s.flags[k]! & FLAG_BITS,
    };
  }

  private connection(p: Pair | null, ra: ConnectionRecord | null, rb: ConnectionRecord | null, only: Point | null): CorrelatedConnection {
    const rec = (ra ?? rb)!;
    const nearClient: Point | null = p ? p.nearClient
      : only === 'A' ? (rec.vantage === Vantage.NearClient ? 'A' : rec.vantage === Vantage.NearServer ? 'B' : this.nearClient)
        : (rec.vantage === Vantage.NearClient ? 'B' : rec.vantage === Vantage.NearServer ? 'A' : this.nearClient);
    const role = (r: ConnectionRecord | null, flip: boolean, client: boolean): EndpointRecord | null =>
      (r === null ? null : (client !== flip ? r.client : r.server));
    const endpoint = (client: boolean): CorrelatedEndpoint => {
      const ea = role(ra, p?.flipA ?? false, client);
      const eb = role(rb, p?.flipB ?? false, client);
      const nearPoint: Point = (client ? nearClient : nearClient === null ? null : nearClient === 'A' ? 'B' : 'A') ?? (ea ? 'A' : 'B');
      const [near, far, nearRec] = nearPoint === 'A' && ea ? [ea, eb, ra!] : eb ? [eb, ea, rb!] : [ea!, eb, ra!];
      const at: Point = near === ea ? 'A' : 'B';
      let state = near.state;
      let possible = near.possibleStates.length ? [near.state, ...near.possibleStates] : [];
      // The nearer capture could not tell, the other could, and what it tells is one of the possibilities.
      if (possible.length && far && far.possibleStates.length === 0 && possible.includes(far.state)) {
        state = far.state;
        possible = [];
      }
      const farRec = nearRec === ra ? rb : ra;
      const translated = far && farRec && (far.port !== near.port || addrToString(farRec.family, far) !== addrToString(nearRec.family, near))
        ? { addr: addrToString(farRec.family, far), port: far.port } : null;
      return {
        addr: addrToString(nearRec.family, near), port: near.port, state, possibleStates: possible, capture: at, translated,
        otherView: far ? { state: far.state, possibleStates: far.possibleStates.length ? [far.state, ...far.possibleStates] : [] } : null,
      };
    };
    const client = endpoint(true);
    const startRec = nearClient === 'B' ? (rb ?? ra)! : (ra ?? rb)!;
    return {
      ids: { A: ra?.id ?? null, B: rb?.id ?? null }, family: rec.family, client, server: endpoint(false), nearClient,
      startSec: startRec.startSec, startNsec: startRec.startNsec, segments: { A: 0, B: 0, matched: 0 },
      lost: [], notArrived: [], outsideOther: [], onlyNearReceiver: [], oneWayDelay: { clientToServer: null, serverToClient: null },
      rungs: this.keepRungs ? [] : null,
    };
  }
}

/** Hash chains of a capture's segments by their matching fields. */
class Chains {
  readonly head: Int32Array;
  readonly next: Int32Array;
  private readonly mask: number;

  constructor(s: SegmentTable) {
    let size = 1024;
    while (size < s.count * 2) size *= 2;
    this.mask = size - 1;
    this.head = new Int32Array(size).fill(-1);
    this.next = new Int32Array(s.count).fill(-1);
    // Built backwards, so that each chain runs in capture order.
    for (let k = s.count - 1; k >= 0; k--) {
      const h = keyOf(s, k) & this.mask;
      this.next[k] = this.head[h]!;
      this.head[h] = k;
    }
  }

  /** The first segment of this table whose key is that of segment k of `s` (either capture). */
  first(s: SegmentTable, k: number): number {
    return this.head[keyOf(s, k) & this.mask]!;
  }
}

function keyOf(s: SegmentTable, k: number): number {
  let h = Math.imul(s.seq[k]! ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ s.ack[k]! ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ (s.flags[k]! & FLAG_BITS) ^ (s.len[k]! << 12) ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

function stats(values: number[]): DelayStats | null {
  if (values.length === 0) return null;
  const v = Float64Array.from(values).sort();
  const m = v.length >> 1;
  return { min: v[0]!, p50: v.length & 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2, max: v[v.length - 1]!, samples: v.length };
}

function split(base: number, t: number): { sec: number; nsec: number } {
  const whole = Math.floor(t);
  return { sec: base + whole, nsec: Math.min(999_999_999, Math.round((t - whole) * 1e9)) };
}
