import { TcpState } from './state.js';

/** What one side of a connection has shown on the wire, and the state that follows from it. */
export class Endpoint {
  state: TcpState;
  a0 = 0; a1 = 0; a2 = 0; a3 = 0;
  port = 0;

  packets = 0;
  payloadBytes = 0;

  /** Sequence space this side has sent into. */
  issKnown = false;
  iss = 0;
  seqSeen = false;
  sndNxt = 0;
  sentData = false;
  synAckSent = false;
  finSent = false;
  /** The sequence number the FIN occupies. */
  finSeq = 0;
  finAcked = false;

  /** What this side has acknowledged and advertised (its receive window). */
  ackSent = false;
  lastAck = 0;
  window = 0;
  wscale = -1;

  peerSynSeen = false;
  peerIss = 0;
  peerFinSeen = false;
  peerFinSeq = 0;

  /**
   * This side sent its FIN again after the capture saw that FIN acknowledged: ACKs captured
   * on their way to it are being lost, so a later one is believed only if no retransmission follows.
   */
  finAckLossSeen = false;
  pendingFinAck = false;
  pendingPacket = 0;
  pendingSec = 0;
  pendingNsec = 0;
  pendingTs = 0;
  lastFinTs = 0;
  /** Interval between this side's last two FIN transmissions: its retransmission timeout, roughly. */
  finRto = 0;
  /** The peer's FIN crossed this side's own FIN: captured, but not yet received by this side. */
  peerFinInFlight = false;

  synRetransmits = 0;
  finRetransmits = 0;
  rstIgnored = 0;
  sentRst = false;
  acceptedRst = false;
  /** Bumped to cancel a pending TIME_WAIT expiry. */
  timerGen = 0;

  constructor(readonly side: 0 | 1, state: TcpState) {
    this.state = state;
  }
}
