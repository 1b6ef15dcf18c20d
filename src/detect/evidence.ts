import type { PacketBatch } from '../capture/index.js';
import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/segment.js';
import type { Connections } from '../tcp/connections.js';
import { A_ANY_RETRANSMISSION, A_KEEP_ALIVE, A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE } from '../tcp/analysis.js';
import { type Connection, EVIDENCE_SLOTS } from '../tcp/connection.js';
import { CF_REL_BASE_KNOWN, CI, CONN_INTS, EF_FIN_SENT, EI, type Rows } from '../tcp/layout.js';
import { seqAdd, seqGe } from '../tcp/seq.js';
import { statesAt } from '../tcp/history.js';
import type { TcpState } from '../tcp/state.js';

/** What each of a connection's evidence slots holds: the packets findings point to. */
export const enum Slot {
  Syn = 0,
  SynAck,
  FinClient,
  FinServer,
  /** The server's first ACK covering the client's FIN, and the other way round. */
  AckOfFinClient,
  AckOfFinServer,
  Rst,
  /** First and latest retransmission, keep-alive or zero-window probe, by side. */
  TroubleFirstClient,
  TroubleLastClient,
  TroubleFirstServer,
  TroubleLastServer,
  ZeroWindow,
}

/**
 * Headers only: link, IP and TCP headers with options are all a tcpdump line needs. A frame whose
 * headers run longer (deep tunnels) keeps its first SLOT_BYTES and prints as tcpdump prints a cut one.
 */
const SLOT_BYTES = 160;
/**
 * The integers of one evidence packet (M_*): 48 bytes, so that storing one, into a slot last used
 * long ago and cold, costs one or two cache lines (as doubles it took two or three). Packet
 * numbers, seconds and lengths are unsigned 32-bit; a file offset is two words.
 */
const META = 12;
const M_PACKET = 0;
const M_SEC = 1;
const M_NSEC = 2;
const M_ORIG_LEN = 3;
/** Stored length | linkType << 8. */
const M_LEN_LINK = 4;
const M_SENDER_BASE = 5;
const M_RECEIVER_BASE = 6;
/** The states before and after (4 bits each), whether it set the bases (bit 16), came from the client (17), had the ACK bit (18). */
const M_STATES = 7;
/** The input it is in (-1: its bytes are copied into `bytes`), and its offset there (low and high 32 bits). */
const M_FILE = 8;
const M_OFFSET_LO = 9;
const M_OFFSET_HI = 10;
const TWO_32 = 2 ** 32;
const TROUBLE = A_ANY_RETRANSMISSION | A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE;

/** One evidence packet, copied out of the store: enough to print its tcpdump line later. */
export interface EvidencePacket {
  packet: number;
  sec: number;
  nsec: number;
  /** The header bytes, copied (stdin, gzip), or null when they are read again from `file` to print the line. */
  bytes: Uint8Array | null;
  file: { path: string; offset: number; length: number } | null;
  origLen: number;
  linkType: number;
  /** tcpdump's relative-sequence bases of the sender and the receiver; null for the packet that sets them (printed absolute). */
  senderBase: number | null;
  receiverBase: number;
  clientBefore: TcpState;
  clientAfter: TcpState;
  serverBefore: TcpState;
  serverAfter: TcpState;
  /** The packet did not reach the side it was sent to, shown by packet `provedBy` (0: by nothing alone). */
  lost: { before: 'client' | 'server'; provedBy: number } | null;
}

/**
 * The few packets per live connection that findings may cite (its SYN, FINs, RST,
 * retransmissions...), in fixed slots of growing typed arrays with a free list: no allocation
 * per packet, and memory bounded by live connections. A slot holds numbers: where the packet is
 * in its file, read again only to print it; from stdin or gzip, which cannot be read again, its
 * header bytes are copied as well.
 */
export class EvidenceStore {
  /** Copied header bytes, SLOT_BYTES a slot, grown only when a copy is needed. */
  private bytes = new Uint8Array(0);
  private readonly paths: string[];
  private lastPath: string | null = null;
  private lastFile = -1;
  private meta = new Int32Array(META * 4096);
  /** How many slots hold each copy (a packet can fill two). */
  private refs = new Uint8Array(4096);
  private free = new Int32Array(4096);
  private freeLen = 0;
  private used = 0;

  /** `paths`: the inputs' paths in a known order, so that stores on several threads number them alike. */
  constructor(paths: readonly string[] = []) {
    this.paths = [...paths];
  }

  get slotsInUse(): number {
    return this.used - this.freeLen;
  }

  /**
   * A TCP segment after the connection table applied it (any that may fill a slot, or set
   * tcpdump's relative-sequence bases) to the connection in `slot` of `rows`: kept if it fills
   * one of the connection's slots. `analysis` holds Wireshark's flags for the segment.
   */
  packet(rows: Rows, slot: number, fromClient: boolean, p: DecodedPacket, data: Uint8Array, path: string | null, dataOffset: number,
    linkType: number, packet: number, sec: number, nsec: number, analysis: number, clientBefore: TcpState, serverBefore: TcpState): void {
    const i = rows.i;
    const ci = slot * CONN_INTS;
    const f = p.flags;
    let setsBase = false;
    if ((f & TH_ACK) !== 0 && ((i[ci + CI.flags]! & CF_REL_BASE_KNOWN) === 0 || (f & TH_SYN) !== 0)) {
      setsBase = true;
      // tcpdump's relative numbering: the first segment with an ACK, and every SYN,ACK, set both bases.
      i[ci + CI.flags]! |= CF_REL_BASE_KNOWN;
      if (fromClient) {
        i[ci + CI.relBaseClient] = p.seq;
        i[ci + CI.relBaseServer] = (p.ack - 1) | 0;
      } else {
        i[ci + CI.relBaseServer] = p.seq;
        i[ci + CI.relBaseClient] = (p.ack - 1) | 0;
      }
    }
    const ev = ci + CI.evidence;
    let slot1 = -1;
    let slot2 = -1;
    if (f & TH_RST) {
      if (i[ev + Slot.Rst] === -1) slot1 = Slot.Rst;
    } else if (f & TH_SYN) {
      if ((f & TH_ACK) === 0 && fromClient && i[ev + Slot.Syn] === -1) slot1 = Slot.Syn;
      else if ((f & TH_ACK) !== 0 && !fromClient && i[ev + Slot.SynAck] === -1) slot1 = Slot.SynAck;
    }
    if (f & TH_FIN) {
      const s = fromClient ? Slot.FinClient : Slot.FinServer;
      if (i[ev + s] === -1) slot1 = s;
    }
    if ((f & TH_ACK) !== 0) {
      const peer = ci + CI.SIZE + (fromClient ? EI.SIZE : 0);
      const s = fromClient ? Slot.AckOfFinServer : Slot.AckOfFinClient;
      if ((i[peer + EI.flags]! & EF_FIN_SENT) !== 0 && i[ev + s] === -1 && seqGe(p.ack, seqAdd(i[peer + EI.finSeq]!, 1))) slot2 = s;
    }
    if (analysis !== 0) {
      if (analysis & TROUBLE) {
        const first = fromClient ? Slot.TroubleFirstClient : Slot.TroubleFirstServer;
        const s = i[ev + first] === -1 ? first : fromClient ? Slot.TroubleLastClient : Slot.TroubleLastServer;
        if (slot1 === -1) slot1 = s;
        else slot2 = s;
      } else if ((analysis & A_ZERO_WINDOW) !== 0 && i[ev + Slot.ZeroWindow] === -1 && slot2 === -1) {
        slot2 = Slot.ZeroWindow;
      }
    }
    if (slot1 === -1 && slot2 === -1) return;
    const clientAfter = i[ci + CI.SIZE + EI.state]!;
    const serverAfter = i[ci + CI.SIZE + EI.SIZE + EI.state]!;
    const base = fromClient ? i[ci + CI.relBaseClient]! : i[ci + CI.relBaseServer]!;
    const peerBase = fromClient ? i[ci + CI.relBaseServer]! : i[ci + CI.relBaseClient]!;
    const index = this.store(fromClient, p, data, path, dataOffset, linkType, packet, sec, nsec, clientBefore, clientAfter, serverBefore, serverAfter,
      base, peerBase, setsBase);
    // One packet may fill two slots (a FIN that acknowledges the peer's FIN): both hold the one copy.
    if (slot1 !== -1) this.assign(i, ev + slot1, index);
    if (slot2 !== -1) {
      if (slot1 !== -1) this.refs[index]++;
      this.assign(i, ev + slot2, index);
    }
  }

  private assign(i: Int32Array, at: number, index: number): void {
    const old = i[at]!;
    if (old !== -1) this.release(old);
    i[at] = index;
  }

  private store(fromClient: boolean, p: DecodedPacket, data: Uint8Array, path: string | null, dataOffset: number,
    linkType: number, packet: number, sec: number, nsec: number, clientBefore: TcpState, clientAfter: TcpState, serverBefore: TcpState,
    serverAfter: TcpState, senderBase: number, receiverBase: number, setsBase: boolean): number {
    const i = this.alloc();
    const start = p.frameStart;
    let end = p.tcpOffset + p.tcpHeaderLen;
    if (end > p.end) end = p.end;
    let len = end - start;
    if (len > SLOT_BYTES) len = SLOT_BYTES;
    let file = -1;
    if (path !== null) {
      // The bytes stay in the file: remember where (a copy per packet would cost more than all the rest of this).
      if (path !== this.lastPath) {
        this.lastPath = path;
        this.lastFile = this.paths.indexOf(path);
        if (this.lastFile < 0) this.lastFile = this.paths.push(path) - 1;
      }
      file = this.lastFile;
    } else {
      this.copy(i, data, start, len);
    }
    const m = this.meta;
    const mo = i * META;
    m[mo + M_PACKET] = packet;
    m[mo + M_SEC] = sec;
    m[mo + M_NSEC] = nsec;
    m[mo + M_ORIG_LEN] = p.wireLen;
    m[mo + M_LEN_LINK] = len | (linkType << 8);
    m[mo + M_SENDER_BASE] = senderBase;
    m[mo + M_RECEIVER_BASE] = receiverBase;
    m[mo + M_STATES] = clientBefore | (clientAfter << 4) | (serverBefore << 8) | (serverAfter << 12) | (setsBase ? 1 << 16 : 0) |
      (fromClient ? 1 << 17 : 0) | ((p.flags & TH_ACK) !== 0 ? 1 << 18 : 0);
    m[mo + M_FILE] = file;
    // The low word by ToUint32 and the high one by an exact division: no floating-point remainder per packet.
    const lo = dataOffset >>> 0;
    m[mo + M_OFFSET_LO] = lo;
    m[mo + M_OFFSET_HI] = (dataOffset - lo) / TWO_32;
    return i;
  }

  /** Copies the header bytes into slot i (inputs that cannot be read again: stdin, gzip). */
  private copy(i: number, data: Uint8Array, start: number, len: number): void {
    const o = i * SLOT_BYTES;
    if (o + SLOT_BYTES > this.bytes.length) {
      const bytes = new Uint8Array(Math.max(this.bytes.length * 2, o + SLOT_BYTES * 1024));
      bytes.set(this.bytes);
      this.bytes = bytes;
    }
    const b = this.bytes;
    for (let k = 0; k < len; k++) b[o + k] = data[start + k]!;
  }

  private alloc(): number {
    if (this.freeLen > 0) {
      const i = this.free[--this.freeLen]!;
      this.refs[i] = 1;
      return i;
    }
    const i = this.used++;
    if (this.used > this.refs.length) {
      const n = this.refs.length * 2;
      const meta = new Int32Array(n * META);
      meta.set(this.meta);
      this.meta = meta;
      const refs = new Uint8Array(n);
      refs.set(this.refs);
      this.refs = refs;
    }
    this.refs[i] = 1;
    return i;
  }

  private release(i: number): void {
    if (--this.refs[i]! > 0) return;
    if (this.freeLen === this.free.length) {
      const bigger = new Int32Array(this.free.length * 2);
      bigger.set(this.free);
      this.free = bigger;
    }
    this.free[this.freeLen++] = i;
  }

  /** The connection is leaving the table: its slots go back to the free list. */
  releaseAll(c: Connection): void {
    let warmed = 0;
    for (let s = 0; s < EVIDENCE_SLOTS; s++) {
      const index = c.evidenceAt(s);
      if (index !== -1) {
        this.release(index);
        c.setEvidence(s, -1);
        // The next connections take these slots first (the free list is a stack) while they are cold: their lines, fetched together now.
        warmed |= this.meta[index * META]! | this.meta[index * META + META - 1]!;
      }
    }
    this.warmed = warmed;
  }

  /** Where releaseAll() puts what it loaded: a value nobody reads would let the compiler leave the loads out. */
  warmed = 0;

  /**
   * Writes the packets of `c`'s evidence slots into `out` from word `at` (for another thread's store
   * to import): a mask of the slots filled, then for each its numbers and, when copied, its bytes.
   * Returns the words written; `bytes` is a view of `out`'s buffer. Two slots that hold one packet
   * are exported twice and imported as two.
   */
  exportSlots(c: Connection, out: Float64Array, bytes: Uint8Array, at: number): number {
    let mask = 0;
    let w = at + 1;
    for (let s = 0; s < EVIDENCE_SLOTS; s++) {
      const i = c.evidenceAt(s);
      if (i === -1) continue;
      mask |= 1 << s;
      const mo = i * META;
      for (let k = 0; k < META; k++) out[w + k] = this.meta[mo + k]!;
      w += META;
      if (this.meta[mo + M_FILE]! < 0) {
        bytes.set(this.bytes.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES), w * 8);
        w += SLOT_BYTES / 8;
      }
    }
    out[at] = mask;
    return w - at;
  }

  /** Reads what exportSlots wrote into slots of this store, and points `c`'s evidence at them. Returns the words read. */
  importSlots(c: Connection, from: Float64Array, bytes: Uint8Array, at: number): number {
    const mask = from[at]!;
    let w = at + 1;
    for (let s = 0; s < EVIDENCE_SLOTS; s++) {
      if ((mask & (1 << s)) === 0) {
        c.setEvidence(s, -1);
        continue;
      }
      const i = this.alloc();
      const mo = i * META;
      for (let k = 0; k < META; k++) this.meta[mo + k] = from[w + k]!;
      w += META;
      if (from[w - META + M_FILE]! < 0) {
        this.copy(i, bytes, w * 8, SLOT_BYTES);
        w += SLOT_BYTES / 8;
      }
      c.setEvidence(s, i);
    }
    return w - at;
  }

  /** Whether the packet in `slot` was sent by the client and had the ACK bit; null when the slot is empty. */
  direction(c: Connection, slot: Slot): { fromClient: boolean; ack: boolean } | null {
    const i = c.evidenceAt(slot);
    if (i === -1) return null;
    const bits = this.meta[i * META + M_STATES]!;
    return { fromClient: (bits & (1 << 17)) !== 0, ack: (bits & (1 << 18)) !== 0 };
  }

  /** A copy of the packet in `slot` of `c`, or null when the slot is empty. */
  get(c: Connection, slot: Slot): EvidencePacket | null {
    const i = c.evidenceAt(slot);
    if (i === -1) return null;
    const m = this.meta;
    const mo = i * META;
    const lenLink = m[mo + M_LEN_LINK]!;
    const states = m[mo + M_STATES]!;
    const len = lenLink & 0xff;
    const copied = m[mo + M_FILE]! < 0;
    const e: EvidencePacket = {
      packet: m[mo + M_PACKET]! >>> 0,
      sec: m[mo + M_SEC]! >>> 0,
      nsec: m[mo + M_NSEC]!,
      origLen: m[mo + M_ORIG_LEN]! >>> 0,
      bytes: copied ? this.bytes.slice(i * SLOT_BYTES, i * SLOT_BYTES + len) : null,
      file: copied ? null : { path: this.paths[m[mo + M_FILE]!]!, offset: (m[mo + M_OFFSET_HI]! >>> 0) * TWO_32 + (m[mo + M_OFFSET_LO]! >>> 0), length: len },
      linkType: lenLink >>> 8,
      senderBase: (states & (1 << 16)) !== 0 ? null : m[mo + M_SENDER_BASE]!,
      receiverBase: m[mo + M_RECEIVER_BASE]!,
      clientBefore: (states & 15) as TcpState,
      clientAfter: ((states >> 4) & 15) as TcpState,
      serverBefore: ((states >> 8) & 15) as TcpState,
      serverAfter: ((states >> 12) & 15) as TcpState,
      lost: null,
    };
    // What the states were at the packet is the connection's history, which may have been rewritten since.
    if (c.rewritten && c.transitionLen > 0) {
      const s = statesAt(c.transitions.length === c.transitionLen ? c.transitions : c.transitions.slice(0, c.transitionLen), e.packet);
      e.clientBefore = s[0]!;
      e.clientAfter = s[1]!;
      e.serverBefore = s[2]!;
      e.serverAfter = s[3]!;
    }
    const lost = c.lost().find((l) => l.packet === e.packet);
    if (lost) e.lost = { before: lost.before, provedBy: lost.provedBy };
    return e;
  }
}

/** Words (doubles) one exported evidence packet takes: its numbers, then its header bytes when they were copied. */
export const EXPORT_WORDS = META + SLOT_BYTES / 8;


/** Evidence in packet order, without repeats, at most `limit`. */
export function evidenceList(packets: (EvidencePacket | null)[], limit: number): EvidencePacket[] {
  const out: EvidencePacket[] = [];
  for (const e of packets) if (e !== null && !out.some((x) => x.packet === e.packet)) out.push(e);
  out.sort((a, b) => a.packet - b.packet);
  return out.slice(0, limit);
}

/**
 * Each TCP segment, after the connection table applied it, offered to the evidence store. Most
 * segments (data and its ACKs) cannot fill an evidence slot: they leave after one test.
 */
export function recordEvidence(store: EvidenceStore, ts: Connections, p: DecodedPacket, batch: PacketBatch, i: number, n: number): void {
  const t = ts.table!;
  const rows = t.rows.i;
  const ci = t.currentSlot * CONN_INTS;
  if ((p.flags & (TH_SYN | TH_FIN | TH_RST)) !== 0 || t.analysis !== 0 || (rows[ci + CI.flags]! & CF_REL_BASE_KNOWN) === 0 ||
      ((rows[ci + CI.SIZE + EI.flags]! | rows[ci + CI.SIZE + EI.SIZE + EI.flags]!) & EF_FIN_SENT) !== 0) {
    store.packet(t.rows, t.currentSlot, t.currentFromClient, p, batch.data, batch.path, batch.dataOffset[i]!, batch.linkType[i]!,
      n, batch.sec[i]!, batch.nsec[i]!, t.analysis, t.clientBefore, t.serverBefore);
  }
}
