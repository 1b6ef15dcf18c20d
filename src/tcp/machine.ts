import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/packet.js';
import { type Connection, MAX_TRANSITIONS, packTransition, TRANSITION_FIELDS, transitionEvent, transitionSide } from './connection.js';
import {
  CF, CI, CONN_FLOATS, CONN_INTS, EF, EF_ACCEPTED_RST, EF_ACK_SENT, EF_FIN_ACKED, EF_FIN_ACK_LOSS_SEEN, EF_FIN_SENT, EF_HOLDS_ACK, EF_ISS_KNOWN,
  EF_PEER_FIN_IN_FLIGHT, EF_PEER_FIN_SEEN, EF_PEER_SYN_SEEN, EF_PENDING_ACK_OF_SYN, EF_PENDING_FIN_ACK, EF_SENT_DATA, EF_SENT_RST,
  EF_SEQ_SEEN, EF_SYN_ACK_LOSS_SEEN, EF_SYN_ACK_SENT, EI, type Rows,
} from './layout.js';
import { seqAdd, seqGe, seqGt, seqLt } from './seq.js';
import { TcpEvent, TcpState } from './state.js';

export interface TimerHost {
  /** Side `side` of the connection in `slot` has just entered TIME_WAIT: arrange its 2MSL expiry. */
  startTimeWait(slot: number, side: number): void;
}

/**
 * Both endpoints' RFC 793 / RFC 9293 state machines, driven by what the capture shows.
 * Each segment is applied as *send* to its sender, then as *segment arrives* to its receiver
 * (as if it arrived when captured). A later segment can prove an arrival wrong — a FIN sent
 * again after its ACK was captured means that ACK was lost — and the sender's state is corrected.
 *
 * It works on the connection table's rows (layout.ts): a connection is named by the offsets of
 * its integers (`ci`) and doubles (`cf`), an endpoint by the offsets of its own (`e`, `ef`).
 */
export class TcpMachine {
  /** Record each transition in the connection (reports that list them need it; counts do not). */
  constructor(private readonly rows: Rows, private readonly views: readonly Connection[], private readonly timers: TimerHost,
    private readonly record: boolean) {}

  /** Every state change goes through here, so every one is recorded. */
  setState(ci: number, cf: number, e: number, ef: number, next: TcpState, event: TcpEvent): void {
    const i = this.rows.i;
    const f = this.rows.f;
    const from = i[e + EI.state]!;
    if (from === next) return;
    i[e + EI.state] = next;
    i[e + EI.visited]! |= 1 << next;
    const now = f[cf + CF.curSec]! + i[ci + CI.curNsec]! * 1e-9;
    if (from >= TcpState.FIN_WAIT_1) addDwell(f, ef, from, now - f[ef + EF.stateSince]!);
    f[ef + EF.stateSince] = now;
    const side = e === ci + CI.SIZE ? 0 : 1;
    const slot = ci / CONN_INTS;
    if (this.record) {
      const n = i[ci + CI.transitionLen]!;
      if (n < MAX_TRANSITIONS * TRANSITION_FIELDS) {
        const t = this.views[slot]!.transitions;
        t[n] = f[cf + CF.curPacket]!;
        t[n + 1] = f[cf + CF.curSec]!;
        t[n + 2] = i[ci + CI.curNsec]!;
        t[n + 3] = packTransition(side, from, next, event);
        i[ci + CI.transitionLen] = n + TRANSITION_FIELDS;
      } else {
        i[ci + CI.transitionsDropped]!++;
      }
    }
    if (next === TcpState.TIME_WAIT) this.timers.startTimeWait(slot, side);
    else i[e + EI.timerGen]!++;
  }

  /** The segment `p` sent by side `s` (offsets s, sf) to side `r` (r, rf). */
  segment(ci: number, cf: number, s: number, sf: number, r: number, rf: number, p: DecodedPacket): void {
    const i = this.rows.i;
    const f = p.flags;
    const syn = f & TH_SYN ? 1 : 0;
    const fin = f & TH_FIN ? 1 : 0;
    const end = seqAdd(p.seq, p.payloadLen + syn + fin);
    let flags = i[s + EI.flags]!;
    if ((flags & EF_SEQ_SEEN) === 0 || seqGt(end, i[s + EI.sndNxt]!)) i[s + EI.sndNxt] = end;
    flags |= EF_SEQ_SEEN;
    if (p.payloadLen > 0) flags |= EF_SENT_DATA;
    if (f & TH_ACK) {
      flags |= EF_ACK_SENT;
      i[s + EI.lastAck] = p.ack;
    }
    i[s + EI.flags] = flags;
    i[s + EI.window] = p.window;
    if (syn && p.wscale >= 0) i[s + EI.wscale] = p.wscale;

    this.send(ci, cf, s, sf, p);
    this.arrive(ci, cf, r, rf, p);
  }

  /** A TIME_WAIT side's 2MSL timer ran out (RFC 9293 section 3.10.8). */
  expireTimeWait(ci: number, cf: number, e: number, ef: number): void {
    if (this.rows.i[e + EI.state] === TcpState.TIME_WAIT) this.setState(ci, cf, e, ef, TcpState.CLOSED, TcpEvent.Timeout2Msl);
  }

  private send(ci: number, cf: number, s: number, sf: number, p: DecodedPacket): void {
    const i = this.rows.i;
    const fl = this.rows.f;
    const f = p.flags;
    if ((i[s + EI.flags]! & EF_PEER_FIN_IN_FLIGHT) !== 0 && (f & TH_ACK) && seqGe(p.ack, seqAdd(i[s + EI.peerFinSeq]!, 1))) {
      // Its ACK now covers the peer's FIN: that FIN has reached it.
      i[s + EI.flags]! &= ~(EF_PEER_FIN_IN_FLIGHT | EF_PEER_FIN_SEEN);
      this.finArrives(ci, cf, s, sf, i[s + EI.peerFinSeq]!);
    }
    if (f & TH_RST) {
      // An abort from any state; from LISTEN it is the answer of a port with no listener.
      i[s + EI.flags]! |= EF_SENT_RST;
      this.setState(ci, cf, s, sf, TcpState.CLOSED, TcpEvent.SendRst);
      return;
    }
    const state = i[s + EI.state]!;
    if (f & TH_SYN) {
      if (!(f & TH_ACK)) {
        if (state === TcpState.CLOSED || state === TcpState.LISTEN) {
          // CLOSED/LISTEN --active OPEN or SEND / snd SYN--> SYN_SENT
          i[s + EI.iss] = p.seq;
          i[s + EI.flags]! |= EF_ISS_KNOWN;
          this.setState(ci, cf, s, sf, TcpState.SYN_SENT, TcpEvent.SendSyn);
          // The peer's SYN was captured first: the SYNs crossed, a simultaneous open (RFC 9293 figure 7).
          if ((i[s + EI.flags]! & EF_PEER_SYN_SEEN) !== 0) this.setState(ci, cf, s, sf, TcpState.SYN_RCVD, TcpEvent.RcvSyn);
        } else if (state === TcpState.SYN_SENT) {
          if (p.seq === i[s + EI.iss]) i[s + EI.synRetransmits]!++;
          else i[s + EI.iss] = p.seq;
        }
      } else if (state === TcpState.LISTEN || state === TcpState.SYN_SENT) {
        // LISTEN --rcv SYN / snd SYN,ACK--> SYN_RCVD: the SYN,ACK shows the listener took the SYN.
        i[s + EI.iss] = p.seq;
        i[s + EI.flags]! |= EF_ISS_KNOWN | EF_SYN_ACK_SENT;
        fl[sf + EF.lastSynAckAt] = fl[cf + CF.curSec]! + i[ci + CI.curNsec]! * 1e-9;
        this.setState(ci, cf, s, sf, TcpState.SYN_RCVD, TcpEvent.SendSynAck);
      } else if ((i[s + EI.flags]! & EF_SYN_ACK_SENT) === 0) {
        // The SYN,ACK of a simultaneous open, after the side's own SYN.
        i[s + EI.flags]! |= EF_SYN_ACK_SENT;
      } else if ((i[s + EI.flags]! & EF_ISS_KNOWN) !== 0 && p.seq === i[s + EI.iss]) {
        i[s + EI.synRetransmits]!++;
        const now = fl[cf + CF.curSec]! + i[ci + CI.curNsec]! * 1e-9;
        fl[sf + EF.synAckRto] = now - fl[sf + EF.lastSynAckAt]!;
        fl[sf + EF.lastSynAckAt] = now;
        i[s + EI.flags]! &= ~EF_PENDING_ACK_OF_SYN;
        if (state === TcpState.ESTABLISHED && (i[s + EI.flags]! & (EF_SENT_DATA | EF_FIN_SENT)) === 0) {
          // The ACK of it was captured but never reached this side: later ones are held (see settle).
          i[s + EI.flags]! |= EF_SYN_ACK_LOSS_SEEN;
          this.setState(ci, cf, s, sf, TcpState.SYN_RCVD, TcpEvent.SendSynAckAgain);
        }
      }
    } else if ((f & TH_ACK) && state === TcpState.SYN_SENT &&
               ((i[s + EI.flags]! & EF_PEER_SYN_SEEN) === 0 || p.ack === seqAdd(i[s + EI.peerIss]!, 1) || (i[s + EI.flags]! & EF_ISS_KNOWN) === 0)) {
      // Only a side that received the SYN,ACK acknowledges it: the capture missed that SYN,ACK.
      this.setState(ci, cf, s, sf, TcpState.ESTABLISHED, TcpEvent.InferredSynAckNotCaptured);
    }
    if (f & TH_FIN) this.sendFin(ci, cf, s, sf, p);
  }

  private sendFin(ci: number, cf: number, s: number, sf: number, p: DecodedPacket): void {
    const i = this.rows.i;
    const fl = this.rows.f;
    const f = p.flags;
    const finSeq = seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0));
    const curSec = fl[cf + CF.curSec]!;
    const curNsec = i[ci + CI.curNsec]!;
    if ((i[s + EI.flags]! & EF_FIN_SENT) !== 0 && finSeq === i[s + EI.finSeq]) {
      i[s + EI.finRtoUs] = Math.round((curSec - fl[sf + EF.lastFinSec]!) * 1e6 + (curNsec - i[s + EI.lastFinNsec]!) / 1000);
    }
    fl[sf + EF.lastFinSec] = curSec;
    i[s + EI.lastFinNsec] = curNsec;
    if ((i[s + EI.flags]! & EF_FIN_SENT) === 0 && i[s + EI.state] === TcpState.CLOSE_WAIT && (f & TH_ACK) &&
        seqLt(p.ack, seqAdd(i[s + EI.peerFinSeq]!, 1))) {
      // This FIN does not acknowledge the peer's FIN: the two FINs crossed on the wire, and
      // this side was still ESTABLISHED when it closed. The peer's FIN reaches it later.
      this.undoLast(ci, s, TcpEvent.RcvFin);
      i[s + EI.state] = TcpState.ESTABLISHED;
      i[s + EI.flags] = (i[s + EI.flags]! & ~EF_PEER_FIN_SEEN) | EF_PEER_FIN_IN_FLIGHT;
    }
    const flags = i[s + EI.flags]!;
    if ((flags & EF_FIN_SENT) === 0) {
      i[s + EI.flags] = (flags | EF_FIN_SENT) & ~EF_FIN_ACKED;
      i[s + EI.finSeq] = finSeq;
      // RFC 9293 section 3.10.4, CLOSE call: a FIN goes out.
      const state = i[s + EI.state]!;
      if (state === TcpState.ESTABLISHED || state === TcpState.SYN_RCVD) {
        this.setState(ci, cf, s, sf, TcpState.FIN_WAIT_1, TcpEvent.SendFin);
      } else if (state === TcpState.CLOSE_WAIT) {
        this.setState(ci, cf, s, sf, TcpState.LAST_ACK, TcpEvent.SendFin);
      }
    } else if (finSeq === i[s + EI.finSeq]) {
      i[s + EI.finRetransmits]!++;
      i[s + EI.flags]! &= ~EF_PENDING_FIN_ACK;
      if ((flags & EF_FIN_ACKED) !== 0) {
        // The ACK of this FIN was captured but never reached the sender.
        i[s + EI.flags] = (i[s + EI.flags]! & ~EF_FIN_ACKED) | EF_FIN_ACK_LOSS_SEEN;
        const state = i[s + EI.state]!;
        if (state === TcpState.FIN_WAIT_2) this.setState(ci, cf, s, sf, TcpState.FIN_WAIT_1, TcpEvent.SendFinAgain);
        else if (state === TcpState.TIME_WAIT) this.setState(ci, cf, s, sf, TcpState.CLOSING, TcpEvent.SendFinAgain);
        else if (state === TcpState.CLOSED && (flags & (EF_SENT_RST | EF_ACCEPTED_RST)) === 0) {
          this.setState(ci, cf, s, sf, TcpState.LAST_ACK, TcpEvent.SendFinAgain);
        }
      }
    }
  }

  private arrive(ci: number, cf: number, r: number, rf: number, p: DecodedPacket): void {
    const i = this.rows.i;
    const f = p.flags;
    if (f & TH_RST) {
      this.arriveRst(ci, cf, r, rf, p);
      return;
    }
    if (f & TH_SYN) {
      i[r + EI.flags]! |= EF_PEER_SYN_SEEN;
      i[r + EI.peerIss] = p.seq;
      const state = i[r + EI.state]!;
      if (!(f & TH_ACK)) {
        // In LISTEN the SYN is noted; the listener's answer (SYN,ACK or RST) decides its state.
        // SYN_SENT --rcv SYN / snd ACK--> SYN_RCVD: simultaneous open (RFC 9293 figure 7).
        if (state === TcpState.SYN_SENT) this.setState(ci, cf, r, rf, TcpState.SYN_RCVD, TcpEvent.RcvSyn);
        return;
      }
      // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED, when the ACK covers our SYN (section 3.10.7.3).
      const acksSyn = (i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || p.ack === seqAdd(i[r + EI.iss]!, 1);
      if (state === TcpState.SYN_SENT && acksSyn) this.setState(ci, cf, r, rf, TcpState.ESTABLISHED, TcpEvent.RcvSynAck);
      else if (state === TcpState.SYN_RCVD && acksSyn) this.setState(ci, cf, r, rf, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
      if (!(f & TH_FIN)) return;
    }
    if (f & TH_ACK) {
      const ack = p.ack;
      switch (i[r + EI.state]) {
        case TcpState.SYN_RCVD:
          // SYN_RCVD --rcv ACK of SYN--> ESTABLISHED
          if ((i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || seqGt(ack, i[r + EI.iss]!)) {
            if ((i[r + EI.flags]! & EF_SYN_ACK_LOSS_SEEN) !== 0 && p.payloadLen === 0 && !(f & TH_FIN)) this.holdAck(ci, cf, r, rf, false);
            else this.setState(ci, cf, r, rf, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
          }
          break;
        case TcpState.FIN_WAIT_1:
        case TcpState.CLOSING:
        case TcpState.LAST_ACK:
          if (seqGe(ack, seqAdd(i[r + EI.finSeq]!, 1))) {
            if ((i[r + EI.flags]! & EF_FIN_ACK_LOSS_SEEN) !== 0 && !(f & TH_FIN)) this.holdAck(ci, cf, r, rf, true);
            else this.finAcked(ci, cf, r, rf, (f & TH_FIN) !== 0);
          }
          break;
        default:
          break;
      }
    }
    if (f & TH_FIN) this.finArrives(ci, cf, r, rf, seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0)));
  }

  /** The peer's FIN, occupying sequence number `peerFin`, reaches `r`. */
  private finArrives(ci: number, cf: number, r: number, rf: number, peerFin: number): void {
    const i = this.rows.i;
    const flags = i[r + EI.flags]!;
    if ((flags & EF_PEER_FIN_IN_FLIGHT) !== 0) return;
    if ((flags & EF_PEER_FIN_SEEN) === 0) {
      i[r + EI.flags] = flags | EF_PEER_FIN_SEEN;
      i[r + EI.peerFinSeq] = peerFin;
      switch (i[r + EI.state]) {
        case TcpState.SYN_RCVD:
        case TcpState.ESTABLISHED:
          // ESTABLISHED --rcv FIN / snd ACK--> CLOSE_WAIT
          this.setState(ci, cf, r, rf, TcpState.CLOSE_WAIT, TcpEvent.RcvFin);
          break;
        case TcpState.FIN_WAIT_1:
          // Our FIN acknowledged by this same segment: the three-segment close.
          if ((flags & EF_FIN_ACKED) !== 0) this.setState(ci, cf, r, rf, TcpState.TIME_WAIT, TcpEvent.RcvFinAndAckOfFin);
          // FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING: simultaneous close.
          else this.setState(ci, cf, r, rf, TcpState.CLOSING, TcpEvent.RcvFin);
          break;
        case TcpState.FIN_WAIT_2:
          // FIN_WAIT_2 --rcv FIN / snd ACK--> TIME_WAIT
          this.setState(ci, cf, r, rf, TcpState.TIME_WAIT, TcpEvent.RcvFin);
          break;
        default:
          break;
      }
    } else if (i[r + EI.state] === TcpState.TIME_WAIT && peerFin === i[r + EI.peerFinSeq]) {
      // A retransmitted FIN in TIME_WAIT restarts the 2MSL timeout (section 3.10.7.4).
      this.timers.startTimeWait(ci / CONN_INTS, r === ci + CI.SIZE ? 0 : 1);
    }
  }

  /** FIN_WAIT_1/CLOSING/LAST_ACK --rcv ACK of FIN-->; with a FIN in the same segment FIN_WAIT_1 waits for finArrives. */
  private finAcked(ci: number, cf: number, r: number, rf: number, withFin: boolean): void {
    const i = this.rows.i;
    i[r + EI.flags] = (i[r + EI.flags]! | EF_FIN_ACKED) & ~EF_PENDING_FIN_ACK;
    const state = i[r + EI.state]!;
    if (state === TcpState.FIN_WAIT_1) {
      if (!withFin) this.setState(ci, cf, r, rf, TcpState.FIN_WAIT_2, TcpEvent.RcvAckOfFin);
    } else if (state === TcpState.CLOSING) {
      this.setState(ci, cf, r, rf, TcpState.TIME_WAIT, TcpEvent.RcvAckOfFin);
    } else if (state === TcpState.LAST_ACK) {
      this.setState(ci, cf, r, rf, TcpState.CLOSED, TcpEvent.RcvAckOfFin);
    }
  }

  /** Holds the ACK now arriving at `r` (of its FIN, or of its SYN,ACK) until settle() decides it arrived. */
  private holdAck(ci: number, cf: number, r: number, rf: number, ofFin: boolean): void {
    const i = this.rows.i;
    const f = this.rows.f;
    if ((i[r + EI.flags]! & EF_HOLDS_ACK) !== 0) return;
    i[r + EI.flags]! |= ofFin ? EF_PENDING_FIN_ACK : EF_PENDING_ACK_OF_SYN;
    f[rf + EF.pendingPacket] = f[cf + CF.curPacket]!;
    f[rf + EF.pendingSec] = f[cf + CF.curSec]!;
    i[r + EI.pendingNsec] = i[ci + CI.curNsec]!;
  }

  /**
   * Decides held ACKs (of a FIN, or of a SYN,ACK) of the connection in `slot` at time `now`: an ACK
   * followed by no retransmission for twice the last retransmission interval did arrive, and takes effect at its own packet.
   */
  settle(slot: number, now: number): void {
    const i = this.rows.i;
    const fl = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    for (let side = 0; side < 2; side++) {
      const e = ci + CI.SIZE + side * EI.SIZE;
      const ef = cf + CF.SIZE + side * EF.SIZE;
      const flags = i[e + EI.flags]!;
      if ((flags & EF_HOLDS_ACK) === 0) continue;
      const rto = (flags & EF_PENDING_FIN_ACK) !== 0 ? i[e + EI.finRtoUs]! * 1e-6 : fl[ef + EF.synAckRto]!;
      const age = now - (fl[ef + EF.pendingSec]! + i[e + EI.pendingNsec]! * 1e-9);
      if (age <= 2 * rto + 0.2) continue;
      const packet = fl[cf + CF.curPacket]!;
      const sec = fl[cf + CF.curSec]!;
      const nsec = i[ci + CI.curNsec]!;
      fl[cf + CF.curPacket] = fl[ef + EF.pendingPacket]!;
      fl[cf + CF.curSec] = fl[ef + EF.pendingSec]!;
      i[ci + CI.curNsec] = i[e + EI.pendingNsec]!;
      if ((flags & EF_PENDING_FIN_ACK) !== 0) {
        this.finAcked(ci, cf, e, ef, false);
      } else {
        i[e + EI.flags]! &= ~EF_PENDING_ACK_OF_SYN;
        if (i[e + EI.state] === TcpState.SYN_RCVD) this.setState(ci, cf, e, ef, TcpState.ESTABLISHED, TcpEvent.RcvAckOfSyn);
      }
      fl[cf + CF.curPacket] = packet;
      fl[cf + CF.curSec] = sec;
      i[ci + CI.curNsec] = nsec;
    }
  }

  /** Takes back side `e`'s last recorded transition when it was `event` (later evidence showed it did not happen). */
  private undoLast(ci: number, e: number, event: TcpEvent): void {
    const i = this.rows.i;
    const side = e === ci + CI.SIZE ? 0 : 1;
    const t = this.views[ci / CONN_INTS]!.transitions;
    const len = i[ci + CI.transitionLen]!;
    for (let k = len - TRANSITION_FIELDS; k >= 0; k -= TRANSITION_FIELDS) {
      if (transitionSide(t[k + 3]!) !== side) continue;
      if (transitionEvent(t[k + 3]!) === event) {
        t.copyWithin(k, k + TRANSITION_FIELDS, len);
        i[ci + CI.transitionLen] = len - TRANSITION_FIELDS;
      }
      return;
    }
  }

  /** RFC 9293 section 3.10.7: which resets a side accepts. */
  private arriveRst(ci: number, cf: number, r: number, rf: number, p: DecodedPacket): void {
    const i = this.rows.i;
    switch (i[r + EI.state]) {
      case TcpState.CLOSED:
      case TcpState.LISTEN:
        return;
      case TcpState.SYN_SENT:
        // Acceptable only if it acknowledges our SYN: the connection was refused.
        if ((i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || ((p.flags & TH_ACK) !== 0 && p.ack === seqAdd(i[r + EI.iss]!, 1))) this.acceptRst(ci, cf, r, rf);
        else i[r + EI.rstIgnored]!++;
        return;
      default:
        if (rstInWindow(i, r, p.seq)) this.acceptRst(ci, cf, r, rf);
        else i[r + EI.rstIgnored]!++;
    }
  }

  private acceptRst(ci: number, cf: number, r: number, rf: number): void {
    this.rows.i[r + EI.flags]! |= EF_ACCEPTED_RST;
    this.setState(ci, cf, r, rf, TcpState.CLOSED, TcpEvent.RcvRst);
  }
}

/** Time spent in a closing state the side (doubles at `ef`) has just left, or is in when the capture ends. */
export function addDwell(f: Float64Array, ef: number, state: TcpState, seconds: number): void {
  switch (state) {
    case TcpState.FIN_WAIT_1: f[ef + EF.finWait1Seconds]! += seconds; break;
    case TcpState.FIN_WAIT_2: f[ef + EF.finWait2Seconds]! += seconds; break;
    case TcpState.CLOSE_WAIT: f[ef + EF.closeWaitSeconds]! += seconds; break;
    case TcpState.LAST_ACK: f[ef + EF.lastAckSeconds]! += seconds; break;
    default: break;
  }
}

/**
 * RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND, with the receiver's last ACK as RCV.NXT and its last
 * advertised window. A receiver that never acknowledged anything accepts any reset.
 */
export function rstInWindow(i: Int32Array, r: number, seq: number): boolean {
  if ((i[r + EI.flags]! & EF_ACK_SENT) === 0) return true;
  const w = i[r + EI.wscale]!;
  const wnd = Math.max(1, i[r + EI.window]! * 2 ** (w > 0 ? w : 0));
  return seqGe(seq, i[r + EI.lastAck]!) && seqLt(seq, seqAdd(i[r + EI.lastAck]!, wnd));
}
