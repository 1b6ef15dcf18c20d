import { type DecodedPacket, TH_ACK, TH_SYN } from '../decode/index.js';
import { tcpChecksumOk } from '../decode/checksum.js';
import { Lowest } from '../lowest.js';
import { LruList } from '../lru.js';
import { partitionCount, partitionLimits, partitionOf } from '../tcp/connections.js';
import { tupleHash } from '../tcp/tuples.js';
import { deliver } from './adapter.js';
import { connState } from './conn-state.js';
import { ZEndpoint, ZState } from './endpoint.js';
import { ZConn } from './history.js';

/**
 * Zeek's view of TCP connections, so that tcpstate can write Zeek's conn.log and say where it
 * agrees with it. A re-implementation, from Zeek's documented behaviour and source, of its TCP
 * endpoint states, history letters, sizes, and the timers that end one record and start another.
 * It runs beside tcpstate's own RFC 793 machines; the two cut connections differently on purpose.
 */
export interface ZeekOptions {
  /** zeek -C: take packets with bad TCP checksums. */
  ignoreChecksums?: boolean;
  /** Sources whose checksums are never checked (Zeek's ignore_checksums_nets), as [network, prefix bits] IPv4 pairs. */
  ignoreChecksumNets?: [number, number][];
  /** Ports Zeek takes for servers when it has to guess roles (its likely_server_ports). */
  likelyServerPorts?: ReadonlySet<number>;
  /** Connections followed at once (the least recently active is logged as it stands when a new one needs room). Default: no bound. */
  maxConnections?: number;
  /** Records kept: those of the first connections. Default: no bound. */
  maxRecords?: number;
}

/** The likely_server_ports of a default Zeek (the ports its analyzers register). */
export const DEFAULT_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 22, 23, 25, 53, 80, 81, 88, 110, 111, 135, 137, 139, 143, 161, 389, 443, 445, 465, 502, 514, 563, 585, 587,
  614, 631, 636, 989, 990, 992, 993, 995, 1080, 1812, 2049, 2811, 3128, 3268, 3306, 3389, 5060, 5223, 5432, 5900,
  6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
]);

/** The ports each of Zeek's protocol scripts registers: in bare mode (zeek -b) only the loaded ones are likely server ports. */
export const ANALYZER_PORTS: Record<string, number[]> = {
  http: [80, 81, 631, 1080, 3128, 8000, 8080, 8888], ftp: [21, 2811], ssh: [22], irc: [6666, 6667, 6668, 6669], pop3: [110],
  dns: [53], modbus: [502], redis: [6379], ssl: [443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223], dhcp: [],
};

const CONNECTION_LINGER = 5;
const SYN_TIMEOUT = 5;
const SESSION_TIMER = 6;
const INACTIVITY = 300;

/** One conn.log record. Addresses stay numeric (as in the connection table) until a report prints them: a record is a few numbers. */
export interface ZeekRecord {
  ts: number;
  family: 4 | 6;
  /** The originator's and the responder's address, 32-bit words (IPv4 in o0 / r0). */
  o0: number; o1: number; o2: number; o3: number;
  origPort: number;
  r0: number; r1: number; r2: number; r3: number;
  respPort: number;
  duration: number;
  origBytes: number;
  respBytes: number;
  connState: string;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  /** The numbers of the record's first and last packets. */
  firstPacket: number;
  lastPacket: number;
}

/** Feeds Zeek's model packet by packet; records come out as Zeek would remove connections. */
export class ZeekTracker {
  /** Chained by ZConn.next, keyed by the same direction-free tuple hash as tcpstate's table. */
  private readonly buckets = new Map<number, ZConn>();
  /** The records of the first connections (by first packet), maxRecords at most: the others are never built. */
  private readonly records: Lowest<ZeekRecord>;
  private readonly serverPorts: ReadonlySet<number>;
  /** Every connection object by its slot, and the links of the live ones, least recently active first. */
  private readonly bySlot: ZConn[] = [];
  private readonly links = { i: new Int32Array(2 * 256) };
  private readonly lru = new LruList(this.links, 2, 0, 1);
  /** Objects of removed connections, for new ones: no garbage per connection. */
  private readonly pool: ZConn[] = [];
  private live = 0;
  private readonly maxLive: number;

  constructor(private readonly options: ZeekOptions = {}) {
    this.serverPorts = options.likelyServerPorts ?? DEFAULT_SERVER_PORTS;
    this.maxLive = options.maxConnections ?? Infinity;
    this.records = new Lowest(options.maxRecords ?? Infinity, (r) => r.firstPacket);
  }

  packet(d: Uint8Array, p: DecodedPacket, packetNo: number, t: number, hash = tupleHash(p)): void {
    let c = this.buckets.get(hash) ?? null;
    while (c !== null && !((c.orig.is(p, true) && c.resp.is(p, false)) || (c.resp.is(p, true) && c.orig.is(p, false)))) c = c.next;
    if (c !== null && this.expired(c, t)) c = null;
    let reused = false;
    if (c !== null && this.isReuse(c, p)) {
      this.remove(c);
      c = null;
      reused = true;
    }
    if (c === null) {
      if (this.live >= this.maxLive) this.evictLeastRecent();
      c = this.create(p, packetNo, t, reused);
      this.live++;
      this.lru.append(c.slot);
      c.hash = hash;
      c.next = this.buckets.get(hash) ?? null;
      this.buckets.set(hash, c);
    } else {
      this.lru.touch(c.slot);
    }
    const ep = c.orig.is(p, true) ? c.orig : c.resp;
    const peer = ep === c.orig ? c.resp : c.orig;
    c.lastPacket = packetNo;
    if (!this.options.ignoreChecksums && !this.checksumIgnored(p) && !tcpChecksumOk(d, p)) {
      c.scaled(ep, 'C', 'chk');
      return;
    }
    ep.pkts++;
    ep.ipBytes += p.ipTotalLen;
    deliver(c, ep, peer, p, t);
  }

  /** The end of the capture: every connection still open is logged as Zeek does at exit. */
  finish(): ZeekRecord[] {
    for (const head of [...this.buckets.values()]) {
      for (let c: ZConn | null = head; c !== null; c = c.next) this.record(c);
    }
    this.buckets.clear();
    return this.records.sorted();
  }

  /** The table is full: the least recently active connection is logged as it stands, as at the end of the capture (as tcpstate's own table does). */
  private evictLeastRecent(): void {
    this.remove(this.bySlot[this.lru.head]!);
  }

  private create(p: DecodedPacket, packetNo: number, t: number, reused: boolean): ZConn {
    const f = p.flags;
    let flip = false;
    if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      // A tuple first seen through a SYN-ACK: its sender is the responder (unless it reuses a tuple).
      flip = !reused;
    } else if (!(f & TH_SYN)) {
      // TCPAnalyzer::WantConnection: without a SYN, guess the responder by its port.
      if (this.serverPorts.has(p.sport)) flip = this.serverPorts.has(p.dport) ? p.sport < p.dport : true;
    }
    const pooled = this.pool.pop();
    let c: ZConn;
    if (pooled === undefined) {
      c = new ZConn(new ZEndpoint(true, p.sport), new ZEndpoint(false, p.dport), this.bySlot.length);
      this.bySlot.push(c);
      if (2 * this.bySlot.length > this.links.i.length) {
        const grown = new Int32Array(2 * this.links.i.length);
        grown.set(this.links.i);
        this.links.i = grown;
      }
    } else {
      c = pooled;
      c.reset(p.sport, p.dport);
    }
    const o = c.orig;
    o.a0 = p.s0; o.a1 = p.s1; o.a2 = p.s2; o.a3 = p.s3;
    const r = c.resp;
    r.a0 = p.d0; r.a1 = p.d1; r.a2 = p.d2; r.a3 = p.d3;
    c.family = p.ipVersion === 6 ? 6 : 4;
    c.start = t;
    c.last = t;
    c.firstPacket = packetNo;
    if (flip) c.flip();
    return c;
  }

  private checksumIgnored(p: DecodedPacket): boolean {
    const nets = this.options.ignoreChecksumNets;
    if (!nets || p.ipVersion !== 4) return false;
    for (const [net, bits] of nets) {
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((p.s0 >>> 0) & mask) === (net & mask)) return true;
    }
    return false;
  }

  /** Whether Zeek's timers would have removed the connection before time t (then it is logged). */
  private expired(c: ZConn, t: number): boolean {
    let at = Infinity;
    const { orig, resp } = c;
    if (c.attemptAt <= t && (orig.state === ZState.SYN_SENT || orig.state === ZState.SYN_ACK_SENT) && resp.state === ZState.INACTIVE) at = c.attemptAt;
    at = Math.min(at, c.closeAt, c.resetAt);
    if (c.partialCloseAt <= t && orig.state !== ZState.INACTIVE && resp.state !== ZState.INACTIVE && (!orig.didClose || !resp.didClose) &&
        orig.state !== ZState.RESET && resp.state !== ZState.RESET) at = Math.min(at, c.partialCloseAt);
    if (c.last + INACTIVITY <= t) at = Math.min(at, c.last + INACTIVITY);
    // ExpireTimer fires at start + SYN_TIMEOUT, then every SESSION_TIMER seconds.
    const lingerDone = c.last + CONNECTION_LINGER;
    const k = Math.max(0, Math.floor((lingerDone - (c.start + SYN_TIMEOUT)) / SESSION_TIMER) + 1);
    const fire = c.start + SYN_TIMEOUT + k * SESSION_TIMER;
    if (fire <= t) {
      const closedish = (orig.didClose || resp.didClose) && ((orig.didClose && resp.didClose) || orig.state === ZState.RESET ||
        resp.state === ZState.RESET || orig.state === ZState.INACTIVE || resp.state === ZState.INACTIVE);
      if (closedish || (resp.state === ZState.INACTIVE && orig.state === ZState.INACTIVE)) at = Math.min(at, fire);
    }
    if (at > t) return false;
    this.remove(c);
    return true;
  }

  /** TCPSessionAdapter::IsReuse: a SYN that starts a new connection on a used tuple. */
  private isReuse(c: ZConn, p: DecodedPacket): boolean {
    const f = p.flags;
    if (!(f & TH_SYN)) return false;
    let connOrig = c.orig;
    if (f & TH_ACK) {
      if (c.orig.state !== ZState.INACTIVE) return false;
      connOrig = c.resp;
    }
    if (!c.isClosed()) {
      const seq = p.seq | 0;
      if (seq === connOrig.startSeq) return false;
      if (!(f & TH_ACK) && connOrig.state === ZState.SYN_ACK_SENT && c.resp.state === ZState.INACTIVE && seq === c.resp.startSeq) return false;
    }
    return true;
  }

  private remove(c: ZConn): void {
    this.live--;
    this.lru.remove(c.slot);
    let prev = this.buckets.get(c.hash) ?? null;
    if (prev === c) {
      if (c.next) this.buckets.set(c.hash, c.next);
      else this.buckets.delete(c.hash);
    } else {
      while (prev !== null && prev.next !== c) prev = prev.next;
      if (prev !== null) prev.next = c.next;
    }
    this.record(c);
    this.pool.push(c);
  }

  private record(c: ZConn): void {
    if (!this.records.admits(c.firstPacket)) return;
    const { orig, resp } = c;
    this.records.add({
      ts: c.start,
      family: c.family,
      o0: orig.a0, o1: orig.a1, o2: orig.a2, o3: orig.a3,
      origPort: orig.port,
      r0: resp.a0, r1: resp.a1, r2: resp.a2, r3: resp.a3,
      respPort: resp.port,
      duration: c.last - c.start,
      origBytes: orig.size(resp),
      respBytes: resp.size(orig),
      connState: connState(c),
      history: c.history,
      origPkts: orig.pkts,
      origIpBytes: orig.ipBytes,
      respPkts: resp.pkts,
      respIpBytes: resp.ipBytes,
      firstPacket: c.firstPacket,
      lastPacket: c.lastPacket,
    });
  }
}

/**
 * Zeek's model split as tcpstate's connection table is (tcp/connections.ts): the same partitions by
 * four-tuple hash, each with its share of the bound, so that it can be followed on any thread.
 * `only` lists the partitions followed here.
 */
export class ZeekTrackers {
  private readonly parts: (ZeekTracker | null)[] = [];
  private readonly partitions: number;

  constructor(private readonly options: ZeekOptions = {}, only?: readonly number[]) {
    const max = options.maxConnections ?? Infinity;
    this.partitions = Number.isFinite(max) ? partitionCount(max) : 1;
    for (let k = 0; k < this.partitions; k++) {
      const limits = Number.isFinite(max) ? partitionLimits({ maxConnections: max, idleTimeout: 0 }, k, this.partitions).maxConnections : Infinity;
      this.parts.push(only === undefined || only.includes(k) ? new ZeekTracker({ ...options, maxConnections: limits }) : null);
    }
  }

  packet(d: Uint8Array, p: DecodedPacket, packetNo: number, t: number): void {
    const hash = tupleHash(p);
    this.parts[partitionOf(hash, this.partitions)]?.packet(d, p, packetNo, t, hash);
  }

  /** The end of the capture: the records of the first connections of every partition followed here, in order of first packet. */
  finish(): ZeekRecord[] {
    return mergeZeekRecords(this.parts.map((t) => (t === null ? [] : t.finish())), this.options.maxRecords ?? Infinity);
  }
}

/**
 * Records from several partitions as one list: the `limit` with the lowest first packets, in that
 * order. Each list is in that order already (finish() sorts its own), so they are merged, not sorted
 * again; no two records share a first packet.
 */
export function mergeZeekRecords(lists: readonly ZeekRecord[][], limit: number): ZeekRecord[] {
  const at = lists.map(() => 0);
  const out: ZeekRecord[] = [];
  while (out.length < limit) {
    let best = -1;
    let lowest = Infinity;
    for (let k = 0; k < lists.length; k++) {
      const r = lists[k]![at[k]!];
      if (r !== undefined && r.firstPacket < lowest) {
        best = k;
        lowest = r.firstPacket;
      }
    }
    if (best < 0) break;
    out.push(lists[best]![at[best]!++]!);
  }
  return out;
}
