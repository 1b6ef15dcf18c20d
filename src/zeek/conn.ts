import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/index.js';
import { addrToString } from '../decode/address.js';
import { Lowest } from '../lowest.js';
import { partitionCount, partitionLimits, partitionOf } from '../tcp/connections.js';
import { tupleHash } from '../tcp/table.js';

/**
 * Zeek's view of TCP connections, so that tcpstate can write Zeek's conn.log and say where it
 * agrees with it. A re-implementation, from Zeek's documented behaviour and source, of its TCP
 * endpoint states, history letters, sizes, and the timers that end one record and start another.
 * It runs beside tcpstate's own RFC 793 machines; the two cut connections differently on purpose.
 */
export const enum ZState {
  INACTIVE = 0,
  SYN_SENT,
  SYN_ACK_SENT,
  PARTIAL,
  ESTABLISHED,
  CLOSED,
  RESET,
}

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

const ATTEMPT_DELAY = 5;
const CLOSE_DELAY = 5;
const RESET_DELAY = 5;
const PARTIAL_CLOSE_DELAY = 3;
const CONNECTION_LINGER = 5;
const SYN_TIMEOUT = 5;
const SESSION_TIMER = 6;
const INACTIVITY = 300;
const TOO_LARGE_SEQ_DELTA = 1048576;

// Connection::CheckHistory masks (orig in the low half, resp in the high half).
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI = 0x40;

const delta = (a: number, b: number): number => (a - b) | 0;

export class ZEndpoint {
  state = ZState.INACTIVE;
  prev = ZState.INACTIVE;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  finCnt = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  chkCnt = 0;
  chkThresh = 1;
  pkts = 0;
  ipBytes = 0;

  a0 = 0; a1 = 0; a2 = 0; a3 = 0;

  constructor(public isOrig: boolean, public port: number) {}

  /** As new: the tracker reuses the endpoints of removed connections (a test holds the field lists together). */
  reset(isOrig: boolean, port: number): void {
    this.isOrig = isOrig;
    this.port = port;
    this.state = ZState.INACTIVE;
    this.prev = ZState.INACTIVE;
    this.startSeq = 0;
    this.lastSeq = 0;
    this.ackSeq = 0;
    this.finCnt = 0;
    this.didClose = false;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.rxmtCnt = 0;
    this.rxmtThresh = 1;
    this.win0Cnt = 0;
    this.win0Thresh = 1;
    this.chkCnt = 0;
    this.chkThresh = 1;
    this.pkts = 0;
    this.ipBytes = 0;
    this.a0 = 0; this.a1 = 0; this.a2 = 0; this.a3 = 0;
  }

  /** Whether this endpoint is the packet's source (`source` true) or its destination (`source` false). */
  is(p: DecodedPacket, source: boolean): boolean {
    return source
      ? this.port === p.sport && this.a0 === p.s0 && this.a1 === p.s1 && this.a2 === p.s2 && this.a3 === p.s3
      : this.port === p.dport && this.a0 === p.d0 && this.a1 === p.d1 && this.a2 === p.d2 && this.a3 === p.d3;
  }

  setState(s: ZState): void {
    if (s !== this.state) {
      this.prev = this.state;
      this.state = s;
    }
  }

  /** Payload bytes from sequence-number progress, as TCP_Endpoint::Size. */
  size(peer: ZEndpoint): number {
    if (this.prev === ZState.SYN_SENT && this.state === ZState.RESET && peer.state === ZState.INACTIVE) return 0;
    const last = delta(this.lastSeq, this.startSeq);
    const ack = delta(this.ackSeq, this.startSeq);
    let size = Math.max(last, ack, 0);
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }
}

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

export function zeekOrigAddr(r: ZeekRecord): string {
  return addrToString(r.family, { a0: r.o0, a1: r.o1, a2: r.o2, a3: r.o3 });
}

export function zeekRespAddr(r: ZeekRecord): string {
  return addrToString(r.family, { a0: r.r0, a1: r.r1, a2: r.r2, a3: r.r3 });
}

export class ZConn {
  orig: ZEndpoint;
  resp: ZEndpoint;
  family: 4 | 6 = 4;
  hash = 0;
  next: ZConn | null = null;
  history = '';
  histSeen = 0;
  start = 0;
  last = 0;
  firstPacket = 0;
  lastPacket = 0;
  /** The tracker's list of live connections, least recently active first. */
  older: ZConn | null = null;
  newer: ZConn | null = null;
  attemptAt = Infinity;
  closeAt = Infinity;
  resetAt = Infinity;
  partialCloseAt = Infinity;
  expireCheck = false;

  /** As new, with fresh endpoints for `sport` → `dport`. */
  reset(sport: number, dport: number): void {
    this.orig.reset(true, sport);
    this.resp.reset(false, dport);
    this.family = 4;
    this.hash = 0;
    this.next = null;
    this.history = '';
    this.histSeen = 0;
    this.start = 0;
    this.last = 0;
    this.firstPacket = 0;
    this.lastPacket = 0;
    this.older = null;
    this.newer = null;
    this.attemptAt = Infinity;
    this.closeAt = Infinity;
    this.resetAt = Infinity;
    this.partialCloseAt = Infinity;
    this.expireCheck = false;
  }

  constructor(orig: ZEndpoint, resp: ZEndpoint) {
    this.orig = orig;
    this.resp = resp;
  }

  addHistory(code: string): void {
    this.history += code;
  }

  /** Connection::CheckHistory: records `code` the first time, and says whether it was seen before. */
  checkHistory(ep: ZEndpoint, mask: number, code: string): boolean {
    const m = ep.isOrig ? mask : mask << 16;
    const c = ep.isOrig ? code : code.toLowerCase();
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(c);
      return false;
    }
    return true;
  }

  addEndpointHistory(ep: ZEndpoint, code: string): void {
    this.addHistory(ep.isOrig ? code : code.toLowerCase());
  }

  /** Connection::ScaledHistoryEntry: the letter at the 1st, 10th, 100th ... occurrence. */
  scaled(ep: ZEndpoint, code: string, which: 'rxmt' | 'win0' | 'chk'): void {
    const cnt = `${which}Cnt` as 'rxmtCnt' | 'win0Cnt' | 'chkCnt';
    const thr = `${which}Thresh` as 'rxmtThresh' | 'win0Thresh' | 'chkThresh';
    if (++ep[cnt] === ep[thr]) {
      this.addEndpointHistory(ep, code);
      ep[thr] *= 10;
    }
  }

  flip(): void {
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    this.histSeen = ((this.histSeen >>> 16) | (this.histSeen << 16)) >>> 0;
    this.addHistory('^');
  }

  isClosed(): boolean {
    return this.orig.didClose || this.resp.didClose;
  }
}

/** Feeds Zeek's model packet by packet; records come out as Zeek would remove connections. */
export class ZeekTracker {
  /** Chained by ZConn.next, keyed by the same direction-free tuple hash as tcpstate's table. */
  private readonly buckets = new Map<number, ZConn>();
  /** The records of the first connections (by first packet), maxRecords at most: the others are never built. */
  private readonly records: Lowest<ZeekRecord>;
  private readonly serverPorts: ReadonlySet<number>;
  /** Live connections, the least recently active at the head. */
  private oldest: ZConn | null = null;
  private newest: ZConn | null = null;
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
      this.append(c);
      c.hash = hash;
      c.next = this.buckets.get(hash) ?? null;
      this.buckets.set(hash, c);
    } else if (c !== this.newest) {
      this.unlink(c);
      this.append(c);
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
    this.process(c, ep, peer, p, t);
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
    this.remove(this.oldest!);
  }

  private append(c: ZConn): void {
    c.older = this.newest;
    c.newer = null;
    if (this.newest === null) this.oldest = c;
    else this.newest.newer = c;
    this.newest = c;
  }

  private unlink(c: ZConn): void {
    if (c.older === null) this.oldest = c.newer;
    else c.older.newer = c.newer;
    if (c.newer === null) this.newest = c.older;
    else c.newer.older = c.older;
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
      c = new ZConn(new ZEndpoint(true, p.sport), new ZEndpoint(false, p.dport));
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
    this.unlink(c);
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

  /** TCPSessionAdapter::Process, the parts that decide states, history and sizes. */
  private process(c: ZConn, ep: ZEndpoint, peer: ZEndpoint, p: DecodedPacket, t: number): void {
    const f = p.flags;
    const syn = (f & TH_SYN) !== 0;
    const fin = (f & TH_FIN) !== 0;
    const rst = (f & TH_RST) !== 0;
    const ack = (f & TH_ACK) !== 0;
    const len = p.payloadLen;
    const base = p.seq | 0;
    const ackSeq = p.ack | 0;
    const segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? len : 0);
    const onePast = (base + segLen) | 0;

    // init_endpoint
    switch (ep.state) {
      case ZState.INACTIVE:
        if (syn) {
          ep.ackSeq = base;
          ep.startSeq = base;
          ep.lastSeq = onePast;
        } else {
          ep.ackSeq = (base - 1) | 0;
          ep.startSeq = (base - 1) | 0;
          ep.lastSeq = base;
        }
        break;
      case ZState.SYN_SENT:
      case ZState.SYN_ACK_SENT:
        if (syn && base !== ep.startSeq) {
          ep.startSeq = base;
          ep.ackSeq = base;
          ep.lastSeq = onePast;
        }
        break;
      case ZState.ESTABLISHED:
      case ZState.PARTIAL:
        if (syn) {
          ep.startSeq = base;
          ep.ackSeq = base;
          ep.lastSeq = onePast;
        }
        break;
      case ZState.RESET:
        if (syn && ep.prev === ZState.INACTIVE) {
          ep.startSeq = base;
          ep.ackSeq = base;
          ep.lastSeq = onePast;
        }
        break;
      default:
        break;
    }
    const relSeq = delta(base, ep.startSeq);

    // update_history
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) c.checkHistory(ep, HIST_FIN_RST, 'I');
      else c.checkHistory(ep, HIST_MULTI, 'Q');
    } else if (bits === 1) {
      if (syn) {
        const code = ack ? 'H' : 'S';
        if (c.checkHistory(ep, HIST_SYN, code) && relSeq !== ep.histLastSyn) c.addEndpointHistory(ep, code);
        ep.histLastSyn = relSeq;
      }
      if (fin) {
        if (c.checkHistory(ep, HIST_FIN, 'F') && relSeq + len !== ep.histLastFin) c.addEndpointHistory(ep, 'F');
        ep.histLastFin = relSeq + len;
      }
      if (rst) {
        if (c.checkHistory(ep, HIST_RST, 'R') && relSeq !== ep.histLastRst) c.addEndpointHistory(ep, 'R');
        ep.histLastRst = relSeq;
      }
    } else if (len) {
      c.checkHistory(ep, HIST_DATA, 'D');
    } else if (ack) {
      c.checkHistory(ep, HIST_ACK, 'A');
    }

    // update_window: zero windows (the scaled 'W').
    if (p.window === 0 && !rst && peer.state !== ZState.CLOSED && ep.state !== ZState.RESET) c.scaled(ep, 'W', 'win0');

    if (!c.orig.didClose || !c.resp.didClose) c.last = t;
    if (fin) ep.finCnt++;

    if (ack) {
      if (peer.state === ZState.INACTIVE) {
        peer.startSeq = (ackSeq - 1) | 0;
        peer.ackSeq = (ackSeq - 1) | 0;
        peer.lastSeq = (ackSeq - 1) | 0;
      } else if (!rst) {
        const dAck = delta(ackSeq, peer.ackSeq);
        if (!(ackSeq === 0 && dAck > TOO_LARGE_SEQ_DELTA) && dAck > 0) peer.ackSeq = ackSeq;
      }
    }

    // update_last_seq
    const dLast = delta(onePast, ep.lastSeq);
    if ((syn || rst) && (dLast > TOO_LARGE_SEQ_DELTA || dLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted
    } else if (fin && ep.lastSeq === ((ep.startSeq + 1) | 0)) {
      ep.lastSeq = onePast;
    } else if (ep.state === ZState.RESET) {
      // no later sequence numbers are trusted
    } else if (dLast > 0) {
      ep.lastSeq = onePast;
    } else if (len > 0) {
      c.scaled(ep, 'T', 'rxmt');
    }

    const close = this.stateMachine(c, ep, peer, base, len, t, syn, fin, rst, ack);
    if (close) this.closed(c, ep, peer);
  }

  /** TCPSessionAdapter::UpdateStateMachine; returns whether the endpoint closed. */
  private stateMachine(c: ZConn, ep: ZEndpoint, peer: ZEndpoint, base: number, len: number, t: number,
    syn: boolean, fin: boolean, rst: boolean, ack: boolean): boolean {
    let doClose = false;
    switch (ep.state) {
      case ZState.INACTIVE: {
        if (syn) {
          if (ep.isOrig) {
            ep.setState(ack ? ZState.SYN_ACK_SENT : ZState.SYN_SENT);
            c.attemptAt = Math.min(c.attemptAt, t + ATTEMPT_DELAY);
          } else {
            if (!ack && peer.state === ZState.SYN_ACK_SENT && base === ep.startSeq) {
              // A SYN/SYN-ACK reversal: flip the roles and establish.
              c.flip();
              peer.setState(ZState.ESTABLISHED);
            }
            if (peer.state === ZState.SYN_SENT) peer.setState(ZState.ESTABLISHED);
            ep.setState(ZState.ESTABLISHED);
          }
        }
        if (fin) {
          ep.setState(ZState.CLOSED);
          doClose = true;
        }
        if (rst) {
          ep.setState(ZState.RESET);
          doClose = true;
        }
        if (ep.state === ZState.INACTIVE) {
          if (!ep.isOrig && len === 0 && c.orig.state === ZState.SYN_SENT) {
            // An ACK of the initial SYN ahead of the SYN-ACK: not a partial connection.
          } else if (ack && peer.state === ZState.ESTABLISHED) {
            ep.setState(ZState.ESTABLISHED);
          } else {
            ep.setState(ZState.PARTIAL);
          }
        }
        break;
      }
      case ZState.SYN_SENT:
      case ZState.SYN_ACK_SENT:
        if (fin) {
          ep.setState(ZState.CLOSED);
          doClose = true;
        }
        if (rst) {
          ep.setState(ZState.RESET);
          doClose = true;
        }
        break;
      case ZState.ESTABLISHED:
      case ZState.PARTIAL:
        if (syn && ep.state === ZState.PARTIAL && peer.state === ZState.INACTIVE && !ack) ep.setState(ZState.SYN_SENT);
        if (fin && !rst) {
          ep.setState(ZState.CLOSED);
          // A FIN after the peer's FIN and RST: the RST closed a normal termination.
          if (peer.state === ZState.RESET && peer.prev === ZState.CLOSED) peer.setState(ZState.CLOSED);
          doClose = true;
        }
        if (rst) {
          ep.setState(ZState.RESET);
          doClose = true;
        }
        break;
      case ZState.CLOSED:
        if (rst && peer.state !== ZState.CLOSED) {
          ep.setState(ZState.RESET);
          if (!ep.didClose) doClose = true;
          c.resetAt = Math.min(c.resetAt, t + RESET_DELAY);
        }
        break;
      default:
        break;
    }
    return doClose;
  }

  /** TCPSessionAdapter::ConnectionClosed: when the record will be removed. */
  private closed(c: ZConn, ep: ZEndpoint, peer: ZEndpoint): void {
    if (ep.didClose) return;
    ep.didClose = true;
    const complete = ep.state === ZState.RESET || peer.didClose || peer.state === ZState.INACTIVE;
    if (complete) {
      c.closeAt = Math.min(c.closeAt, c.last + CLOSE_DELAY);
    } else if (ep.prev === ZState.INACTIVE) {
      c.partialCloseAt = Math.min(c.partialCloseAt, c.last + PARTIAL_CLOSE_DELAY);
    }
  }
}

/** Zeek's conn_state (base/protocols/conn/main.zeek), a function of the two endpoint states. */
export function connState(c: { orig: ZEndpoint; resp: ZEndpoint; history: string }): string {
  const os = c.orig.state;
  const rs = c.resp.state;
  const oInactive = os === ZState.INACTIVE || os === ZState.PARTIAL;
  const rInactive = rs === ZState.INACTIVE || rs === ZState.PARTIAL;
  if (rs === ZState.RESET) {
    if (os === ZState.SYN_SENT || os === ZState.SYN_ACK_SENT ||
        (os === ZState.RESET && c.orig.size(c.resp) === 0 && c.resp.size(c.orig) === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === ZState.RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(c.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === ZState.CLOSED && os === ZState.CLOSED) return 'SF';
  if (os === ZState.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === ZState.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === ZState.SYN_SENT && rs === ZState.INACTIVE) return 'S0';
  if (os === ZState.ESTABLISHED && rs === ZState.ESTABLISHED) return 'S1';
  return 'OTH';
}

/** TCP checksum over the pseudo-header (RFC 9293 section 3.1; RFC 8200 section 8.1 for IPv6). */
export function tcpChecksumOk(d: Uint8Array, p: DecodedPacket): boolean {
  const start = p.tcpOffset;
  const len = p.tcpHeaderLen + p.payloadLen;
  if (start + len > p.end) return true; // not all captured: Zeek does not judge it either
  let sum = 0;
  if (p.ipVersion === 4) {
    sum += (p.s0 >>> 16) + (p.s0 & 0xffff) + (p.d0 >>> 16) + (p.d0 & 0xffff) + 6 + len;
  } else {
    for (const w of [p.s0, p.s1, p.s2, p.s3, p.d0, p.d1, p.d2, p.d3]) sum += (w >>> 16) + (w & 0xffff);
    sum += 6 + len;
  }
  for (let i = 0; i + 1 < len; i += 2) sum += (d[start + i]! << 8) | d[start + i + 1]!;
  if (len & 1) sum += d[start + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A stable Zeek-style uid ("C" and 17 base-62 characters) from the record's tuple and start time. */
export function zeekUid(r: ZeekRecord): string {
  const key = `${zeekOrigAddr(r)}|${r.origPort}|${zeekRespAddr(r)}|${r.respPort}`;
  const ts = r.ts;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const s = `${key}|${ts}`;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 0x01000193);
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 0x5bd1e995);
  }
  // Seed a xorshift generator with both hashes and draw 17 base-62 digits.
  let x = (h1 ^ Math.imul(h2, 0x9e3779b1)) >>> 0 || 1;
  let out = 'C';
  for (let i = 0; i < 17; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += BASE62[x % 62];
  }
  return out;
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

/** Records from several partitions as one list: the `limit` with the lowest first packets, in that order. */
export function mergeZeekRecords(lists: readonly ZeekRecord[][], limit: number): ZeekRecord[] {
  const kept = new Lowest<ZeekRecord>(limit, (r) => r.firstPacket);
  for (const list of lists) for (const r of list) if (kept.admits(r.firstPacket)) kept.add(r);
  return kept.sorted();
}
