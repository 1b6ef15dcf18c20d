import { type Connection, endedNormally, type Eviction, type LostSegment, TRANSITION_FIELDS } from './connection.js';
import { type ConnectionRecord, type ConnectionTiming, type EndpointRecord, endpointRecord, type SegmentAnalysis, synNotAnswered } from './record.js';
import type { TcpState } from './state.js';
import type { MptcpFacts } from './mptcp.js';
import { TimingField, timingOf } from './timing.js';

/** Where a record's timing begins: TimingField's doubles, then its counts as 32-bit integers. */
const TIMING_AT = 144;
/** A multiple of 8, so that every record's doubles are aligned. */
export const RECORD_BYTES = (TIMING_AT + 8 * TimingField.rttSamples + 4 * (TimingField.SIZE - TimingField.rttSamples) + 7) & ~7;
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
   * Records in chunks of CHUNK_RECORDS: growing never copies more than the first chunk (which doubles
   * up to that size), so a million records take 140 MB and not twice that while growing.
   */
  private readonly chunks: DataView[] = [new DataView(new ArrayBuffer(RECORD_BYTES * 1024))];
  private trans = new Float64Array(0);
  /** Wireshark's analysis counters of the connections that have any, 14 per connection (7 per side). */
  private analysisCounts = new Uint32Array(0);
  private analysisLen = 0;
  private transLen = 0;
  /** The lost segments of the records that have any (kept with the transitions), by record index. */
  private readonly lost = new Map<number, LostSegment[]>();
  /** The MPTCP facts of the records of subflows, by record index. */
  private readonly mptcp = new Map<number, MptcpFacts>();
  count = 0;
  private readonly timingScratch = new Float64Array(TimingField.SIZE);

  constructor(private readonly keepTransitions: boolean) {}

  get bytes(): number {
    return this.count * RECORD_BYTES + this.transLen * 8 + this.analysisLen * 4;
  }

  add(c: Connection): void {
    const chunk = this.count >>> CHUNK_SHIFT;
    const o = (this.count & CHUNK_MASK) * RECORD_BYTES;
    if (chunk === this.chunks.length) {
      this.chunks.push(new DataView(new ArrayBuffer(RECORD_BYTES * CHUNK_RECORDS)));
    } else if (o + RECORD_BYTES > this.chunks[chunk]!.byteLength) {
      const old = this.chunks[chunk]!.buffer;
      const bigger = new ArrayBuffer(Math.min(old.byteLength * 2, RECORD_BYTES * CHUNK_RECORDS));
      new Uint8Array(bigger).set(new Uint8Array(old));
      this.chunks[chunk] = new DataView(bigger);
    }
    const v = this.chunks[chunk]!;
    this.count++;
    v.setUint32(o, c.id, true);
    v.setUint8(o + 4, c.family);
    v.setUint8(o + 5, (c.roleInferred ? FLAG_ROLE_INFERRED : 0) | (c.stateInferred ? FLAG_STATE_INFERRED : 0) |
      (endedNormally(c) ? FLAG_NORMAL_END : 0) | (c.evicted << FLAG_EVICTED_SHIFT) | (c.vantage << FLAG_VANTAGE_SHIFT) |
      (synNotAnswered(c) ? FLAG_SYN_NOT_ANSWERED : 0));
    v.setUint8(o + 6, c.client.state);
    v.setUint8(o + 7, c.server.state);
    v.setUint16(o + 8, c.client.port, true);
    v.setUint16(o + 10, c.server.port, true);
    const cl = c.client;
    const sv = c.server;
    v.setInt32(o + 12, cl.a0, true); v.setInt32(o + 16, cl.a1, true); v.setInt32(o + 20, cl.a2, true); v.setInt32(o + 24, cl.a3, true);
    v.setInt32(o + 28, sv.a0, true); v.setInt32(o + 32, sv.a1, true); v.setInt32(o + 36, sv.a2, true); v.setInt32(o + 40, sv.a3, true);
    v.setUint32(o + 44, cl.packets, true);
    v.setUint32(o + 48, sv.packets, true);
    v.setFloat64(o + 52, cl.payloadBytes, true);
    v.setFloat64(o + 60, sv.payloadBytes, true);
    v.setFloat64(o + 68, c.firstPacket, true);
    v.setFloat64(o + 76, c.lastPacket, true);
    v.setFloat64(o + 84, c.startSec, true);
    v.setUint32(o + 92, c.startNsec, true);
    v.setFloat64(o + 96, c.endSec, true);
    v.setUint32(o + 104, c.endNsec, true);
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
      v.setUint32(o + 108, this.transLen / TRANSITION_FIELDS, true);
      for (let i = 0; i < len; i++) this.trans[this.transLen++] = t[i]!;
      const lost = c.lost();
      if (lost.length) this.lost.set(this.count - 1, lost);
    }
    v.setUint16(o + 112, tcount, true);
    v.setUint16(o + 114, Math.min(c.transitionsDropped, 0xffff), true);
    v.setFloat64(o + 116, cl.wireBytes, true);
    v.setFloat64(o + 124, sv.wireBytes, true);
    v.setUint32(o + 132, c.encap, true);
    const mptcp = c.mptcp();
    if (mptcp !== null) this.mptcp.set(this.count - 1, mptcp);
    // Most connections have nothing for Wireshark's analysis to flag: they keep no counters at all.
    let a = 0;
    if ((cl.retransmissions | cl.outOfOrder | cl.dupAcks | cl.zeroWindows | cl.keepAlives | cl.ackedUnseen | cl.lostSegments |
      sv.retransmissions | sv.outOfOrder | sv.dupAcks | sv.zeroWindows | sv.keepAlives | sv.ackedUnseen | sv.lostSegments) !== 0) {
      if (this.analysisLen + 14 > this.analysisCounts.length) {
        const bigger = new Uint32Array(Math.max(1024, this.analysisCounts.length * 2));
        bigger.set(this.analysisCounts);
        this.analysisCounts = bigger;
      }
      const t = this.analysisCounts;
      let k = this.analysisLen;
      for (const e of [cl, sv]) {
        t[k++] = e.retransmissions; t[k++] = e.outOfOrder; t[k++] = e.dupAcks; t[k++] = e.zeroWindows;
        t[k++] = e.keepAlives; t[k++] = e.ackedUnseen; t[k++] = e.lostSegments;
      }
      a = this.analysisLen / 14 + 1;
      this.analysisLen = k;
    }
    v.setUint32(o + 136, a, true);
    v.setUint8(o + 140, cl.alternatives & 0xff);
    v.setUint8(o + 141, sv.alternatives & 0xff);
    v.setUint8(o + 142, cl.why);
    v.setUint8(o + 143, sv.why);
    // Its timing, TimingField by TimingField: doubles, then the counts as 32-bit integers.
    const t = c.timingInto(this.timingScratch);
    for (let k = 0; k < TimingField.rttSamples; k++) v.setFloat64(o + TIMING_AT + 8 * k, t[k]!, true);
    for (let k = TimingField.rttSamples; k < TimingField.SIZE; k++) v.setUint32(o + TIMING_AT + 8 * TimingField.rttSamples + 4 * (k - TimingField.rttSamples), t[k]!, true);
  }

  private timing(v: DataView, o: number): ConnectionTiming {
    const t = this.timingScratch;
    for (let k = 0; k < TimingField.rttSamples; k++) t[k] = v.getFloat64(o + TIMING_AT + 8 * k, true);
    for (let k = TimingField.rttSamples; k < TimingField.SIZE; k++) t[k] = v.getUint32(o + TIMING_AT + 8 * TimingField.rttSamples + 4 * (k - TimingField.rttSamples), true);
    return timingOf(t);
  }

  private analysis(v: DataView, o: number, side: number): SegmentAnalysis {
    const a = v.getUint32(o + 136, true);
    if (a === 0) return NO_ANALYSIS;
    const t = this.analysisCounts;
    const k = (a - 1) * 14 + side * 7;
    return {
      retransmissions: t[k]!, outOfOrder: t[k + 1]!, duplicateAcks: t[k + 2]!, zeroWindows: t[k + 3]!,
      keepAlives: t[k + 4]!, ackedUnseen: t[k + 5]!, lostSegments: t[k + 6]!,
    };
  }

  /** One side's part of the record at `o`: the client's fields, then the server's, each at the same distance. */
  private endpoint(v: DataView, o: number, side: 0 | 1): EndpointRecord {
    const a = o + 12 + 16 * side;
    return {
      a0: v.getInt32(a, true), a1: v.getInt32(a + 4, true), a2: v.getInt32(a + 8, true), a3: v.getInt32(a + 12, true),
      port: v.getUint16(o + 8 + 2 * side, true), state: v.getUint8(o + 6 + side) as TcpState,
      packets: v.getUint32(o + 44 + 4 * side, true), payloadBytes: v.getFloat64(o + 52 + 8 * side, true), wireBytes: v.getFloat64(o + 116 + 8 * side, true),
      analysis: this.analysis(v, o, side),
      possibleStates: alternatives(v.getUint8(o + 140 + side)), why: v.getUint8(o + 142 + side),
    };
  }

  get(i: number): ConnectionRecord {
    const v = this.chunks[i >>> CHUNK_SHIFT]!;
    const o = (i & CHUNK_MASK) * RECORD_BYTES;
    const flags = v.getUint8(o + 5);
    const tcount = v.getUint16(o + 112, true);
    const toff = v.getUint32(o + 108, true) * TRANSITION_FIELDS;
    return {
      id: v.getUint32(o, true),
      family: v.getUint8(o + 4) === 6 ? 6 : 4,
      client: this.endpoint(v, o, 0),
      server: this.endpoint(v, o, 1),
      roleInferred: (flags & FLAG_ROLE_INFERRED) !== 0,
      encap: v.getUint32(o + 132, true),
      stateInferred: (flags & FLAG_STATE_INFERRED) !== 0,
      normalEnd: (flags & FLAG_NORMAL_END) !== 0,
      evicted: ((flags >> FLAG_EVICTED_SHIFT) & 3) as Eviction,
      vantage: (flags >> FLAG_VANTAGE_SHIFT) & 3,
      synNotAnswered: (flags & FLAG_SYN_NOT_ANSWERED) !== 0,
      firstPacket: v.getFloat64(o + 68, true),
      lastPacket: v.getFloat64(o + 76, true),
      startSec: v.getFloat64(o + 84, true),
      startNsec: v.getUint32(o + 92, true),
      endSec: v.getFloat64(o + 96, true),
      endNsec: v.getUint32(o + 104, true),
      transitions: this.keepTransitions ? this.trans.subarray(toff, toff + tcount * TRANSITION_FIELDS) : null,
      transitionsDropped: v.getUint16(o + 114, true),
      lost: this.lost.get(i) ?? [],
      mptcp: this.mptcp.get(i) ?? null,
      timing: this.timing(v, o),
    };
  }

  /** Records in id order (the order of each connection's first packet). */
  *byId(): Generator<ConnectionRecord> {
    const order = new Uint32Array(this.count);
    const ids = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      order[i] = i;
      ids[i] = this.chunks[i >>> CHUNK_SHIFT]!.getUint32((i & CHUNK_MASK) * RECORD_BYTES, true);
    }
    order.sort((a, b) => ids[a]! - ids[b]!);
    for (let k = 0; k < order.length; k++) yield this.get(order[k]!);
  }
}

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
