import { TcpState } from './state.js';

// An endpoint's yes/no facts share one integer: a live connection is two endpoints, and a busy
// capture holds hundreds of thousands of them. Read and written through the accessors below.
const ISS_KNOWN = 1 << 0;
const SEQ_SEEN = 1 << 1;
const SENT_DATA = 1 << 2;
const SYN_ACK_SENT = 1 << 3;
const FIN_SENT = 1 << 4;
const FIN_ACKED = 1 << 5;
const ACK_SENT = 1 << 6;
const PEER_SYN_SEEN = 1 << 7;
const PEER_FIN_SEEN = 1 << 8;
const PEER_FIN_IN_FLIGHT = 1 << 9;
const FIN_ACK_LOSS_SEEN = 1 << 10;
const PENDING_FIN_ACK = 1 << 11;
const SENT_RST = 1 << 12;
const ACCEPTED_RST = 1 << 13;
const SYN_ACK_LOSS_SEEN = 1 << 14;
const PENDING_ACK_OF_SYN = 1 << 15;

/**
 * Initial value of the fields that hold seconds as doubles: -0 is no small integer, so V8 gives
 * them a double representation from the start instead of changing every Endpoint's hidden class
 * (and the code that reads it) when the first double arrives.
 */
const DOUBLE = -0;

/** What one side of a connection has shown on the wire, and the state that follows from it. */
export class Endpoint {
  state: TcpState;
  a0 = 0; a1 = 0; a2 = 0; a3 = 0;
  port = 0;
  flags = 0;

  packets = 0;
  payloadBytes = 0;
  /** Frame bytes on the wire, link header included (what Wireshark's conversations count). */
  wireBytes = 0;

  /** Sequence space this side has sent into (signed 32-bit, see seq.ts). */
  iss = 0;
  sndNxt = 0;
  /** The sequence number this side's FIN occupies. */
  finSeq = 0;

  /** What this side has acknowledged and advertised (its receive window). */
  lastAck = 0;
  window = 0;
  wscale = -1;

  peerIss = 0;
  peerFinSeq = 0;

  /** An ACK of our FIN held back (see finAckLossSeen): its packet and time. */
  pendingPacket = 0;
  pendingSec = 0;
  pendingNsec = 0;
  lastFinSec = 0;
  lastFinNsec = 0;
  /** Interval between this side's last two FIN transmissions, in µs: its retransmission timeout, roughly. */
  finRtoUs = 0;

  /** When this side last sent its SYN,ACK, and the interval before that (its SYN,ACK timeout, roughly), in seconds. */
  lastSynAckAt = DOUBLE;
  synAckRto = DOUBLE;
  synRetransmits = 0;
  finRetransmits = 0;
  rstIgnored = 0;
  /** Bumped to cancel a pending TIME_WAIT expiry. */
  timerGen = 0;

  /** Every state this side has been in, one bit per TcpState. */
  visited = 0;
  /** When the current state was entered (seconds), and how long the side spent in the closing states it left. */
  stateSince = DOUBLE;
  closeWaitSeconds = DOUBLE;
  finWait1Seconds = DOUBLE;
  finWait2Seconds = DOUBLE;
  lastAckSeconds = DOUBLE;

  // Wireshark's TCP sequence analysis of the segments this side sends (see analysis.ts).
  waNextSeq = 0;
  waNextSeqTime = DOUBLE;
  waMaxSeqToBeAcked = 0;
  waLastAck = 0;
  waLastAckTime = DOUBLE;
  waWindow = -1;
  waDupAcks = 0;
  waLastFlags = 0;
  /** What Wireshark's analysis flagged in the segments this side sent. */
  retransmissions = 0;
  outOfOrder = 0;
  dupAcks = 0;
  zeroWindows = 0;
  keepAlives = 0;
  ackedUnseen = 0;
  lostSegments = 0;
  /** Retransmissions and keep-alives sent since the peer last sent anything, and the first of them. */
  unanswered = 0;
  unansweredPacket = 0;
  unansweredSince = DOUBLE;

  constructor(readonly side: 0 | 1, state: TcpState) {
    this.state = state;
    this.visited = 1 << state;
  }

  /**
   * Back to a fresh endpoint in `state`, for the next connection that reuses this object.
   * Every field above is set again here (a test holds the two lists to each other).
   */
  reset(state: TcpState): void {
    this.state = state;
    this.a0 = 0; this.a1 = 0; this.a2 = 0; this.a3 = 0;
    this.port = 0;
    this.flags = 0;
    this.packets = 0;
    this.payloadBytes = 0;
    this.wireBytes = 0;
    this.iss = 0;
    this.sndNxt = 0;
    this.finSeq = 0;
    this.lastAck = 0;
    this.window = 0;
    this.wscale = -1;
    this.peerIss = 0;
    this.peerFinSeq = 0;
    this.pendingPacket = 0;
    this.pendingSec = 0;
    this.pendingNsec = 0;
    this.lastFinSec = 0;
    this.lastFinNsec = 0;
    this.finRtoUs = 0;
    this.lastSynAckAt = DOUBLE;
    this.synAckRto = DOUBLE;
    this.synRetransmits = 0;
    this.finRetransmits = 0;
    this.rstIgnored = 0;
    this.timerGen = 0;
    this.visited = 1 << state;
    this.stateSince = DOUBLE;
    this.closeWaitSeconds = DOUBLE;
    this.finWait1Seconds = DOUBLE;
    this.finWait2Seconds = DOUBLE;
    this.lastAckSeconds = DOUBLE;
    this.waNextSeq = 0;
    this.waNextSeqTime = DOUBLE;
    this.waMaxSeqToBeAcked = 0;
    this.waLastAck = 0;
    this.waLastAckTime = DOUBLE;
    this.waWindow = -1;
    this.waDupAcks = 0;
    this.waLastFlags = 0;
    this.retransmissions = 0;
    this.outOfOrder = 0;
    this.dupAcks = 0;
    this.zeroWindows = 0;
    this.keepAlives = 0;
    this.ackedUnseen = 0;
    this.lostSegments = 0;
    this.unanswered = 0;
    this.unansweredPacket = 0;
    this.unansweredSince = DOUBLE;
  }

  hasVisited(s: TcpState): boolean {
    return (this.visited & (1 << s)) !== 0;
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  get issKnown(): boolean { return (this.flags & ISS_KNOWN) !== 0; }
  set issKnown(v: boolean) { this.flag(ISS_KNOWN, v); }
  get seqSeen(): boolean { return (this.flags & SEQ_SEEN) !== 0; }
  set seqSeen(v: boolean) { this.flag(SEQ_SEEN, v); }
  get sentData(): boolean { return (this.flags & SENT_DATA) !== 0; }
  set sentData(v: boolean) { this.flag(SENT_DATA, v); }
  get synAckSent(): boolean { return (this.flags & SYN_ACK_SENT) !== 0; }
  set synAckSent(v: boolean) { this.flag(SYN_ACK_SENT, v); }
  get finSent(): boolean { return (this.flags & FIN_SENT) !== 0; }
  set finSent(v: boolean) { this.flag(FIN_SENT, v); }
  get finAcked(): boolean { return (this.flags & FIN_ACKED) !== 0; }
  set finAcked(v: boolean) { this.flag(FIN_ACKED, v); }
  get ackSent(): boolean { return (this.flags & ACK_SENT) !== 0; }
  set ackSent(v: boolean) { this.flag(ACK_SENT, v); }
  get peerSynSeen(): boolean { return (this.flags & PEER_SYN_SEEN) !== 0; }
  set peerSynSeen(v: boolean) { this.flag(PEER_SYN_SEEN, v); }
  get peerFinSeen(): boolean { return (this.flags & PEER_FIN_SEEN) !== 0; }
  set peerFinSeen(v: boolean) { this.flag(PEER_FIN_SEEN, v); }
  /** The peer's FIN crossed this side's own FIN: captured, but not yet received by this side. */
  get peerFinInFlight(): boolean { return (this.flags & PEER_FIN_IN_FLIGHT) !== 0; }
  set peerFinInFlight(v: boolean) { this.flag(PEER_FIN_IN_FLIGHT, v); }
  /**
   * This side sent its FIN again after the capture saw that FIN acknowledged: ACKs captured
   * on their way to it are being lost, so a later one is believed only if no retransmission follows.
   */
  get finAckLossSeen(): boolean { return (this.flags & FIN_ACK_LOSS_SEEN) !== 0; }
  set finAckLossSeen(v: boolean) { this.flag(FIN_ACK_LOSS_SEEN, v); }
  get pendingFinAck(): boolean { return (this.flags & PENDING_FIN_ACK) !== 0; }
  set pendingFinAck(v: boolean) { this.flag(PENDING_FIN_ACK, v); }
  /** Like finAckLossSeen, for the ACK of this side's SYN,ACK: it sent the SYN,ACK again after that ACK was captured. */
  get synAckLossSeen(): boolean { return (this.flags & SYN_ACK_LOSS_SEEN) !== 0; }
  set synAckLossSeen(v: boolean) { this.flag(SYN_ACK_LOSS_SEEN, v); }
  get pendingAckOfSyn(): boolean { return (this.flags & PENDING_ACK_OF_SYN) !== 0; }
  set pendingAckOfSyn(v: boolean) { this.flag(PENDING_ACK_OF_SYN, v); }
  /** An ACK reached this side in the capture but is held until no retransmission shows it was lost. */
  get holdsAck(): boolean { return (this.flags & (PENDING_FIN_ACK | PENDING_ACK_OF_SYN)) !== 0; }
  get sentRst(): boolean { return (this.flags & SENT_RST) !== 0; }
  set sentRst(v: boolean) { this.flag(SENT_RST, v); }
  get acceptedRst(): boolean { return (this.flags & ACCEPTED_RST) !== 0; }
  set acceptedRst(v: boolean) { this.flag(ACCEPTED_RST, v); }
}
