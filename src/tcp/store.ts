import { type Connection, endedNormally, type Eviction, type LostSegment, NO_LOST, TRANSITION_FIELDS } from './connection.js';
import { type ConnectionRecord, type EndpointRecord, endpointRecord, type SegmentAnalysis, synNotAnswered } from './record.js';
import type { TcpState } from './state.js';
import type { MptcpFacts } from './mptcp.js';
import { TimingField, timingOf } from './timing.js';

/**
 * A record's layout: its doubles first, RecordF by RecordF, then its 32-bit integers (RecordI), so that
 * both are read and written through aligned typed arrays (a DataView's unaligned reads cost more).
 */
const enum RecordF {
  clientPayload, serverPayload, firstPacket, lastPacket, startSec, endSec, clientWire, serverWire,
  /** TimingField's first COMMON fields from here (the rest: RecordI.rttSamples and the store's rare timing). */
  timing,
  /**
   * A literal, and checked against TimingField.COMMON below: a member computed from another module's
   * enum is not folded by per-file compilers (esbuild, which the tests run through), and those after it would be undefined.
   */
  SIZE = timing + 8,
}
const enum RecordI {
  /** Family in the low byte, then the flags, the client's state and the server's. */
  head = 2 * RecordF.SIZE,
  id, ports, clientPackets, serverPackets, startNsec, endNsec, transitionsAt, transitionCounts, encap, analysis,
  /** The client's alternatives, the server's, the client's why, the server's: a byte each. */
  uncertainty,
  rttSamples,
  /** 1 + where this record's TimingField.RARE fields are in the store's rareTiming; 0: all of them zero. */
  rareTiming,
  /** The client's address in four words, then the server's. */
  addresses,
  SIZE = addresses + 8,
}
if (RecordF.SIZE - RecordF.timing !== TimingField.COMMON) throw new Error('store.ts: RecordF.SIZE does not hold TimingField.COMMON fields');
const RECORD_INTS = RecordI.SIZE + (RecordI.SIZE & 1);
/** A multiple of 8, so that every record's doubles are aligned. */
export const RECORD_BYTES = 4 * RECORD_INTS;
const RECORD_DOUBLES = RECORD_INTS / 2;
const CHUNK_SHIFT = 16;
const CHUNK_RECORDS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_RECORDS - 1;
const FLAG_ROLE_INFERRED = 1;
const FLAG_STATE_INFERRED = 2;
const FLAG_NORMAL_END = 4;
/** Eviction in two bits from here. */
const FLAG_EVICTED_SHIFT = 3;
const FLAG_VANTAGE_SHIFT = 5;
const FLAG_SYN_NOT_ANSWERED = 128;

/**
 * Finished connections packed in fixed-size binary records, so that a capture with
 * millions of connections keeps RECORD_BYTES each (plus 32 bytes per transition when
 * transitions are kept) instead of a graph of objects.
 */
export class ConnectionStore {
  /**
   * Records in chunks of CHUNK_RECORDS, each seen as doubles and as integers: growing never copies more
   * than the first chunk (which doubles up to that size), so a million records take 216 MB and not twice that while growing.
   */
  private readonly doubles: Float64Array[] = [new Float64Array(RECORD_DOUBLES * 1024)];
  private readonly ints: Int32Array[] = [new Int32Array(this.doubles[0]!.buffer)];
  private trans = new Float64Array(0);
  /** Wireshark's analysis counters of the connections that have any, 14 per connection (7 per side). */
  private analysisCounts = new Uint32Array(0);
  private analysisLen = 0;
  /** The timeouts and stalls of the connections that had any (TimingField.RARE on), RARE_FIELDS per connection. */
  private rareTiming = new Float64Array(0);
  private rareLen = 0;
  private transLen = 0;
  /** The lost segments of the records that have any (kept with the transitions), by record index. */
  private readonly lost = new Map<number, LostSegment[]>();
  /** The MPTCP facts of the records of subflows, by record index. */
  private readonly mptcp = new Map<number, MptcpFacts>();
  count = 0;

  constructor(private readonly keepTransitions: boolean) {}

  get bytes(): number {
    return this.count * RECORD_BYTES + this.transLen * 8 + this.analysisLen * 4 + this.rareLen * 8;
  }

  add(c: Connection): void {
    const chunk = this.count >>> CHUNK_SHIFT;
    const r = this.count & CHUNK_MASK;
    if (chunk === this.doubles.length) {
      this.doubles.push(new Float64Array(RECORD_DOUBLES * CHUNK_RECORDS));
      this.ints.push(new Int32Array(this.doubles[chunk]!.buffer));
    } else if ((r + 1) * RECORD_DOUBLES > this.doubles[chunk]!.length) {
      const bigger = new Float64Array(Math.min(this.doubles[chunk]!.length * 2, RECORD_DOUBLES * CHUNK_RECORDS));
      bigger.set(this.doubles[chunk]!);
      this.doubles[chunk] = bigger;
      this.ints[chunk] = new Int32Array(bigger.buffer);
    }
    const f = this.doubles[chunk]!;
    const n = this.ints[chunk]!;
    const fo = r * RECORD_DOUBLES;
    const io = r * RECORD_INTS;
    this.count++;
    const cl = c.client;
    const sv = c.server;
    n[io + RecordI.head] = c.family | ((c.roleInferred ? FLAG_ROLE_INFERRED : 0) | (c.stateInferred ? FLAG_STATE_INFERRED : 0) |
      (endedNormally(c) ? FLAG_NORMAL_END : 0) | (c.evicted << FLAG_EVICTED_SHIFT) | (c.vantage << FLAG_VANTAGE_SHIFT) |
      (synNotAnswered(c) ? FLAG_SYN_NOT_ANSWERED : 0)) << 8 | cl.state << 16 | sv.state << 24;
    n[io + RecordI.id] = c.id;
    n[io + RecordI.ports] = cl.port | (sv.port << 16);
    const a = io + RecordI.addresses;
    n[a] = cl.a0; n[a + 1] = cl.a1; n[a + 2] = cl.a2; n[a + 3] = cl.a3;
    n[a + 4] = sv.a0; n[a + 5] = sv.a1; n[a + 6] = sv.a2; n[a + 7] = sv.a3;
    n[io + RecordI.clientPackets] = cl.packets;
    n[io + RecordI.serverPackets] = sv.packets;
    f[fo + RecordF.clientPayload] = cl.payloadBytes;
    f[fo + RecordF.serverPayload] = sv.payloadBytes;
    f[fo + RecordF.clientWire] = cl.wireBytes;
    f[fo + RecordF.serverWire] = sv.wireBytes;
    f[fo + RecordF.firstPacket] = c.firstPacket;
    f[fo + RecordF.lastPacket] = c.lastPacket;
    f[fo + RecordF.startSec] = c.startSec;
    n[io + RecordI.startNsec] = c.startNsec;
    f[fo + RecordF.endSec] = c.endSec;
    n[io + RecordI.endNsec] = c.endNsec;
    let tcount = 0;
    if (this.keepTransitions) {
      const t = c.transitions;
      const len = c.transitionLen;
      tcount = len / TRANSITION_FIELDS;
      if (this.transLen + len > this.trans.length) {
        const bigger = new Float64Array(Math.max(4096, (this.transLen + len) * 2));
        bigger.set(this.trans.subarray(0, this.transLen));
        this.trans = bigger;
      }
      n[io + RecordI.transitionsAt] = this.transLen / TRANSITION_FIELDS;
      for (let i = 0; i < len; i++) this.trans[this.transLen++] = t[i]!;
      const lost = c.lost();
      if (lost.length) this.lost.set(this.count - 1, lost);
    }
    n[io + RecordI.transitionCounts] = tcount | (Math.min(c.transitionsDropped, 0xffff) << 16);
    n[io + RecordI.encap] = c.encap;
    const mptcp = c.mptcp();
    if (mptcp !== null) this.mptcp.set(this.count - 1, mptcp);
    // Most connections have nothing for Wireshark's analysis to flag: they keep no counters at all.
    let k = 0;
    if ((cl.retransmissions | cl.outOfOrder | cl.dupAcks | cl.zeroWindows | cl.keepAlives | cl.ackedUnseen | cl.lostSegments |
      sv.retransmissions | sv.outOfOrder | sv.dupAcks | sv.zeroWindows | sv.keepAlives | sv.ackedUnseen | sv.lostSegments) !== 0) {
      if (this.analysisLen + 14 > this.analysisCounts.length) {
        const bigger = new Uint32Array(Math.max(1024, this.analysisCounts.length * 2));
        bigger.set(this.analysisCounts);
        this.analysisCounts = bigger;
      }
      const t = this.analysisCounts;
      let m = this.analysisLen;
      for (const e of [cl, sv]) {
        t[m++] = e.retransmissions; t[m++] = e.outOfOrder; t[m++] = e.dupAcks; t[m++] = e.zeroWindows;
        t[m++] = e.keepAlives; t[m++] = e.ackedUnseen; t[m++] = e.lostSegments;
      }
      k = this.analysisLen / 14 + 1;
      this.analysisLen = m;
    }
    n[io + RecordI.analysis] = k;
    n[io + RecordI.uncertainty] = (cl.alternatives & 0xff) | (sv.alternatives & 0xff) << 8 | (cl.why & 0xff) << 16 | (sv.why & 0xff) << 24;
    const t = c.timingInto(TIMING);
    for (let k = 0; k < TimingField.COMMON; k++) f[fo + RecordF.timing + k] = t[k]!;
    n[io + RecordI.rttSamples] = t[TimingField.rttSamples]!;
    let rare = 0;
    for (let k = TimingField.RARE; k < TimingField.SIZE; k++) {
      if (t[k] !== 0) {
        if (this.rareLen + RARE_FIELDS > this.rareTiming.length) {
          const bigger = new Float64Array(Math.max(1024, this.rareTiming.length * 2));
          bigger.set(this.rareTiming);
          this.rareTiming = bigger;
        }
        this.rareTiming.set(t.subarray(TimingField.RARE), this.rareLen);
        rare = this.rareLen / RARE_FIELDS + 1;
        this.rareLen += RARE_FIELDS;
        break;
      }
    }
    n[io + RecordI.rareTiming] = rare;
  }

  /** The timing of record `fo`/`io` (TimingField order) in the scratch TIMING. */
  private timingFields(f: Float64Array, fo: number, n: Int32Array, io: number): Float64Array {
    const t = TIMING;
    for (let k = 0; k < TimingField.COMMON; k++) t[k] = f[fo + RecordF.timing + k]!;
    t[TimingField.rttSamples] = n[io + RecordI.rttSamples]!;
    const rare = n[io + RecordI.rareTiming]!;
    if (rare === 0) t.fill(0, TimingField.RARE);
    else t.set(this.rareTiming.subarray((rare - 1) * RARE_FIELDS, rare * RARE_FIELDS), TimingField.RARE);
    return t;
  }

  private analysis(n: Int32Array, io: number, side: number): SegmentAnalysis {
    const a = n[io + RecordI.analysis]!;
    if (a === 0) return NO_ANALYSIS;
    const t = this.analysisCounts;
    const k = (a - 1) * 14 + side * 7;
    return {
      retransmissions: t[k]!, outOfOrder: t[k + 1]!, duplicateAcks: t[k + 2]!, zeroWindows: t[k + 3]!,
      keepAlives: t[k + 4]!, ackedUnseen: t[k + 5]!, lostSegments: t[k + 6]!,
    };
  }

  /** One side's part of the record: the client's fields, then the server's, each at the same distance. */
  private endpoint(f: Float64Array, fo: number, n: Int32Array, io: number, side: 0 | 1): EndpointRecord {
    const a = io + RecordI.addresses + 4 * side;
    const shift = 8 * side;
    return {
      a0: n[a]!, a1: n[a + 1]!, a2: n[a + 2]!, a3: n[a + 3]!,
      port: (n[io + RecordI.ports]! >>> (16 * side)) & 0xffff, state: ((n[io + RecordI.head]! >>> (16 + shift)) & 0xff) as TcpState,
      packets: n[io + RecordI.clientPackets + side]! >>> 0, payloadBytes: f[fo + RecordF.clientPayload + side]!, wireBytes: f[fo + RecordF.clientWire + side]!,
      analysis: this.analysis(n, io, side),
      possibleStates: alternatives((n[io + RecordI.uncertainty]! >>> shift) & 0xff), why: (n[io + RecordI.uncertainty]! >>> (16 + shift)) & 0xff,
    };
  }

  get(i: number): ConnectionRecord {
    const f = this.doubles[i >>> CHUNK_SHIFT]!;
    const n = this.ints[i >>> CHUNK_SHIFT]!;
    const fo = (i & CHUNK_MASK) * RECORD_DOUBLES;
    const io = (i & CHUNK_MASK) * RECORD_INTS;
    const head = n[io + RecordI.head]!;
    const flags = (head >>> 8) & 0xff;
    const counts = n[io + RecordI.transitionCounts]!;
    const tcount = counts & 0xffff;
    const toff = n[io + RecordI.transitionsAt]! * TRANSITION_FIELDS;
    return {
      id: n[io + RecordI.id]! >>> 0,
      family: (head & 0xff) === 6 ? 6 : 4,
      client: this.endpoint(f, fo, n, io, 0),
      server: this.endpoint(f, fo, n, io, 1),
      roleInferred: (flags & FLAG_ROLE_INFERRED) !== 0,
      encap: n[io + RecordI.encap]! >>> 0,
      stateInferred: (flags & FLAG_STATE_INFERRED) !== 0,
      normalEnd: (flags & FLAG_NORMAL_END) !== 0,
      evicted: ((flags >> FLAG_EVICTED_SHIFT) & 3) as Eviction,
      vantage: (flags >> FLAG_VANTAGE_SHIFT) & 3,
      synNotAnswered: (flags & FLAG_SYN_NOT_ANSWERED) !== 0,
      firstPacket: f[fo + RecordF.firstPacket]!,
      lastPacket: f[fo + RecordF.lastPacket]!,
      startSec: f[fo + RecordF.startSec]!,
      startNsec: n[io + RecordI.startNsec]!,
      endSec: f[fo + RecordF.endSec]!,
      endNsec: n[io + RecordI.endNsec]!,
      transitions: this.keepTransitions ? this.trans.subarray(toff, toff + tcount * TRANSITION_FIELDS) : null,
      transitionsDropped: counts >>> 16,
      lost: this.lost.get(i) ?? NO_LOST,
      mptcp: this.mptcp.get(i) ?? null,
      timing: timingOf(this.timingFields(f, fo, n, io)),
    };
  }

/** Records in id order (the order of each connection's first packet). */
  *byId(): Generator<ConnectionRecord> {
    // Each record's id and index in one double, sorted as numbers (no comparator to call): exact while
    // id × 2^22 + index stays below 2^53, so up to 4 million records; more are sorted by a comparator.
    if (this.count <= INDEX_LIMIT) {
      const keys = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) keys[i] = this.idOf(i) * INDEX_LIMIT + i;
      keys.sort();
      for (let k = 0; k < keys.length; k++) yield this.get(keys[k]! % INDEX_LIMIT);
      return;
    }
    const order = new Uint32Array(this.count);
    const ids = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) {
      order[i] = i;
      ids[i] = this.idOf(i);
    }
    order.sort((a, b) => ids[a]! - ids[b]!);
    for (let k = 0; k < order.length; k++) yield this.get(order[k]!);
  }

  private idOf(i: number): number {
    return this.ints[i >>> CHUNK_SHIFT]![(i & CHUNK_MASK) * RECORD_INTS + RecordI.id]! >>> 0;
  }
}

const RARE_FIELDS = TimingField.SIZE - TimingField.RARE;
/** Scratch for one connection's timing on its way into or out of a record. */
const TIMING = new Float64Array(TimingField.SIZE);

/** 2^22: see byId. */
const INDEX_LIMIT = 4194304;

/** Two states in 4 bits each (15: none), most likely first. */
function alternatives(packed: number): TcpState[] {
  const out: TcpState[] = [];
  for (let a = packed, k = 0; k < 2; k++, a >>= 4) if ((a & 15) !== 15) out.push((a & 15) as TcpState);
  return out;
}

/** The counters of a connection with nothing flagged (shared: records are read, not written). */
const NO_ANALYSIS: SegmentAnalysis = Object.freeze({
  retransmissions: 0, outOfOrder: 0, duplicateAcks: 0, zeroWindows: 0, keepAlives: 0, ackedUnseen: 0, lostSegments: 0,
});

export function toRecord(c: Connection): ConnectionRecord {
  return {
    id: c.id,
    family: c.family,
    client: endpointRecord(c, 0),
    server: endpointRecord(c, 1),
    roleInferred: c.roleInferred,
    stateInferred: c.stateInferred,
    encap: c.encap,
    normalEnd: endedNormally(c),
    evicted: c.evicted,
    firstPacket: c.firstPacket,
    lastPacket: c.lastPacket,
    startSec: c.startSec,
    startNsec: c.startNsec,
    endSec: c.endSec,
    endNsec: c.endNsec,
    transitions: c.transitions.slice(0, c.transitionLen),
    transitionsDropped: c.transitionsDropped,
    lost: c.lost(),
    vantage: c.vantage,
    synNotAnswered: synNotAnswered(c),
    mptcp: c.mptcp(),
    timing: c.timing(),
  };
}
