import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/packet.js';
import { type Connection, MAX_TRANSITIONS, packTransition, TRANSITION_FIELDS, transitionEvent, transitionSide } from './connection.js';
import type { Endpoint } from './endpoint.js';
import { seqAdd, seqGe, seqGt, seqLt } from './seq.js';
import { TcpEvent, TcpState } from './state.js';

export interface TimerHost {
  /** `ep` has just entered TIME_WAIT: arrange its 2MSL expiry. */
  startTimeWait(c: Connection, ep: Endpoint): void;
}

/**
 * Both endpoints' RFC 793 / RFC 9293 state machines, driven by what the capture shows.
 * Each segment is applied as *send* to its sender, then as *segment arrives* to its receiver
 * (as if it arrived when captured). A later segment can prove an arrival wrong — a FIN sent
 * again after its ACK was captured means that ACK was lost — and the sender's state is corrected.
 */
export class TcpMachine {
  /** Record each transition in the connection (reports that list them need it; counts do not). */
  constructor(private readonly timers: TimerHost, private readonly record: boolean) {}

  /** Every state change goes through here, so every one is recorded. */
  setState(c: Connection, ep: Endpoint, next: TcpState, event: TcpEvent): void {
    const from = ep.state;
    if (from === next) return;
    ep.state = next;
    ep.visited |= 1 << next;
    const now = c.curSec + c.curNsec * 1e-9;
    if (from >= TcpState.FIN_WAIT_1) addDwell(ep, from, now - ep.stateSince);
    ep.stateSince = now;
    const t = c.transitions;
    const n = c.transitionLen;
    if (!this.record) {
      // Nothing to keep.
    } else if (n < MAX_TRANSITIONS * TRANSITION_FIELDS) {
      t[n] = c.curPacket;
      t[n + 1] = c.curSec;
      t[n + 2] = c.curNsec;
      t[n + 3] = packTransition(ep.side, from, next, event);
      c.transitionLen = n + TRANSITION_FIELDS;
    } else {
      c.transitionsDropped++;
    }
    if (next === TcpState.TIME_WAIT) this.timers.startTimeWait(c, ep);
    else ep.timerGen++;
  }

  segment(c: Connection, s: Endpoint, r: Endpoint, p: DecodedPacket): void {
    const f = p.flags;
    const syn = f & TH_SYN ? 1 : 0;
    const fin = f & TH_FIN ? 1 : 0;
    const end = seqAdd(p.seq, p.payloadLen + syn + fin);
    if (!s.seqSeen || seqGt(end, s.sndNxt)) s.sndNxt = end;
    s.seqSeen = true;
    if (p.payloadLen > 0) s.sentData = true;
    if (f & TH_ACK) {
      s.ackSent = true;
      s.lastAck = p.ack;
    }
    s.window = p.window;
    if (syn && p.wscale >= 0) s.wscale = p.wscale;

    this.send(c, s, p);
    this.arrive(c, r, p);
  }

  /** A TIME_WAIT side's 2MSL timer ran out (RFC 9293 section 3.10.8). */
  expireTimeWait(c: Connection, ep: Endpoint): void {
    if (ep.state === TcpState.TIME_WAIT) this.setState(c, ep, TcpState.CLOSED, TcpEvent.Timeout2Msl);
  }

  private send(c: Connection, s: Endpoint, p: DecodedPacket): void {
    const f = p.flags;
    if (s.peerFinInFlight && (f & TH_ACK) && seqGe(p.ack, seqAdd(s.peerFinSeq, 1))) {
      // Its ACK now covers the peer's FIN: that FIN has reached it.
      s.peerFinInFlight = false;
      s.peerFinSeen = false;
      this.finArrives(c, s, s.peerFinSeq);
    }
    if (f & TH_RST) {
      // An abort from any state; from LISTEN it is the answer of a port with no listener.
      s.sentRst = true;
      this.setState(c, s, TcpState.CLOSED, TcpEvent.SendRst);
      return;
    }
    if (f & TH_SYN) {
      if (!(f & TH_ACK)) {
        if (s.state === TcpState.CLOSED || s.state === TcpState.LISTEN) {
          // CLOSED/LISTEN --active OPEN or SEND / snd SYN--> SYN_SENT
          s.iss = p.seq;
          s.issKnown = true;
          this.setState(c, s, TcpState.SYN_SENT, TcpEvent.SendSyn);
          // The peer's SYN was captured first: the SYNs crossed, a simultaneous open (RFC 9293 figure 7).
          if (s.peerSynSeen) this.setState(c, s, TcpState.SYN_RCVD, TcpEvent.RcvSyn);
        } else if (s.state === TcpState.SYN_SENT) {
          if (p.seq === s.iss) s.synRetransmits++;
          else s.iss = p.seq;
        }
      } else if (s.state === TcpState.LISTEN || s.state === TcpState.SYN_SENT) {
        // LISTEN --rcv SYN / snd SYN,ACK--> SYN_RCVD: the SYN,ACK shows the listener took the SYN.
        s.iss = p.seq;
        s.issKnown = true;
        s.synAckSent = true;
        s.lastSynAckAt = c.curSec + c.curNsec * 1e-9;
        this.setState(c, s, TcpState.SYN_RCVD, TcpEvent.SendSynAck);
      } else if (!s.synAckSent) {
        // The SYN,ACK of a simultaneous open, after the side's own SYN.
        s.synAckSent = true;
      } else if (s.issKnown && p.seq === s.iss) {
        s.synRetransmits++;
        const now = c.curSec + c.curNsec * 1e-9;
        s.synAckRto = now - s.lastSynAckAt;
        s.lastSynAckAt = now;
        s.pendingAckOfSyn = false;
        if (s.state === TcpState.ESTABLISHED && !s.sentData && !s.finSent) {
          // The ACK of it was captured but never reached this side: later ones are held (see settle).
          s.synAckLossSeen = true;
          this.setState(c, s, TcpState.SYN_RCVD, TcpEvent.SendSynAckAgain);
        }
      }
    } else if ((f & TH_ACK) && s.state === TcpState.SYN_SENT && (!s.peerSynSeen || p.ack === seqAdd(s.peerIss, 1) || !s.issKnown)) {
      // Only a side that received the SYN,ACK acknowledges it: the capture missed that SYN,ACK.
      this.setState(c, s, TcpState.ESTABLISHED, TcpEvent.InferredSynAckNotCaptured);
    }
    if (f & TH_FIN) {
      const finSeq = seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0));
      if (s.finSent && finSeq === s.finSeq) {
        s.finRtoUs = Math.round((c.curSec - s.lastFinSec) * 1e6 + (c.curNsec - s.lastFinNsec) / 1000);
      }
      s.lastFinSec = c.curSec;
      s.lastFinNsec = c.curNsec;
      if (!s.finSent && s.state === TcpState.CLOSE_WAIT && (f & TH_ACK) && seqLt(p.ack, seqAdd(s.peerFinSeq, 1))) {
        // This FIN does not acknowledge the peer's FIN: the two FINs crossed on the wire, and
        // this side was still ESTABLISHED when it closed. The peer's FIN reaches it later.
        this.undoLast(c, s, TcpEvent.RcvFin);
        s.state = TcpState.ESTABLISHED;
        s.peerFinSeen = false;
        s.peerFinInFlight = true;
      }
      if (!s.finSent) {
        s.finSent = true;
        s.finSeq = finSeq;
        s.finAcked = false;
        // RFC 9293 section 3.10.4, CLOSE call: a FIN goes out.
        if (s.state === TcpState.ESTABLISHED || s.state === TcpState.SYN_RCVD) {
          this.setState(c, s, TcpState.FIN_WAIT_1, TcpEvent.SendFin);
        } else if (s.state === TcpState.CLOSE_WAIT) {
          this.setState(c, s, TcpState.LAST_ACK, TcpEvent.SendFin);
        }
      } else if (finSeq === s.finSeq) {
        s.finRetransmits++;
        s.pendingFinAck = false;
        if (s.finAcked) {
          // The ACK of this FIN was captured but never reached the sender.
          s.finAcked = false;
          s.finAckLossSeen = true;
          if (s.state === TcpState.FIN_WAIT_2) this.setState(c, s, TcpState.FIN_WAIT_1, TcpEvent.SendFinAgain);
          else if (s.state === TcpState.TIME_WAIT) this.setState(c, s, TcpState.CLOSING, TcpEvent.SendFinAgain);
          else if (s.state === TcpState.CLOSED && !s.sentRst && !s.acceptedRst) {
            this.setState(c, s, TcpState.LAST_ACK, TcpEvent.SendFinAgain);
          }
        }
      }
    }
  }

  private arrive(c: Connection, r: Endpoint, p: DecodedPacket): void {
    const f = p.flags;
    if (f & TH_RST) {
      this.arriveRst(c, r, p);
      return;
    }
    if (f & TH_SYN) {
      r.peerSynSeen = true;
      r.peerIss = p.seq;
      if (!(f & TH_ACK)) {
        // In LISTEN the SYN is noted; the listener's answer (SYN,ACK or RST) decides its state.
        // SYN_SENT --rcv SYN / snd ACK--> SYN_RCVD: simultaneous open (RFC 9293 figure 7).
        if (r.state === TcpState.SYN_SENT) this.setState(c, r, TcpState.SYN_RCVD, TcpEvent.RcvSyn);
        return;
      }
      // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED, when the ACK covers our SYN (section 3.10.7.3).
      const acksSyn = !r.issKnown || p.ack === seqAdd(r.iss, 1);
      if (r.state === TcpState.SYN_SENT && acksSyn) this.setState(c, r, TcpState.ESTABLISHED, TcpEvent.RcvSynAck);
      else if (r.state === TcpState.SYN_RCVD && acksSyn) this.setState(c, r, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
      if (!(f & TH_FIN)) return;
    }
    if (f & TH_ACK) {
      const ack = p.ack;
      switch (r.state) {
        case TcpState.SYN_RCVD:
          // SYN_RCVD --rcv ACK of SYN--> ESTABLISHED
          if (!r.issKnown || seqGt(ack, r.iss)) {
            if (r.synAckLossSeen && p.payloadLen === 0 && !(f & TH_FIN)) this.holdAck(c, r, false);
            else this.setState(c, r, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
          }
          break;
        case TcpState.FIN_WAIT_1:
        case TcpState.CLOSING:
        case TcpState.LAST_ACK:
          if (seqGe(ack, seqAdd(r.finSeq, 1))) {
            if (r.finAckLossSeen && !(f & TH_FIN)) this.holdAck(c, r, true);
            else this.finAcked(c, r, (f & TH_FIN) !== 0);
          }
          break;
        default:
          break;
      }
    }
    if (f & TH_FIN) this.finArrives(c, r, seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0)));
  }

  /** The peer's FIN, occupying sequence number `peerFin`, reaches `r`. */
  private finArrives(c: Connection, r: Endpoint, peerFin: number): void {
    if (r.peerFinInFlight) return;
    if (!r.peerFinSeen) {
      r.peerFinSeen = true;
      r.peerFinSeq = peerFin;
      switch (r.state) {
        case TcpState.SYN_RCVD:
        case TcpState.ESTABLISHED:
          // ESTABLISHED --rcv FIN / snd ACK--> CLOSE_WAIT
          this.setState(c, r, TcpState.CLOSE_WAIT, TcpEvent.RcvFin);
          break;
        case TcpState.FIN_WAIT_1:
          // Our FIN acknowledged by this same segment: the three-segment close.
          if (r.finAcked) this.setState(c, r, TcpState.TIME_WAIT, TcpEvent.RcvFinAndAckOfFin);
          // FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING: simultaneous close.
          else this.setState(c, r, TcpState.CLOSING, TcpEvent.RcvFin);
          break;
        case TcpState.FIN_WAIT_2:
          // FIN_WAIT_2 --rcv FIN / snd ACK--> TIME_WAIT
          this.setState(c, r, TcpState.TIME_WAIT, TcpEvent.RcvFin);
          break;
        default:
          break;
      }
    } else if (r.state === TcpState.TIME_WAIT && peerFin === r.peerFinSeq) {
      // A retransmitted FIN in TIME_WAIT restarts the 2MSL timeout (section 3.10.7.4).
      this.timers.startTimeWait(c, r);
    }
  }

  /** FIN_WAIT_1/CLOSING/LAST_ACK --rcv ACK of FIN-->; with a FIN in the same segment FIN_WAIT_1 waits for finArrives. */
  private finAcked(c: Connection, r: Endpoint, withFin: boolean): void {
    r.finAcked = true;
    r.pendingFinAck = false;
    if (r.state === TcpState.FIN_WAIT_1) {
      if (!withFin) this.setState(c, r, TcpState.FIN_WAIT_2, TcpEvent.RcvAckOfFin);
    } else if (r.state === TcpState.CLOSING) {
      this.setState(c, r, TcpState.TIME_WAIT, TcpEvent.RcvAckOfFin);
    } else if (r.state === TcpState.LAST_ACK) {
      this.setState(c, r, TcpState.CLOSED, TcpEvent.RcvAckOfFin);
    }
  }

  /** Holds the ACK now arriving at `r` (of its FIN, or of its SYN,ACK) until settle() decides it arrived. */
  private holdAck(c: Connection, r: Endpoint, ofFin: boolean): void {
    if (r.holdsAck) return;
    if (ofFin) r.pendingFinAck = true;
    else r.pendingAckOfSyn = true;
    r.pendingPacket = c.curPacket;
    r.pendingSec = c.curSec;
    r.pendingNsec = c.curNsec;
  }

  /**
   * Decides held ACKs (of a FIN, or of a SYN,ACK) at time `now`: an ACK followed by no
   * retransmission for twice the last retransmission interval did arrive, and takes effect at its own packet.
   */
  settle(c: Connection, now: number): void {
    for (let side = 0; side < 2; side++) {
      const ep = c.endpoint(side);
      if (!ep.holdsAck) continue;
      const rto = ep.pendingFinAck ? ep.finRtoUs * 1e-6 : ep.synAckRto;
      const age = now - (ep.pendingSec + ep.pendingNsec * 1e-9);
      if (age <= 2 * rto + 0.2) continue;
      const packet = c.curPacket;
      const sec = c.curSec;
      const nsec = c.curNsec;
      c.at(ep.pendingPacket, ep.pendingSec, ep.pendingNsec);
      if (ep.pendingFinAck) {
        this.finAcked(c, ep, false);
      } else {
        ep.pendingAckOfSyn = false;
        if (ep.state === TcpState.SYN_RCVD) this.setState(c, ep, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
      }
      c.at(packet, sec, nsec);
    }
  }

  /** Takes back `ep`'s last recorded transition when it was `event` (later evidence showed it did not happen). */
  private undoLast(c: Connection, ep: Endpoint, event: TcpEvent): void {
    const t = c.transitions;
    for (let i = c.transitionLen - TRANSITION_FIELDS; i >= 0; i -= TRANSITION_FIELDS) {
      if (transitionSide(t[i + 3]!) !== ep.side) continue;
      if (transitionEvent(t[i + 3]!) === event) {
        t.copyWithin(i, i + TRANSITION_FIELDS, c.transitionLen);
        c.transitionLen -= TRANSITION_FIELDS;
      }
      return;
    }
  }

  /** RFC 9293 section 3.10.7: which resets a side accepts. */
  private arriveRst(c: Connection, r: Endpoint, p: DecodedPacket): void {
    switch (r.state) {
      case TcpState.CLOSED:
      case TcpState.LISTEN:
        return;
      case TcpState.SYN_SENT:
        // Acceptable only if it acknowledges our SYN: the connection was refused.
        if (!r.issKnown || ((p.flags & TH_ACK) !== 0 && p.ack === seqAdd(r.iss, 1))) this.acceptRst(c, r);
        else r.rstIgnored++;
        return;
      default:
        if (rstInWindow(r, p.seq)) this.acceptRst(c, r);
        else r.rstIgnored++;
    }
  }

  private acceptRst(c: Connection, r: Endpoint): void {
    r.acceptedRst = true;
    this.setState(c, r, TcpState.CLOSED, TcpEvent.RcvRst);
  }
}

/** Time spent in a closing state the side has just left (or is in when the capture ends). */
export function addDwell(ep: Endpoint, state: TcpState, seconds: number): void {
  switch (state) {
    case TcpState.FIN_WAIT_1: ep.finWait1Seconds += seconds; break;
    case TcpState.FIN_WAIT_2: ep.finWait2Seconds += seconds; break;
    case TcpState.CLOSE_WAIT: ep.closeWaitSeconds += seconds; break;
    case TcpState.LAST_ACK: ep.lastAckSeconds += seconds; break;
    default: break;
  }
}

/**
 * RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND, with the receiver's last ACK as RCV.NXT and its last
 * advertised window. A receiver that never acknowledged anything accepts any reset.
 */
export function rstInWindow(r: Endpoint, seq: number): boolean {
  if (!r.ackSent) return true;
  const scale = r.wscale > 0 ? r.wscale : 0;
  const wnd = Math.max(1, r.window * 2 ** scale);
  return seqGe(seq, r.lastAck) && seqLt(seq, seqAdd(r.lastAck, wnd));
}
