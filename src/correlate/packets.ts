import type { CaptureError, CaptureInput, PacketBatch, PcapReaderName, Precision } from '../capture/index.js';
import { drive, type PacketSink } from '../pipeline/drive.js';
import { PacketStage } from '../pipeline/stages.js';
import { type ConnectionRecord, DEFAULT_LIMITS, type TableLimits, toRecord } from '../tcp/index.js';

/** Payload bytes hashed per segment: enough to tell segments apart, few enough for any snap length worth correlating. */
export const HASHED_BYTES = 16;

/**
 * One capture's TCP segments in columns, in capture order, with the connection each belongs to as
 * analyze numbers them (the same engine reads the file, so the ids and states are analyze's).
 * Times are seconds since the capture's `base` (the second of its first record), so that they keep
 * nanoseconds, and the difference of two captures' times is exact.
 */
export class SegmentTable {
  count = 0;
  time = new Float64Array(1024);
  sec = new Float64Array(1024);
  nsec = new Int32Array(1024);
  /** The packet's number in its capture (1 for the first record, whatever it holds). */
  packet = new Int32Array(1024);
  conn = new Int32Array(1024);
  seq = new Int32Array(1024);
  ack = new Int32Array(1024);
  /** TCP flags in the low 12 bits; FROM_CLIENT set for the client's segments. */
  flags = new Int32Array(1024);
  len = new Int32Array(1024);
  /** IPv4 identification; -1 for IPv6 (no ID outside a fragment header). */
  ipId = new Int32Array(1024);
  /** FNV-1a of the first HASHED_BYTES payload bytes, and how many of them were captured. */
  hash = new Int32Array(1024);
  hashed = new Int32Array(1024);

  grow(): void {
    const n = this.time.length * 2;
    const f64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    this.time = f64(this.time); this.sec = f64(this.sec); this.nsec = i32(this.nsec); this.packet = i32(this.packet);
    this.conn = i32(this.conn); this.seq = i32(this.seq); this.ack = i32(this.ack); this.flags = i32(this.flags);
    this.len = i32(this.len); this.ipId = i32(this.ipId); this.hash = i32(this.hash); this.hashed = i32(this.hashed);
  }
}

export const FROM_CLIENT = 1 << 16;
export const FLAG_BITS = 0xfff;

/** What one capture holds for correlation: its segments, its connections as analyze reports them, its span. */
export interface CaptureSide {
  file: string;
  segments: SegmentTable;
  /** By analyze's connection id. */
  connections: Map<number, ConnectionRecord>;
  packets: number;
  precision: Precision;
  /** The integer second times are counted from: the first record's. */
  base: number;
  /** Seconds since base: the first and last record of the capture (NaN when empty). */
  first: number;
  last: number;
  damage: CaptureError | null;
}

/**
 * Reads one capture through analyze's packet stage, keeping every TCP segment's matching fields
 * and every connection's record. Memory is some 60 bytes per segment: correlation needs both
 * captures whole, unlike analyze (see the README).
 */
export async function readSide(input: CaptureInput, msl: number, limits: TableLimits = DEFAULT_LIMITS,
  reader: PcapReaderName = 'tcpstate'): Promise<CaptureSide> {
  const sink = new SegmentSink(msl, limits);
  const pass = await drive([input], sink, { reader });
  sink.stage.table.flush(pass.reading.endTime);
  const r = pass.reading;
  return {
    file: typeof input === 'string' ? input : '-',
    segments: sink.segments, connections: sink.connections, packets: r.packets, precision: pass.precision,
    base: sink.base, first: sink.first, last: sink.last, damage: pass.damage,
  };
}

class SegmentSink implements PacketSink {
  readonly stage: PacketStage;
  readonly segments = new SegmentTable();
  readonly connections = new Map<number, ConnectionRecord>();
  base = NaN;
  first = NaN;
  last = NaN;

  constructor(msl: number, limits: TableLimits) {
    this.stage = new PacketStage({ msl, transitions: false, limits, zeek: false, maxRows: 0 },
      { finished: (c) => { this.connections.set(c.id, toRecord(c)); } }, null);
  }

  packet(batch: PacketBatch, i: number, n: number): void {
    if (Number.isNaN(this.base)) this.base = batch.sec[i]!;
    const t = batch.sec[i]! - this.base + batch.nsec[i]! * 1e-9;
    if (Number.isNaN(this.first)) this.first = t;
    if (!(t < this.last)) this.last = t;
    if (!this.stage.record(batch, i, n, false)) return;
    const table = this.stage.table;
    const p = this.stage.pkt;
    const s = this.segments;
    if (s.count === s.time.length) s.grow();
    const k = s.count++;
    s.time[k] = t;
    s.sec[k] = batch.sec[i]!;
    s.nsec[k] = batch.nsec[i]!;
    s.packet[k] = n;
    s.conn[k] = table.current!.id;
    s.seq[k] = p.seq;
    s.ack[k] = p.ack;
    s.flags[k] = (p.flags & FLAG_BITS) | (table.currentFromClient ? FROM_CLIENT : 0);
    s.len[k] = p.payloadLen;
    s.ipId[k] = p.ipVersion === 4 ? p.ipId : -1;
    // The captured part of the payload only: a shorter snap length hashes fewer bytes, and matching
    // compares hashes only of segments captured as far in both files.
    const at = p.tcpOffset + p.tcpHeaderLen;
    const m = Math.max(0, Math.min(HASHED_BYTES, p.payloadLen, p.end - at));
    let h = 0x811c9dc5;
    for (let b = 0; b < m; b++) h = Math.imul(h ^ p.data[at + b]!, 0x01000193);
    s.hash[k] = h;
    s.hashed[k] = m;
  }
}
