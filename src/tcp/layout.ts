import { TcpState } from './state.js';

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
  // First what nearly every packet reads or writes (the sender's sequence space and Wireshark's
  // analysis, the key the tuple index compares): a row is cold when a packet finds it, so these
  // share as few cache lines as they can. What control packets, timers and hand-on use comes after.
  state,
  /** Yes/no facts, one bit each (EF_*). */
  flags,
  packets,
  window,
  /** Retransmissions and keep-alives sent since the peer last sent anything. */
  unanswered,
  /** The IPv4 ID of the last packet this side sent (rst-origin.ts compares a RST's with it). */
  lastIpId,
  a0, a1, a2, a3,
  port,
  /** Sequence space this side has sent into (signed 32-bit, see seq.ts). */
  sndNxt,
  /** What this side has acknowledged and advertised (its receive window). */
  lastAck,
  // Wireshark's TCP sequence analysis of the segments this side sends (analysis.ts).
  waNextSeq,
  waMaxSeqToBeAcked,
  waLastAck,
  waWindow,
  waDupAcks,
  waLastFlags,
  /** The segment being timed for a round-trip sample (timing.ts): the sequence number its ACK must reach, and its TSval. */
  timedEnd,
  timedTsval,
  /** Retransmission timeouts in a row, with no new ACK from the peer between them (the backoff). */
  rtoRun,
  /** Every state visited, one bit per TcpState. */
  visited,
  /** Entries in the journal (machine.ts), and whether it overflowed (its events are then final when made). */
  journalLen,
  iss,
  /** The sequence number this side's FIN occupies. */
  finSeq,
  wscale,
  peerIss,
  /** The IP TTL or hop limit of the first packet this side sent (for where the capture was taken). */
  ttl,
  zeroWindows,
  retransmissions,
  outOfOrder,
  dupAcks,
  keepAlives,
  ackedUnseen,
  lostSegments,
  synRetransmits,
  finRetransmits,
  rstIgnored,
  /** Retransmission timeouts: all of them, and the longest run (rtoRun). */
  rtoCount,
  rtoBackoff,
  /** The MSS its SYN offered (-1: no SYN captured, or none offered). */
  mss,
  /** Who sent its first RST, as the packet shows it (rst-origin.ts: RstOrigin and the RO_* reasons, with the RSTs it sent past 8 bits), and that RST's TTL. */
  rstOrigin,
  rstTtl,
  peerFinSeq,
  /** Bumped to cancel a pending TIME_WAIT expiry. */
  timerGen,
  /** What else this side may be in at the end, when the capture cannot tell (two states, 4 bits each; 0xff: none), and why (Why). */
  alternatives,
  why,
  /** The arrivals still in question: PENDING entries of PENDING_INTS integers (see machine.ts). */
  pending,
  /**
   * The journal: JOURNAL_ENTRIES entries of JOURNAL_INTS integers: what happened (TcpEvent |
   * status << 8), its nanoseconds, its packet and its second (packetRel, secRel), and its order key.
   */
  // PENDING_ENTRIES entries of PENDING_INTS before it (enum members take literals only).
  journal = pending + 16,
  // JOURNAL_ENTRIES entries of JOURNAL_INTS.
  SIZE = journal + 40,
}

/** Events in one endpoint's journal at most: a whole ordinary connection takes five or six. */
export const JOURNAL_ENTRIES = 8;
/** Per journal entry: event and status, nanoseconds, packet (packetRel), second (secRel), order key (see machine.ts). */
export const JOURNAL_INTS = 5;
/** Arrivals in question at once on one endpoint at most (a FIN and the ACK of our FIN may both be). */
export const PENDING_ENTRIES = 2;
/**
 * Per pending arrival: its journal entry (-1: free), the sequence number or ACK that shows it
 * arrived, copies sent, the last copy's nanoseconds; the last copy's packet and second (packetRel,
 * secRel); the packet that showed it had not arrived (packetRel, 0: none); and an order key: while
 * Refuted, of the moment that showed it (an arrival after it is ordered there), else of the last
 * copy's capture (an arrival with that copy is ordered there).
 */
export const PENDING_INTS = 8;

/**
 * A packet number as the journal keeps it, in 32 bits: from the connection's first packet, 1 for
 * that one; 0 stays 0 (a timer, or none). And back.
 */
export function packetRel(f: Float64Array, cf: number, packet: number): number {
  return packet === 0 ? 0 : packet - f[cf + CF.firstPacket]! + 1;
}

export function packetAbs(f: Float64Array, cf: number, rel: number): number {
  return rel === 0 ? 0 : f[cf + CF.firstPacket]! + rel - 1;
}

/** A capture's whole second as the journal keeps it: from the connection's first packet's (it may run backwards). */
export function secRel(f: Float64Array, cf: number, sec: number): number {
  return sec - f[cf + CF.startSec]!;
}

/** Doubles of one endpoint, from its base (ENDPOINT_FLOATS apart). */
export const enum EF {
  // Per packet first, as EI's.
  payloadBytes,
  /** Frame bytes on the wire, link header included (what Wireshark's conversations count). */
  wireBytes,
  waNextSeqTime,
  waLastAckTime,
  /** When the segment being timed (EI.timedEnd) was captured. */
  timedAt,
  /** When its first payload byte was captured, in seconds since the connection's first packet (with EF_SENT_DATA). */
  firstDataAt,
  /** When its last retransmission timeout was captured, and the longest time between two in a row (timing.ts). */
  lastRtoAt,
  rtoInterval,
  /** When the current state was entered, and the time spent in the closing states it left. */
  stateSince,
  unansweredPacket,
  unansweredSince,
  /** When this side's advertised window last closed to zero (-1: it is open), and the longest it stayed closed before reopening. */
  zeroWindowSince,
  zeroWindowLongest,
  closeWaitSeconds,
  finWait1Seconds,
  finWait2Seconds,
  lastAckSeconds,
  /** When this side last sent a segment again, and the interval since the one before (its retransmission timeout, roughly). */
  lastRetransmitAt,
  retransmitInterval,
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
export const EF_SENT_RST = 1 << 12;
export const EF_ACCEPTED_RST = 1 << 13;
/** The journal overflowed: later events are final as they come. */
export const EF_JOURNAL_FULL = 1 << 14;
/** A segment to this side was refused (outside its window): what it would have done did not happen. */
export const EF_REFUSED_SEGMENT = 1 << 15;
/** An arrival at this side may be in question (its pending entries are then looked at; cleared when they are found free). */
export const EF_HAS_PENDING = 1 << 16;
/** Its advertised window is zero now (EF.zeroWindowSince holds since when). */
export const EF_ZERO_WINDOW = 1 << 17;
/** Its SYN was captured: its window scale and MSS are known (or known to be absent). */
export const EF_SYN_CAPTURED = 1 << 9;
/** A segment it sent is being timed (EI.timedEnd), and with its TSval (the ACK must echo it) rather than by Karn's rule alone. */
export const EF_TIMED = 1 << 10;
export const EF_TIMED_TS = 1 << 11;
/** Its SYN carried TCP timestamps: it uses them (RFC 7323), so its own segments carry them too. */
export const EF_USES_TS = 1 << 18;

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
  /** Order keys handed out so far (the journal's, machine.ts). */
  orders,
  /**
   * Copies of segments whose arrival is or was in question (machine.ts), LOST_ENTRIES at most:
   * how many are listed; per entry 4 bits of `lostOwners` (the receiver's side, and the journal
   * entry of the arrival in question); and one bit each of `lostProved` (proved lost; else a candidate).
   */
  lostLen,
  lostOwners,
  lostProved,
  /** Where the capture was taken, as the handshake shows it (vantage.ts's Vantage), worked out again as each of its facts becomes known. */
  vantage,
  /**
   * MPTCP (RFC 8684): MPTCP_* bits, and the server's key (an MP_CAPABLE subflow's SYN,ACK) or the
   * token of the MPTCP connection it joins (an MP_JOIN subflow's SYN, in mptcpKeyHi).
   */
  mptcp,
  mptcpKeyHi,
  mptcpKeyLo,
  /**
   * Round-trip samples (timing.ts): how many were taken; every rttStride-th of them is kept, in
   * microseconds, RTT_KEPT at most (rttKept of them), so that a long connection keeps samples spread over all of it.
   */
  rttCount,
  rttStride,
  rttKept,
  rtt,
  /** EVIDENCE_SLOTS indices into the evidence store, -1 for none. */
  // RTT_KEPT entries before it (enum members take literals only).
  evidence = rtt + 8,
  SIZE = evidence + EVIDENCE_SLOTS,
}

/** CI.mptcp: the client's SYN offered MP_CAPABLE; the server's key is known (its SYN,ACK); the subflow joins another (MP_JOIN); version 0 (RFC 6824). */
export const MPTCP_CAPABLE = 1;
export const MPTCP_KEY = 2;
export const MPTCP_JOIN = 4;
export const MPTCP_V0 = 8;
/** CI.mptcp: a reset of the subflow carried MP_FASTCLOSE (the whole MPTCP connection aborted), or MP_TCPRST (this subflow alone). */
export const MPTCP_FASTCLOSE = 16;
export const MPTCP_TCPRST = 32;

/** Round-trip samples a connection keeps at most (CI.rtt). */
export const RTT_KEPT = 8;

/** Lost segments listed per connection at most (more are counted in lostLen past it). */
export const LOST_ENTRIES = 8;

/** Doubles of a connection's own, before its endpoints'. */
export const enum CF {
  id,
  firstPacket,
  lastPacket,
  startSec,
  endSec,
  /**
   * Wireshark's tcp.analysis.initial_rtt, in seconds (0 until known): from the most recent SYN to the
   * first segment after it that acknowledges and is no SYN (the ACK that completes the handshake, or a refusal).
   */
  irtt,
  /** At the capture point: the SYN to the first SYN,ACK (the server's side of the path), and that SYN,ACK to the client's ACK of it; -1 until known. */
  serverRtt,
  clientRtt,
  /** When the last SYN (no ACK) was seen, in seconds since the first packet (for irtt); -1: none. */
  lastSynAt,
  /** When the first SYN,ACK was seen, in seconds since the first packet (for clientRtt); -1: more than one; -2: none yet. */
  synAckAt,
  /** The longest time between two packets of the connection (0: none of 1 ms or more), and the time spent stalled, by cause (timing.ts). */
  maxIdle,
  stallZeroWindow,
  stallWindowFull,
  stallApplication,
  /** The smallest and largest round-trip samples (CI.rtt), in seconds. */
  rttMin,
  rttMax,
  /** The copies above: packet numbers, then the packets that proved them lost (LOST_ENTRIES each). */
  // 2 × LOST_ENTRIES.
  lost,
  SIZE = lost + 16,
}

/** Bits of CI.flags. */
export const CF_ROLE_INFERRED = 1 << 0;
export const CF_STATE_INFERRED = 1 << 1;
export const CF_REL_BASE_KNOWN = 1 << 2;
/** Waiting in the table's timer queue to be finalized once it has been quiet long enough. */
export const CF_LINGERING = 1 << 3;
export const CF_FINALIZED = 1 << 4;
/** An arrival was taken back or moved: states shown at the time of a packet may differ from its history's (machine.ts replay). */
export const CF_REWRITTEN = 1 << 5;

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

/**
 * Seconds from the connection's first packet to sec.nsec, from the whole seconds and nanoseconds
 * (an epoch time as one double is only good to a quarter of a microsecond).
 */
export function sinceStart(i: Int32Array, f: Float64Array, ci: number, cf: number, sec: number, nsec: number): number {
  return (sec - f[cf + CF.startSec]!) + (nsec - i[ci + CI.startNsec]!) * 1e-9;
}

/**
 * A row as a connection begins: zeros (both sides CLOSED, every count and time 0), but for what
 * means "none" or "not known yet": no evidence packet, no pending arrival, no other possible
 * state, window scale, MSS and Wireshark's window unknown, no zero window, no round trip measured
 * and no SYN,ACK seen, every round-trip sample kept (a stride of one).
 */
const BLANK_INTS = new Int32Array(CONN_INTS);
const BLANK_FLOATS = new Float64Array(CONN_FLOATS);
BLANK_INTS.fill(-1, CI.evidence, CI.evidence + EVIDENCE_SLOTS);
for (let side = 0; side < 2; side++) {
  const ep = endpointInts(side);
  BLANK_INTS[ep + EI.visited] = 1 << TcpState.CLOSED;
  BLANK_INTS[ep + EI.alternatives] = 0xff;
  BLANK_INTS[ep + EI.wscale] = BLANK_INTS[ep + EI.waWindow] = BLANK_INTS[ep + EI.mss] = -1;
  for (let j = 0; j < PENDING_ENTRIES; j++) BLANK_INTS[ep + EI.pending + j * PENDING_INTS] = -1;
  BLANK_FLOATS[endpointFloats(side) + EF.zeroWindowSince] = -1;
}
BLANK_FLOATS[CF.serverRtt] = BLANK_FLOATS[CF.clientRtt] = -1;
BLANK_FLOATS[CF.synAckAt] = -2;
BLANK_FLOATS[CF.lastSynAt] = -1;
BLANK_INTS[CI.rttStride] = 1;

/** The typed arrays of a table's rows; replaced (never resized in place) when the table grows, so views read them through this. */
export class Rows {
  i = new Int32Array(0);
  f = new Float64Array(0);
  capacity = 0;

  /**
   * Room for `slots` connections from the start. The arrays are zero pages the system maps only as
   * rows are first written, so what is reserved and never used costs no memory, and a table that
   * stays within it never holds two copies of its rows while growing (ensure() copies past it).
   */
  reserve(slots: number): void {
    if (slots <= this.capacity) return;
    const i = new Int32Array(slots * CONN_INTS);
    i.set(this.i);
    const f = new Float64Array(slots * CONN_FLOATS);
    f.set(this.f);
    this.i = i;
    this.f = f;
    this.capacity = slots;
  }

  /** Makes the row in `slot` blank (BLANK_INTS, BLANK_FLOATS), one memory copy per array. */
  blank(slot: number): void {
    this.i.set(BLANK_INTS, slot * CONN_INTS);
    this.f.set(BLANK_FLOATS, slot * CONN_FLOATS);
  }

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

// The enums above take literals only: they must agree with the constants they are sized by.
if (EI.journal - EI.pending !== PENDING_ENTRIES * PENDING_INTS || EI.SIZE - EI.journal !== JOURNAL_INTS * JOURNAL_ENTRIES ||
    CF.SIZE - CF.lost !== 2 * LOST_ENTRIES ||
    CI.evidence - CI.rtt !== RTT_KEPT) {
  throw new Error('layout.ts: the row sizes disagree with their constants');
}
