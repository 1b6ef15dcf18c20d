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
