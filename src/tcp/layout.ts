/**
 * Where each fact of a live connection lies in the connection table's typed arrays. A connection
 * is a row of CONN_INTS 32-bit integers and CONN_FLOATS doubles, both endpoints included: the
 * per-packet path reads and writes them by offset, never through an object, so that a packet
 * touches a few cache lines of one row and the heap holds no objects per connection for the
 * garbage collector to trace. Connection and Endpoint (connection.ts, endpoint.ts) are views of a
 * row, for the stages that read a connection once it is finished.
 */

/** 32-bit integers of one endpoint, from its base (ENDPOINT_INTS apart). */
export const enum EI {
  state,
  /** Yes/no facts, one bit each (EF_*). */
  flags,
  /** Every state visited, one bit per TcpState. */
  visited,
  a0, a1, a2, a3,
  port,
  /** Sequence space this side has sent into (signed 32-bit, see seq.ts). */
  iss,
  sndNxt,
  /** The sequence number this side's FIN occupies. */
  finSeq,
  /** What this side has acknowledged and advertised (its receive window). */
  lastAck,
  window,
  wscale,
  peerIss,
  peerFinSeq,
  pendingNsec,
  lastFinNsec,
  /** Interval between this side's last two FIN transmissions, in µs: its retransmission timeout, roughly. */
  finRtoUs,
  synRetransmits,
  finRetransmits,
  rstIgnored,
  /** Bumped to cancel a pending TIME_WAIT expiry. */
  timerGen,
  packets,
  // Wireshark's TCP sequence analysis of the segments this side sends (analysis.ts).
  waNextSeq,
  waMaxSeqToBeAcked,
  waLastAck,
  waWindow,
  waDupAcks,
  waLastFlags,
  retransmissions,
  outOfOrder,
  dupAcks,
  zeroWindows,
  keepAlives,
  ackedUnseen,
  lostSegments,
  /** Retransmissions and keep-alives sent since the peer last sent anything. */
  unanswered,
  SIZE,
}

/** Doubles of one endpoint, from its base (ENDPOINT_FLOATS apart). */
export const enum EF {
  payloadBytes,
  /** Frame bytes on the wire, link header included (what Wireshark's conversations count). */
  wireBytes,
  /** An ACK of this side's FIN or SYN,ACK held back (see machine.ts settle): its packet and time. */
  pendingPacket,
  pendingSec,
  lastFinSec,
  /** When this side last sent its SYN,ACK, and the interval before that (its SYN,ACK timeout, roughly), in seconds. */
  lastSynAckAt,
  synAckRto,
  /** When the current state was entered, and the time spent in the closing states it left. */
  stateSince,
  closeWaitSeconds,
  finWait1Seconds,
  finWait2Seconds,
  lastAckSeconds,
  waNextSeqTime,
  waLastAckTime,
  unansweredPacket,
  unansweredSince,
  SIZE,
}

/** Bits of EI.flags. */
export const EF_ISS_KNOWN = 1 << 0;
export const EF_SEQ_SEEN = 1 << 1;
export const EF_SENT_DATA = 1 << 2;
export const EF_SYN_ACK_SENT = 1 << 3;
export const EF_FIN_SENT = 1 << 4;
export const EF_FIN_ACKED = 1 << 5;
export const EF_ACK_SENT = 1 << 6;
export const EF_PEER_SYN_SEEN = 1 << 7;
export const EF_PEER_FIN_SEEN = 1 << 8;
/** The peer's FIN crossed this side's own FIN: captured, but not yet received by this side. */
export const EF_PEER_FIN_IN_FLIGHT = 1 << 9;
/**
 * This side sent its FIN again after the capture saw that FIN acknowledged: ACKs captured on
 * their way to it are being lost, so a later one is believed only if no retransmission follows.
 */
export const EF_FIN_ACK_LOSS_SEEN = 1 << 10;
export const EF_PENDING_FIN_ACK = 1 << 11;
export const EF_SENT_RST = 1 << 12;
export const EF_ACCEPTED_RST = 1 << 13;
/** Like EF_FIN_ACK_LOSS_SEEN, for the ACK of this side's SYN,ACK. */
export const EF_SYN_ACK_LOSS_SEEN = 1 << 14;
export const EF_PENDING_ACK_OF_SYN = 1 << 15;
/** An ACK reached this side in the capture but is held until no retransmission shows it was lost. */
export const EF_HOLDS_ACK = EF_PENDING_FIN_ACK | EF_PENDING_ACK_OF_SYN;

/** How many evidence packets a connection can hold (see detect/evidence.ts for what each slot is). */
export const EVIDENCE_SLOTS = 12;

/** 32-bit integers of a connection's own, before its endpoints' (client first, then server). */
export const enum CI {
  family,
  /** Yes/no facts of the connection (CF_*). */
  flags,
  /** Tunnels its first packet came through (DecodedPacket.encap); 0 for none. */
  encap,
  startNsec,
  endNsec,
  curNsec,
  transitionLen,
  transitionsDropped,
  /** tcpdump's relative-sequence bases (set by the first ACK-bearing segment and by every SYN,ACK). */
  relBaseClient,
  relBaseServer,
  /** Why it left the table before it was over (Eviction). */
  evicted,
  /** The table's list of live connections, least recently active first: slots, -1 for none. */
  lruPrev,
  lruNext,
  /** EVIDENCE_SLOTS indices into the evidence store, -1 for none. */
  evidence,
  SIZE = evidence + EVIDENCE_SLOTS,
}

/** Doubles of a connection's own, before its endpoints'. */
export const enum CF {
  id,
  firstPacket,
  lastPacket,
  startSec,
  endSec,
  /** Packet number and time of the event being applied, read when a transition is recorded. */
  curPacket,
  curSec,
  /** Handshake round trip (first SYN to the ACK that completes it), in seconds; 0 until known. */
  irtt,
  SIZE,
}

/** Bits of CI.flags. */
export const CF_ROLE_INFERRED = 1 << 0;
export const CF_STATE_INFERRED = 1 << 1;
export const CF_REL_BASE_KNOWN = 1 << 2;
/** Waiting in the table's timer queue to be finalized once it has been quiet long enough. */
export const CF_LINGERING = 1 << 3;
export const CF_FINALIZED = 1 << 4;

export const ENDPOINT_INTS = EI.SIZE;
export const ENDPOINT_FLOATS = EF.SIZE;
export const CONN_INTS = CI.SIZE + 2 * EI.SIZE;
export const CONN_FLOATS = CF.SIZE + 2 * EF.SIZE;

/** Offsets of an endpoint within its connection's rows: side 0 is the client, 1 the server. */
export function endpointInts(side: number): number {
  return CI.SIZE + side * EI.SIZE;
}

export function endpointFloats(side: number): number {
  return CF.SIZE + side * EF.SIZE;
}

/** The typed arrays of a table's rows; replaced (never resized in place) when the table grows, so views read them through this. */
export class Rows {
  i = new Int32Array(0);
  f = new Float64Array(0);
  capacity = 0;

  /** Room for at least `slots` connections: the rows are copied into arrays twice as large. */
  ensure(slots: number): void {
    if (slots <= this.capacity) return;
    let n = Math.max(1024, this.capacity);
    while (n < slots) n *= 2;
    const i = new Int32Array(n * CONN_INTS);
    i.set(this.i);
    const f = new Float64Array(n * CONN_FLOATS);
    f.set(this.f);
    this.i = i;
    this.f = f;
    this.capacity = n;
  }
}
