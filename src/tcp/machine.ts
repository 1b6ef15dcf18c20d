import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/segment.js';
import { type Connection, packTransition } from './connection.js';
import {
  CF, CF_REWRITTEN, CI, CONN_FLOATS, CONN_INTS, EF, EF_ACCEPTED_RST, EF_ACK_SENT, EF_FIN_ACKED, EF_FIN_SENT, EF_HAS_PENDING, EF_ISS_KNOWN, EF_JOURNAL_FULL,
  EF_PEER_FIN_SEEN, EF_PEER_SYN_SEEN, EF_REFUSED_SEGMENT, EF_SENT_DATA, EF_SENT_RST, EF_SEQ_SEEN, EF_SYN_ACK_SENT, EF_ZERO_WINDOW, EI,
  JOURNAL_ENTRIES, JOURNAL_INTS, LOST_ENTRIES, packetAbs, packetRel, PENDING_ENTRIES, PENDING_INTS, type Rows, secRel, sinceStart,
} from './layout.js';
import { seqAdd, seqGe, seqGt, seqLt } from './seq.js';
import { EVENT_NAMES, STATE_COUNT, TcpEvent, TcpState, Why } from './state.js';
import { Vantage, vantageOf } from './vantage.js';

export interface TimerHost {
  /** Side `side` of the connection in `slot` entered TIME_WAIT at sec.nsec: arrange its 2MSL expiry. */
  startTimeWait(slot: number, side: number, sec: number, nsec: number): void;
}

/** Where an event of an endpoint's journal stands. */
const enum Status {
  /** It happened: a segment the endpoint sent, a timer, an inference, or an arrival the wire confirmed. */
  Certain = 0,
  /** A segment captured on its way to the endpoint: whether it arrived is not known yet. */
  Pending = 1,
  /** The wire showed that it had not arrived (yet): it is out of the history unless a later copy arrives. */
  Refuted = 2,
}

/** Arrivals shown by an acknowledgement of a sequence number (the segment occupies sequence space). */
function acknowledged(e: TcpEvent): boolean {
  return e === TcpEvent.RcvSyn || e === TcpEvent.RcvSynAck || e === TcpEvent.RcvFin || e === TcpEvent.RcvFinAndAckOfFin;
}

/**
 * Whether segment event `e` sent again is a copy of pending arrival `pending`: it carries all the
 * arrival needs (the same event, or a FIN again for a FIN that acknowledged ours, which acknowledges
 * it too; an ACK of our FIN alone lacks the FIN).
 */
function carries(e: TcpEvent, pending: TcpEvent): boolean {
  return e === pending || (e === TcpEvent.RcvFin && pending === TcpEvent.RcvFinAndAckOfFin);
}

/** Whether two arrivals are one: the same event, or one part of the other (a FIN that acknowledges our FIN). */
function sameArrival(a: TcpEvent, b: TcpEvent): boolean {
  if (a === b) return true;
  const both = TcpEvent.RcvFinAndAckOfFin;
  return (a === both && (b === TcpEvent.RcvFin || b === TcpEvent.RcvAckOfFin)) || (b === both && (a === TcpEvent.RcvFin || a === TcpEvent.RcvAckOfFin));
}

/** The high bit of a pending arrival's copy count: the wire showed, once, that it had not arrived. */
const REFUTED_BEFORE = 1 << 30;
/** The next bit: its copies are listed in the connection's lost list (only once a second copy, or a refutation, puts them in question). */
const LISTED = 1 << 29;
/** The copy count below those bits. */
const COPIES = LISTED - 1;

/** The connection's doubles (cf) from the offsets of one of its endpoints, without dividing. */
function connFloats(ci: number, ep: number, ef: number): number {
  return ef - CF.SIZE - (ep === ci + CI.SIZE ? 0 : EF.SIZE);
}

/** Seconds of silence after its only SYN that show a client had no socket (see noSocket). */
const NO_SOCKET_AFTER = 3;

/** States of the arrival-made facts that replay() derives again from the journal. */
const ARRIVAL_FLAGS = EF_FIN_ACKED | EF_PEER_FIN_SEEN | EF_ACCEPTED_RST;

/**
 * Both endpoints' RFC 9293 state machines, driven by what the capture shows. A segment is applied
 * as *send* to its sender, which certainly sent it, and as *segment arrives* to its receiver,
 * which may not have received it: a capture is taken at one point of the path. Every event an
 * endpoint goes through is written in its journal (a few per connection); an arrival stays
 * Pending until the wire shows that it arrived (the receiver acknowledged it, or sent what only a
 * side that had it would send) or that it had not (the receiver went on without it, or the sender
 * sent it again), and its state is the journal replayed through the two switches below, onSend
 * and onArrive, the only places states change. When an arrival turns out not to have happened,
 * replay() rewrites the endpoint's history without it; when the connection leaves the table,
 * decide() settles what is still Pending, or says what the capture cannot tell.
 *
 * It works on the connection table's rows (layout.ts): a connection is named by the offsets of its
 * integers (`ci`) and doubles (`cf`), an endpoint by the offsets of its own (`e`, `ef`).
 */
export class TcpMachine {
  /** Scratch for order() and stateIf(): no allocation per packet or per connection. */
  private readonly sorted = new Int32Array(JOURNAL_ENTRIES);
  private readonly keepInts = new Int32Array(EI.SIZE);
  private readonly keepFloats = new Float64Array(EF.SIZE);
  /** While replay() takes a journal again: timers are set once, at its end. */
  private replaying = false;

  constructor(private readonly rows: Rows, private readonly timers: TimerHost) {}

  // ---------------------------------------------------------------- the transitions

  /** SEND: what a segment this endpoint sends does to its state (RFC 9293 section 3.3.2, figure 5). */
  private static onSend(state: TcpState, e: TcpEvent): TcpState {
    switch (state) {
      case TcpState.CLOSED:
        // CLOSED --active OPEN / snd SYN--> SYN_SENT
        if (e === TcpEvent.SendSyn) return TcpState.SYN_SENT;
        // CLOSED --passive OPEN--> LISTEN: the listening socket the SYN,ACK shows (a marked inference).
        if (e === TcpEvent.InferredListen) return TcpState.LISTEN;
        // CLOSED --(handshake before the capture)--> ESTABLISHED: a marked inference.
        if (e === TcpEvent.InferredMidStream) return TcpState.ESTABLISHED;
        // CLOSED --(SYN before the capture)--> SYN_SENT: a marked inference.
        if (e === TcpEvent.InferredSynNotCaptured) return TcpState.SYN_SENT;
        return state;
      case TcpState.LISTEN:
        // LISTEN --rcv SYN / snd SYN,ACK--> SYN_RCVD
        if (e === TcpEvent.SendSynAck) return TcpState.SYN_RCVD;
        return state;
      case TcpState.SYN_SENT:
        // SYN_SENT --rcv SYN / snd SYN,ACK--> SYN_RCVD: a simultaneous open.
        if (e === TcpEvent.SendSynAck) return TcpState.SYN_RCVD;
        // SYN_SENT --(its ACK of a SYN,ACK the capture missed)--> ESTABLISHED: a marked inference.
        if (e === TcpEvent.InferredSynAckNotCaptured) return TcpState.ESTABLISHED;
        // SYN_SENT --(no socket ever held it)--> CLOSED: a marked inference.
        if (e === TcpEvent.InferredNoSocket) return TcpState.CLOSED;
        break;
      case TcpState.SYN_RCVD:
      case TcpState.ESTABLISHED:
        // SYN_RCVD --CLOSE / snd FIN--> FIN_WAIT_1; ESTABLISHED --CLOSE / snd FIN--> FIN_WAIT_1
        if (e === TcpEvent.SendFin) return TcpState.FIN_WAIT_1;
        break;
      case TcpState.CLOSE_WAIT:
        // CLOSE_WAIT --CLOSE / snd FIN--> LAST_ACK
        if (e === TcpEvent.SendFin) return TcpState.LAST_ACK;
        break;
      case TcpState.TIME_WAIT:
        // TIME_WAIT --(a new SYN on the four-tuple, RFC 6191)--> CLOSED
        if (e === TcpEvent.TupleReused) return TcpState.CLOSED;
        break;
      default:
        break;
    }
    // any state --ABORT / snd RST--> CLOSED
    if (e === TcpEvent.SendRst) return TcpState.CLOSED;
    return state;
  }

  /** SEGMENT ARRIVES: what a segment this endpoint receives does to its state (RFC 9293 section 3.10.7). */
  private static onArrive(state: TcpState, e: TcpEvent): TcpState {
    switch (state) {
      case TcpState.SYN_SENT:
        // SYN_SENT --rcv SYN,ACK / snd ACK--> ESTABLISHED
        if (e === TcpEvent.RcvSynAck) return TcpState.ESTABLISHED;
        // SYN_SENT --rcv SYN / snd SYN,ACK--> SYN_RCVD: a simultaneous open.
        if (e === TcpEvent.RcvSyn) return TcpState.SYN_RCVD;
        break;
      case TcpState.SYN_RCVD:
        // SYN_RCVD --rcv ACK of SYN--> ESTABLISHED (or the peer's SYN,ACK, in a simultaneous open)
        if (e === TcpEvent.RcvAckOfSyn || e === TcpEvent.RcvSynAck) return TcpState.ESTABLISHED;
        // SYN_RCVD --rcv FIN / snd ACK--> CLOSE_WAIT
        if (e === TcpEvent.RcvFin) return TcpState.CLOSE_WAIT;
        break;
      case TcpState.ESTABLISHED:
        // ESTABLISHED --rcv FIN / snd ACK--> CLOSE_WAIT
        if (e === TcpEvent.RcvFin) return TcpState.CLOSE_WAIT;
        break;
      case TcpState.FIN_WAIT_1:
        // FIN_WAIT_1 --rcv ACK of FIN--> FIN_WAIT_2
        if (e === TcpEvent.RcvAckOfFin) return TcpState.FIN_WAIT_2;
        // FIN_WAIT_1 --rcv FIN / snd ACK--> CLOSING: a simultaneous close.
        if (e === TcpEvent.RcvFin) return TcpState.CLOSING;
        // FIN_WAIT_1 --rcv FIN, ACK of FIN / snd ACK--> TIME_WAIT
        if (e === TcpEvent.RcvFinAndAckOfFin) return TcpState.TIME_WAIT;
        break;
      case TcpState.FIN_WAIT_2:
        // FIN_WAIT_2 --rcv FIN / snd ACK--> TIME_WAIT
        if (e === TcpEvent.RcvFin || e === TcpEvent.RcvFinAndAckOfFin) return TcpState.TIME_WAIT;
        break;
      case TcpState.CLOSING:
        // CLOSING --rcv ACK of FIN--> TIME_WAIT
        if (e === TcpEvent.RcvAckOfFin || e === TcpEvent.RcvFinAndAckOfFin) return TcpState.TIME_WAIT;
        break;
      case TcpState.LAST_ACK:
        // LAST_ACK --rcv ACK of FIN--> CLOSED
        if (e === TcpEvent.RcvAckOfFin || e === TcpEvent.RcvFinAndAckOfFin) return TcpState.CLOSED;
        break;
      case TcpState.TIME_WAIT:
        // TIME_WAIT --2MSL timeout--> CLOSED (section 3.10.8)
        if (e === TcpEvent.Timeout2Msl) return TcpState.CLOSED;
        break;
      default:
        break;
    }
    // any synchronized state, or SYN_SENT with an acceptable ACK --rcv RST--> CLOSED
    if (e === TcpEvent.RcvRst && state !== TcpState.CLOSED && state !== TcpState.LISTEN) return TcpState.CLOSED;
    return state;
  }

  /** The state `e` leads to from `state`: sends, timers and inferences by onSend, arrivals by onArrive. */
  private static arc(state: TcpState, e: TcpEvent): TcpState {
    switch (e) {
      case TcpEvent.RcvSyn: case TcpEvent.RcvSynAck: case TcpEvent.RcvAckOfSyn: case TcpEvent.RcvFin: case TcpEvent.RcvFinAndAckOfFin:
      case TcpEvent.RcvAckOfFin: case TcpEvent.RcvRst: case TcpEvent.Timeout2Msl:
        return TcpMachine.onArrive(state, e);
      default:
        return TcpMachine.onSend(state, e);
    }
  }

  /** arc() of every state and event, at (state << 5) | event (ARCS). */
  static arcs(): Uint8Array {
    const t = new Uint8Array(STATE_COUNT << 5);
    for (let s = 0; s < STATE_COUNT; s++) for (let e = 0; e < EVENT_NAMES.length; e++) t[(s << 5) | e] = TcpMachine.arc(s, e);
    return t;
  }

  private next(state: TcpState, e: TcpEvent): TcpState {
    return ARCS[(state << 5) | e]! as TcpState;
  }

  // ---------------------------------------------------------------- the journal

  /**
   * Applies event `e` to the endpoint at (e, ef) at the time sec.nsec, as of packet `packet`
   * (0: a timer or the end): written in its journal with `status`, and, unless Refuted, taken.
   * Returns its journal entry, or -1 when the journal is full (it is then taken as final).
   */
  private record(ci: number, ep: number, ef: number, e: TcpEvent, status: Status, packet: number, sec: number, nsec: number): number {
    const i = this.rows.i;
    const f = this.rows.f;
    const n = i[ep + EI.journalLen]!;
    let k = -1;
    if (n < JOURNAL_ENTRIES) {
      k = n;
      const cf = connFloats(ci, ep, ef);
      const jo = ep + EI.journal + JOURNAL_INTS * k;
      i[jo] = e | (status << 8);
      i[jo + 1] = nsec;
      // packetRel() and secRel(), written out: this runs some ten times per connection.
      i[jo + 2] = packet === 0 ? 0 : packet - f[cf + CF.firstPacket]! + 1;
      i[jo + 3] = sec - f[cf + CF.startSec]!;
      // Order keys are even as they are handed out: an odd one falls between two (after one, before the next).
      i[jo + 4] = 2 * ++i[ci + CI.orders]!;
      i[ep + EI.journalLen] = n + 1;
    } else {
      i[ep + EI.flags]! |= EF_JOURNAL_FULL;
    }
    if (status !== Status.Refuted) this.take(ci, ep, ef, e, sec, nsec);
    return k;
  }

  /** Takes event `e` (at sec.nsec) into the endpoint's current state. */
  private take(ci: number, ep: number, ef: number, e: TcpEvent, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    const from = i[ep + EI.state]! as TcpState;
    // The facts arrivals make, derived again on every replay.
    if (e === TcpEvent.RcvFin || e === TcpEvent.RcvFinAndAckOfFin) i[ep + EI.flags]! |= EF_PEER_FIN_SEEN;
    if (e === TcpEvent.RcvAckOfFin || e === TcpEvent.RcvFinAndAckOfFin) i[ep + EI.flags]! |= EF_FIN_ACKED;
    if (e === TcpEvent.RcvRst && from !== TcpState.CLOSED && from !== TcpState.LISTEN) i[ep + EI.flags]! |= EF_ACCEPTED_RST;
    const to = this.next(from, e);
    if (to === from) return;
    i[ep + EI.state] = to;
    i[ep + EI.visited]! |= 1 << to;
    const now = sec + nsec * 1e-9;
    if (from >= TcpState.FIN_WAIT_1) addDwell(f, ef, from, now - f[ef + EF.stateSince]!);
    f[ef + EF.stateSince] = now;
    // A replay sets the timer once, for the state it ends in (replay()).
    if (this.replaying) return;
    if (to === TcpState.TIME_WAIT) this.timers.startTimeWait(ci / CONN_INTS, ep === ci + CI.SIZE ? 0 : 1, sec, nsec);
    else i[ep + EI.timerGen]!++;
  }

  /** The endpoint's state and history again from its journal, leaving out what is Refuted. */
  private replay(ci: number, cf: number, ep: number, ef: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    // A journal that overflowed no longer holds the whole history: what was taken stays taken.
    if ((i[ep + EI.flags]! & EF_JOURNAL_FULL) !== 0) return;
    const was = i[ep + EI.state]!;
    i[ep + EI.state] = TcpState.CLOSED;
    i[ep + EI.visited] = 1 << TcpState.CLOSED;
    i[ep + EI.flags]! &= ~ARRIVAL_FLAGS;
    f[ef + EF.stateSince] = f[cf + CF.startSec]! + i[ci + CI.startNsec]! * 1e-9;
    f[ef + EF.finWait1Seconds] = f[ef + EF.finWait2Seconds] = f[ef + EF.closeWaitSeconds] = f[ef + EF.lastAckSeconds] = 0;
    const since = f[ef + EF.stateSince]!;
    const n = this.order(ep);
    this.replaying = true;
    let sec = 0;
    let nsec = 0;
    for (let q = 0; q < n; q++) {
      const k = this.sorted[q]!;
      const jo = ep + EI.journal + JOURNAL_INTS * k;
      const v = i[jo]!;
      if ((v >> 8) === Status.Refuted) continue;
      const from = i[ep + EI.state]!;
      this.take(ci, ep, ef, (v & 0xff) as TcpEvent, f[cf + CF.startSec]! + i[jo + 3]!, i[jo + 1]!);
      if (i[ep + EI.state] !== from) {
        sec = f[cf + CF.startSec]! + i[jo + 3]!;
        nsec = i[jo + 1]!;
      }
    }
    this.replaying = false;
    // The timer of the state it ends in, when that state or its start changed: TIME_WAIT's 2MSL, or none.
    const state = i[ep + EI.state]!;
    if (state !== was || f[ef + EF.stateSince] !== since) {
      if (state === TcpState.TIME_WAIT) this.timers.startTimeWait(ci / CONN_INTS, ep === ci + CI.SIZE ? 0 : 1, sec, nsec);
      else i[ep + EI.timerGen]!++;
    }
  }

  /**
   * The endpoint's journal entries in the order they happened (by order key: appended in order, but a
   * confirmed arrival can move later), into `this.sorted`; returns how many.
   */
  private order(ep: number): number {
    const i = this.rows.i;
    const n = i[ep + EI.journalLen]!;
    const ks = this.sorted;
    const keys = ep + EI.journal + 4;
    // Insertion sort: at most JOURNAL_ENTRIES, nearly always in order already.
    for (let k = 0; k < n; k++) {
      const key = i[keys + JOURNAL_INTS * k]!;
      let j = k;
      while (j > 0 && i[keys + JOURNAL_INTS * ks[j - 1]!]! > key) {
        ks[j] = ks[j - 1]!;
        j--;
      }
      ks[j] = k;
    }
    return n;
  }

  private status(ep: number, k: number): Status {
    return (this.rows.i[ep + EI.journal + JOURNAL_INTS * k]! >> 8) as Status;
  }

  private setStatus(ep: number, k: number, s: Status): void {
    const i = this.rows.i;
    const v = i[ep + EI.journal + JOURNAL_INTS * k]!;
    // An arrival taken into the history (Pending) and taken out again: the history is rewritten.
    if (s === Status.Refuted && (v >> 8) !== Status.Refuted) this.rewritten(ep);
    i[ep + EI.journal + JOURNAL_INTS * k] = (v & 0xff) | (s << 8);
  }

  /** What was seen at some packet is no longer the history of the connection the endpoint at `ep` belongs to. */
  private rewritten(ep: number): void {
    this.rows.i[ep - (ep % CONN_INTS) + CI.flags]! |= CF_REWRITTEN;
  }

  private eventAt(ep: number, k: number): TcpEvent {
    return (this.rows.i[ep + EI.journal + JOURNAL_INTS * k]! & 0xff) as TcpEvent;
  }

  // ---------------------------------------------------------------- a new connection

  /**
   * A connection begins with packet `p`, in a blank row (Rows.blank: both sides CLOSED, nothing
   * pending): what the first packet proves about what came before the capture is written as inferences.
   */
  open(ci: number, cf: number, p: DecodedPacket, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const cl = ci + CI.SIZE;
    const sv = cl + EI.SIZE;
    const clf = cf + CF.SIZE;
    const svf = clf + EF.SIZE;
    const f = p.flags;
    if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      // A SYN,ACK proves the client sent a SYN the capture did not see.
      i[cl + EI.iss] = (p.ack - 1) | 0;
      i[cl + EI.flags]! |= EF_ISS_KNOWN;
      this.record(ci, cl, clf, TcpEvent.InferredSynNotCaptured, Status.Certain, packet, sec, nsec);
      i[sv + EI.flags]! |= EF_PEER_SYN_SEEN;
    } else if (!(f & TH_SYN)) {
      // Mid-stream: the handshake happened before the capture started.
      this.record(ci, cl, clf, TcpEvent.InferredMidStream, Status.Certain, packet, sec, nsec);
      this.record(ci, sv, svf, TcpEvent.InferredMidStream, Status.Certain, packet, sec, nsec);
    }
  }

  // ---------------------------------------------------------------- a segment

  /** The segment `p` (packet number `packet`, at sec.nsec) sent by side `s` (offsets s, sf) to side `r` (r, rf). */
  segment(ci: number, cf: number, s: number, sf: number, r: number, rf: number, p: DecodedPacket, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = p.flags;
    const syn = f & TH_SYN ? 1 : 0;
    const fin = f & TH_FIN ? 1 : 0;
    const now = sec + nsec * 1e-9;
    const end = seqAdd(p.seq, p.payloadLen + syn + fin);
    let flags = i[s + EI.flags]!;
    const was = flags;
    // Its first segment: the TTL it arrived with (where the capture was taken).
    if ((flags & EF_SEQ_SEEN) === 0) {
      i[s + EI.ttl] = p.ttl;
      this.locate(ci, cf);
    }
    // A RST occupies no sequence space and proves none sent: one at a window's edge (a forger's) moves nothing.
    if ((flags & EF_SEQ_SEEN) === 0 || ((f & TH_RST) === 0 && seqGt(end, i[s + EI.sndNxt]!))) i[s + EI.sndNxt] = end;
    flags |= EF_SEQ_SEEN;
    if (p.payloadLen > 0) flags |= EF_SENT_DATA;
    if (f & TH_ACK) {
      flags |= EF_ACK_SENT;
      i[s + EI.lastAck] = p.ack;
    }
    i[s + EI.flags] = flags;
    i[s + EI.window] = p.window;
    if ((f & (TH_SYN | TH_FIN | TH_RST)) === 0 && (f & TH_ACK) !== 0 && (p.window === 0 || (flags & EF_ZERO_WINDOW) !== 0)) this.zeroWindow(s, sf, p.window, now);
    if (syn && p.wscale >= 0) i[s + EI.wscale] = p.wscale;
    // The handshake's round trips: its SYN,ACK, and the client's first ACK.
    if ((f & TH_SYN) !== 0 || (was & EF_ACK_SENT) === 0) this.handshakeTiming(ci, cf, s, p, sec, nsec);

    // Most segments are data and ACKs between established sides with nothing in question: none of
    // the three below has anything to do with them, and they are told apart here, without the calls.
    const control = (f & (TH_SYN | TH_FIN | TH_RST)) !== 0;
    // What the segment shows of the arrivals still in question at its sender.
    if ((flags & EF_HAS_PENDING) !== 0) this.evidence(ci, cf, s, sf, p, packet, sec, nsec);
    // The segment leaving its sender: certain.
    if (control || i[s + EI.state] === TcpState.SYN_SENT || (i[r + EI.flags]! & EF_FIN_SENT) !== 0) this.send(ci, cf, s, sf, r, rf, p, packet, sec, nsec);
    // The segment reaching its receiver: Pending.
    if (control || i[r + EI.state] !== TcpState.ESTABLISHED) this.arrive(ci, cf, r, rf, p, packet, sec, nsec);
  }

  /** A window advertised at `now`: the zero-window stall it begins or ends. */
  private zeroWindow(s: number, sf: number, window: number, now: number): void {
    const f = this.rows.f;
    const since = f[sf + EF.zeroWindowSince]!;
    if (window === 0) {
      if (since < 0) f[sf + EF.zeroWindowSince] = now;
      this.rows.i[s + EI.flags]! |= EF_ZERO_WINDOW;
    } else if (since >= 0) {
      if (now - since > f[sf + EF.zeroWindowLongest]!) f[sf + EF.zeroWindowLongest] = now - since;
      f[sf + EF.zeroWindowSince] = -1;
      this.rows.i[s + EI.flags]! &= ~EF_ZERO_WINDOW;
    }
  }

  /** RTTs at the capture point from the handshake: SYN → SYN,ACK (the server's side), SYN,ACK → ACK (the client's). */
  private handshakeTiming(ci: number, cf: number, s: number, p: DecodedPacket, sec: number, nsec: number): void {
    const f = this.rows.f;
    const fl = p.flags;
    if ((fl & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && s !== ci + CI.SIZE) {
      if (f[cf + CF.synAckAt] !== -2) {
        // A SYN,ACK again: which one the client's ACK answers is ambiguous, so it measures nothing (Karn's rule).
        f[cf + CF.synAckAt] = -1;
        return;
      }
      // From the whole seconds and nanoseconds, not from epoch doubles, so that it is exact to the nanosecond.
      const since = sinceStart(this.rows.i, this.rows.f, ci, cf, sec, nsec);
      f[cf + CF.synAckAt] = since;
      // Only an answer to the one SYN there was measures the server's side.
      const cl = ci + CI.SIZE;
      if ((this.rows.i[cl + EI.flags]! & EF_SEQ_SEEN) !== 0 && this.rows.i[cl + EI.synRetransmits] === 0 && f[cf + CF.firstPacket]! > 0) {
        f[cf + CF.serverRtt] = since;
        this.locate(ci, cf);
      }
    } else if ((fl & (TH_SYN | TH_ACK)) === TH_ACK && s === ci + CI.SIZE && f[cf + CF.clientRtt]! < 0 && f[cf + CF.synAckAt]! >= 0) {
      f[cf + CF.clientRtt] = sinceStart(this.rows.i, this.rows.f, ci, cf, sec, nsec) - f[cf + CF.synAckAt]!;
      this.locate(ci, cf);
    }
  }

  /**
   * Where the capture was taken, again from what it rests on (the handshake's round trips and each
   * side's first TTL), as each becomes known: while the row is in use, not when it is cold at hand-on.
   */
  private locate(ci: number, cf: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    i[ci + CI.vantage] = vantageOf(f[cf + CF.serverRtt]!, f[cf + CF.clientRtt]!, i[ci + CI.SIZE + EI.ttl]!, i[ci + CI.SIZE + EI.SIZE + EI.ttl]!);
  }

  /** The capture point's round trip to the endpoint at `ep` (seconds; 0 when the handshake was not seen). */
  private rttTo(ci: number, cf: number, ep: number): number {
    const v = this.rows.f[cf + (ep === ci + CI.SIZE ? CF.clientRtt : CF.serverRtt)]!;
    return v > 0 ? v : 0;
  }

  /**
   * The segment `p` sent by `s` as evidence about the arrivals still in question at `s`: an ACK that
   * covers one shows it arrived; one sent after it could have arrived that does not, or the same
   * segment asked for again, shows it had not (yet). Called for a sender with EF_HAS_PENDING only.
   */
  private evidence(ci: number, cf: number, s: number, sf: number, p: DecodedPacket, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    if (i[s + EI.pending]! < 0 && i[s + EI.pending + PENDING_INTS]! < 0) {
      i[s + EI.flags]! &= ~EF_HAS_PENDING;
      return;
    }
    const fl = this.rows.f;
    const f = p.flags;
    const now = sec + nsec * 1e-9;
    let changed = false;
    for (let j = 0; j < PENDING_ENTRIES; j++) {
      const pi = s + EI.pending + j * PENDING_INTS;
      const k = i[pi]!;
      if (k < 0) continue;
      const e = this.eventAt(s, k);
      const st = this.status(s, k);
      const aux = i[pi + 1]!;
      let confirm = false;
      let refute = false;
      if (acknowledged(e)) {
        if ((f & TH_ACK) !== 0 && seqGe(p.ack, aux) && !(f & TH_RST)) confirm = true;
        // Its SYN again after our SYN,ACK could have reached it: the SYN,ACK did not.
        else if (e === TcpEvent.RcvSynAck && (f & (TH_SYN | TH_ACK)) === TH_SYN && this.sentLater(ci, cf, s, j, now)) refute = true;
        // An ACK that does not cover it: `s` had not received it when it sent this (a TCP acknowledges
        // everything it has), whatever the timing: it arrived later, or never.
        else if ((f & TH_ACK) !== 0 && !(f & (TH_SYN | TH_RST)) && seqLt(p.ack, aux)) refute = true;
      } else if (e === TcpEvent.RcvAckOfSyn) {
        // Its SYN,ACK again: our ACK of it did not arrive.
        if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK) && p.seq === i[s + EI.iss] && this.sentLater(ci, cf, s, j, now)) refute = true;
        // Data, a FIN, or an ACK of our data: only an established side sends them.
        else if (p.payloadLen > 0 || (f & TH_FIN) !== 0 || ((f & TH_ACK) !== 0 && seqGt(p.ack, seqAdd(i[s + EI.peerIss]!, 1)))) confirm = true;
      } else if (e === TcpEvent.RcvAckOfFin) {
        // Its FIN again: our ACK of it did not arrive.
        if ((f & TH_FIN) !== 0 && seqAdd(p.seq, p.payloadLen) === i[s + EI.finSeq] && this.sentLater(ci, cf, s, j, now)) refute = true;
      } else if (e === TcpEvent.RcvRst) {
        // Still talking after the RST could have reached it: it did not take it.
        if (!(f & TH_RST) && this.sentLater(ci, cf, s, j, now)) refute = true;
      }
      if (confirm) {
        if (this.confirm(ci, cf, s, j, k, st)) changed = true;
      } else if (refute && st !== Status.Refuted) {
        this.list(ci, cf, s, j, k);
        this.showsLost(ci, cf, s, k, packet);
        this.setStatus(s, k, Status.Refuted);
        // Out of the history now; should it turn out to have arrived after all, it did so after this packet.
        i[s + EI.journal + JOURNAL_INTS * k + 3] = secRel(fl, cf, sec);
        i[s + EI.journal + JOURNAL_INTS * k + 1] = nsec;
        i[pi + 2]! |= REFUTED_BEFORE;
        i[pi + 6] = packetRel(fl, cf, packet);
        i[pi + 7] = 2 * i[ci + CI.orders]! + 1;
        changed = true;
      }
    }
    if (changed) this.replay(ci, cf, s, sf);
  }

  /**
   * Pending arrival j (journal entry k, now `st`) at `s` arrived, as the wire has just shown; returns
   * whether its place in the history moved (the endpoint is then to be replayed).
   */
  private confirm(ci: number, cf: number, s: number, j: number, k: number, st: Status): boolean {
    const i = this.rows.i;
    const pi = s + EI.pending + j * PENDING_INTS;
    const copies = i[pi + 2]! & COPIES;
    let moved = false;
    // Refuted before: it came after the segment that showed it had not, and by this one (the path
    // keeps a sender's segments in order). Pending: it is in the history already, where it stands,
    // unless it came with a later copy.
    if (st === Status.Refuted) {
      this.moveAfterProof(s, j, k);
      moved = true;
    } else if (acknowledged(this.eventAt(s, k)) && copies > 1) {
      this.moveToCopy(s, j, k);
      moved = true;
    }
    this.setStatus(s, k, Status.Certain);
    this.settleCopies(ci, cf, s, j, k, false, copies);
    i[pi] = -1;
    return moved;
  }

  /**
   * Whether a segment `s` sent at `now` was sent after pending arrival j could have reached it: captured
   * more than the capture point's round trip to `s` after the arrival's last copy.
   */
  private sentLater(ci: number, cf: number, s: number, j: number, now: number): boolean {
    const pi = s + EI.pending + j * PENDING_INTS;
    const lastAt = this.rows.f[cf + CF.startSec]! + this.rows.i[pi + 5]! + this.rows.i[pi + 3]! * 1e-9;
    return now - lastAt > this.rttTo(ci, cf, s);
  }

  /** A Refuted arrival of `e` at `r` is no longer in question: its copies were lost. */
  private release(ci: number, cf: number, r: number, e: TcpEvent): void {
    const i = this.rows.i;
    for (let j = 0; j < PENDING_ENTRIES; j++) {
      const pi = r + EI.pending + j * PENDING_INTS;
      const k = i[pi]!;
      if (k < 0 || this.eventAt(r, k) !== e || this.status(r, k) !== Status.Refuted) continue;
      this.settleCopies(ci, cf, r, j, k, true, i[pi + 2]! & COPIES);
      i[pi] = -1;
    }
  }

  /** Whether a pending arrival of `e` (or one it is part of) is in question at `r`. */
  private pendingOf(r: number, e: TcpEvent): boolean {
    const i = this.rows.i;
    if ((i[r + EI.flags]! & EF_HAS_PENDING) === 0) return false;
    for (let j = 0; j < PENDING_ENTRIES; j++) {
      const k = i[r + EI.pending + j * PENDING_INTS]!;
      if (k >= 0 && sameArrival(this.eventAt(r, k), e)) return true;
    }
    return false;
  }

  /**
   * The arrival of journal entry k (pending j) happened just after the packet that had shown it had
   * not: after what the endpoint did with that packet (its own events of it), before what came next.
   */
  private moveAfterProof(ep: number, j: number, k: number): void {
    this.rewritten(ep);
    const i = this.rows.i;
    const pi = ep + EI.pending + j * PENDING_INTS;
    const jk = ep + EI.journal + JOURNAL_INTS * k;
    const proof = i[pi + 6]!;
    let order = i[pi + 7]!;
    let after = -1;
    const n = i[ep + EI.journalLen]!;
    for (let q = 0; q < n; q++) {
      const jq = ep + EI.journal + JOURNAL_INTS * q;
      if (q !== k && i[jq + 2] === proof && i[jq + 4]! + 1 > order) {
        order = i[jq + 4]! + 1;
        after = q;
      }
    }
    i[jk + 2] = proof;
    i[jk + 4] = order;
    if (after >= 0) {
      // Not before what it follows.
      const ja = ep + EI.journal + JOURNAL_INTS * after;
      i[jk + 3] = i[ja + 3]!;
      i[jk + 1] = i[ja + 1]!;
    }
  }

  /** The arrival of journal entry k (pending j) came with its last copy, where that copy was captured (the order key copy() gave it). */
  private moveToCopy(ep: number, j: number, k: number): void {
    const i = this.rows.i;
    this.rewritten(ep);
    const pi = ep + EI.pending + j * PENDING_INTS;
    const jk = ep + EI.journal + JOURNAL_INTS * k;
    i[jk + 2] = i[pi + 4]!;
    i[jk + 3] = i[pi + 5]!;
    i[jk + 4] = i[pi + 7]!;
    i[jk + 1] = i[pi + 3]!;
  }

  /**
   * The segment leaving `s` for `r`. Not called for data and ACKs from a synchronized side with no
   * FIN of the receiver's to acknowledge again: they have nothing to note.
   */
  private send(ci: number, cf: number, s: number, sf: number, r: number, rf: number, p: DecodedPacket, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = p.flags;
    const state = i[s + EI.state]! as TcpState;
    const now = sec + nsec * 1e-9;
    if (f & TH_RST) {
      i[s + EI.flags]! |= EF_SENT_RST;
      if (state !== TcpState.CLOSED && state !== TcpState.LISTEN) this.record(ci, s, sf, TcpEvent.SendRst, Status.Certain, packet, sec, nsec);
      return;
    }
    if (f & TH_SYN) {
      if (!(f & TH_ACK)) {
        if ((i[s + EI.flags]! & EF_ISS_KNOWN) !== 0 && p.seq === i[s + EI.iss]) {
          i[s + EI.synRetransmits]!++;
          this.retransmitted(sf, now);
          this.copy(ci, cf, r, rf, TcpEvent.RcvSyn, packet, sec, nsec);
        } else if (state === TcpState.CLOSED) {
          i[s + EI.iss] = p.seq;
          i[s + EI.flags]! |= EF_ISS_KNOWN;
          this.record(ci, s, sf, TcpEvent.SendSyn, Status.Certain, packet, sec, nsec);
        } else if (state === TcpState.SYN_SENT) {
          i[s + EI.iss] = p.seq;
        }
      } else if (state === TcpState.CLOSED || state === TcpState.SYN_SENT) {
        // The SYN,ACK shows a TCB: made from a listening socket (passive open), or the answer of a simultaneous open.
        i[s + EI.iss] = p.seq;
        i[s + EI.flags]! |= EF_ISS_KNOWN | EF_SYN_ACK_SENT;
        if (state === TcpState.CLOSED) this.record(ci, s, sf, TcpEvent.InferredListen, Status.Certain, packet, sec, nsec);
        this.record(ci, s, sf, TcpEvent.SendSynAck, Status.Certain, packet, sec, nsec);
      } else if ((i[s + EI.flags]! & EF_SYN_ACK_SENT) === 0) {
        // The SYN,ACK of a simultaneous open, after the side's own SYN.
        i[s + EI.flags]! |= EF_SYN_ACK_SENT;
      } else if ((i[s + EI.flags]! & EF_ISS_KNOWN) !== 0 && p.seq === i[s + EI.iss]) {
        i[s + EI.synRetransmits]!++;
        this.retransmitted(sf, now);
        this.copy(ci, cf, r, rf, TcpEvent.RcvSynAck, packet, sec, nsec);
      }
    } else if ((f & TH_ACK) && state === TcpState.SYN_SENT && this.synAckUnseen(s, p)) {
      // Only a side that received the SYN,ACK acknowledges it: the capture missed that SYN,ACK.
      this.record(ci, s, sf, TcpEvent.InferredSynAckNotCaptured, Status.Certain, packet, sec, nsec);
    }
    if (f & TH_FIN) {
      const finSeq = seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0));
      if ((i[s + EI.flags]! & EF_FIN_SENT) === 0) {
        i[s + EI.flags]! |= EF_FIN_SENT;
        i[s + EI.finSeq] = finSeq;
        // RFC 9293 section 3.10.4, CLOSE call: a FIN goes out.
        this.record(ci, s, sf, TcpEvent.SendFin, Status.Certain, packet, sec, nsec);
      } else if (finSeq === i[s + EI.finSeq]) {
        i[s + EI.finRetransmits]!++;
        this.retransmitted(sf, now);
        this.copy(ci, cf, r, rf, TcpEvent.RcvFin, packet, sec, nsec);
      }
    }
    // An ACK of the receiver's FIN, again: another copy of that arrival.
    if ((f & TH_ACK) && (i[r + EI.flags]! & EF_FIN_SENT) !== 0 && seqGe(p.ack, seqAdd(i[r + EI.finSeq]!, 1))) {
      this.copy(ci, cf, r, rf, TcpEvent.RcvAckOfFin, packet, sec, nsec);
    }
  }

  /** An ACK from SYN_SENT side `s`: it acknowledges a SYN,ACK the capture did not see. */
  private synAckUnseen(s: number, p: DecodedPacket): boolean {
    const i = this.rows.i;
    return (i[s + EI.flags]! & EF_PEER_SYN_SEEN) === 0 || p.ack === seqAdd(i[s + EI.peerIss]!, 1) || (i[s + EI.flags]! & EF_ISS_KNOWN) === 0;
  }

  private retransmitted(ef: number, now: number): void {
    const f = this.rows.f;
    if (f[ef + EF.lastRetransmitAt]! > 0) f[ef + EF.retransmitInterval] = now - f[ef + EF.lastRetransmitAt]!;
    f[ef + EF.lastRetransmitAt] = now;
  }

  /**
   * `s` sent again what would make `e` happen at `r`: another copy of that arrival, Pending again
   * if it was Refuted. A later ACK of an arrival not in question only moves its time.
   */
  private copy(ci: number, cf: number, r: number, rf: number, e: TcpEvent, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    for (let j = 0; j < PENDING_ENTRIES; j++) {
      const pi = r + EI.pending + j * PENDING_INTS;
      const k = i[pi]!;
      if (k < 0 || !carries(e, this.eventAt(r, k))) continue;
      const refuted = this.status(r, k) === Status.Refuted;
      i[pi + 2] = (i[pi + 2]! + 1) | (refuted ? REFUTED_BEFORE : 0);
      // A later ACK of an ACK-made arrival not in doubt is no new copy to wait for: it arrived, or not, with the first.
      if (!refuted && !acknowledged(e)) return;
      this.list(ci, cf, r, j, k);
      i[pi + 3] = nsec;
      i[pi + 4] = packetRel(f, cf, packet);
      i[pi + 5] = secRel(f, cf, sec);
      // After everything so far: where the arrival stands if it came with this copy.
      i[pi + 7] = 2 * i[ci + CI.orders]! + 1;
      this.candidate(ci, cf, r, k, packet);
      if (refuted) {
        // Asked for again after the wire showed it had not come: in question again, with this copy.
        this.setStatus(r, k, Status.Pending);
        this.moveToCopy(r, j, k);
        this.replay(ci, cf, r, rf);
      }
      return;
    }
  }

  /**
   * The segment reaching `r` (sent by `s`): the event it would be (RFC 9293 section 3.10.7), taken
   * as Pending, or nothing when it would change nothing, is a copy of an arrival already in
   * question, or `r` would not accept it. Not called for data and ACKs reaching an established
   * side: they change nothing.
   */
  private arrive(ci: number, cf: number, r: number, rf: number, p: DecodedPacket, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = p.flags;
    const state = i[r + EI.state]! as TcpState;
    if (f & TH_RST) {
      if (this.rstAcceptable(r, p)) {
        // An RST is never a copy of another: one the wire showed was not taken leaves the question to this one.
        this.release(ci, cf, r, TcpEvent.RcvRst);
        if (!this.pendingOf(r, TcpEvent.RcvRst)) this.pend(ci, r, rf, TcpEvent.RcvRst, 0, packet, sec, nsec);
      } else if (state !== TcpState.CLOSED && state !== TcpState.LISTEN) {
        i[r + EI.rstIgnored]!++;
      }
      return;
    }
    let e = -1;
    let aux = 0;
    if (f & TH_SYN) {
      i[r + EI.flags]! |= EF_PEER_SYN_SEEN;
      i[r + EI.peerIss] = p.seq;
      aux = seqAdd(p.seq, 1);
      if (!(f & TH_ACK)) {
        // A listener (no TCB for the tuple yet) notes the SYN; its answer decides. SYN_SENT: a simultaneous open.
        if (state === TcpState.SYN_SENT) e = TcpEvent.RcvSyn;
      } else if ((state === TcpState.SYN_SENT || state === TcpState.SYN_RCVD) &&
                 ((i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || p.ack === seqAdd(i[r + EI.iss]!, 1))) {
        // section 3.10.7.3: a SYN,ACK that acknowledges our SYN.
        e = TcpEvent.RcvSynAck;
      }
    } else if (f & TH_ACK) {
      const ack = p.ack;
      if (state === TcpState.SYN_RCVD && ((i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || seqGt(ack, i[r + EI.iss]!))) {
        e = TcpEvent.RcvAckOfSyn;
        aux = ack;
      } else if ((state === TcpState.FIN_WAIT_1 || state === TcpState.CLOSING || state === TcpState.LAST_ACK) &&
                 seqGe(ack, seqAdd(i[r + EI.finSeq]!, 1))) {
        e = TcpEvent.RcvAckOfFin;
      }
    }
    if (e !== -1 && this.pendingOf(r, e as TcpEvent)) e = -1;
    const finSeq = seqAdd(p.seq, p.payloadLen + (f & TH_SYN ? 1 : 0));
    if ((f & TH_FIN) && (i[r + EI.flags]! & EF_PEER_FIN_SEEN) === 0 && !this.pendingOf(r, TcpEvent.RcvFin)) {
      if (this.refusesFin(r, p)) {
        i[r + EI.flags]! |= EF_REFUSED_SEGMENT;
      } else if (e === TcpEvent.RcvAckOfFin) {
        // Our FIN acknowledged by the peer's FIN: the three-segment close.
        e = TcpEvent.RcvFinAndAckOfFin;
        aux = seqAdd(finSeq, 1);
      } else {
        // With the handshake's SYN,ACK or last ACK: the handshake part first.
        if (e !== -1) this.pend(ci, r, rf, e as TcpEvent, aux, packet, sec, nsec);
        e = TcpEvent.RcvFin;
        aux = seqAdd(finSeq, 1);
      }
    } else if ((f & TH_FIN) && i[r + EI.state] === TcpState.TIME_WAIT && finSeq === i[r + EI.peerFinSeq]) {
      // A retransmitted FIN in TIME_WAIT restarts the 2MSL timeout (section 3.10.7.4).
      this.timers.startTimeWait(ci / CONN_INTS, r === ci + CI.SIZE ? 0 : 1, sec, nsec);
    }
    if (e !== -1) this.pend(ci, r, rf, e as TcpEvent, aux, packet, sec, nsec);
  }

  /** Writes arrival `e` as Pending, and remembers what will show whether it arrived. */
  private pend(ci: number, r: number, rf: number, e: TcpEvent, aux: number, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    let j = 0;
    while (j < PENDING_ENTRIES && i[r + EI.pending + j * PENDING_INTS]! >= 0) j++;
    if (e === TcpEvent.RcvFin || e === TcpEvent.RcvFinAndAckOfFin) i[r + EI.peerFinSeq] = seqAdd(aux, -1);
    // No room to keep it in question (or no journal entry for it): taken as it comes.
    const status = j < PENDING_ENTRIES && i[r + EI.journalLen]! < JOURNAL_ENTRIES ? Status.Pending : Status.Certain;
    const k = this.record(ci, r, rf, e, status, packet, sec, nsec);
    if (status !== Status.Pending || k < 0) return;
    const pi = r + EI.pending + j * PENDING_INTS;
    i[pi] = k;
    i[r + EI.flags]! |= EF_HAS_PENDING;
    i[pi + 1] = aux;
    i[pi + 2] = 1;
    i[pi + 3] = nsec;
    const cf = connFloats(ci, r, rf);
    i[pi + 4] = packet === 0 ? 0 : packet - f[cf + CF.firstPacket]! + 1;
    i[pi + 5] = sec - f[cf + CF.startSec]!;
    i[pi + 6] = 0;
  }

  /** The copies of pending arrival j (journal entry k) at `r` are in question: its first copy goes on the lost list (once). */
  private list(ci: number, cf: number, r: number, j: number, k: number): void {
    const pi = r + EI.pending + j * PENDING_INTS;
    const i = this.rows.i;
    if ((i[pi + 2]! & LISTED) !== 0) return;
    i[pi + 2]! |= LISTED;
    this.candidate(ci, cf, r, k, packetAbs(this.rows.f, cf, i[pi + 4]!));
  }

  /**
   * RFC 9293 section 3.10.7.4, segment acceptability, for a FIN: with a zero receive window only a
   * segment of no length is acceptable, and the FIN occupies one sequence number.
   */
  private refusesFin(r: number, p: DecodedPacket): boolean {
    const i = this.rows.i;
    if ((i[r + EI.flags]! & EF_ACK_SENT) === 0) return false;
    return i[r + EI.window] === 0 && seqGe(seqAdd(p.seq, p.payloadLen), i[r + EI.lastAck]!);
  }

  /** RFC 9293 section 3.10.7: which resets a side accepts. */
  private rstAcceptable(r: number, p: DecodedPacket): boolean {
    const i = this.rows.i;
    const state = i[r + EI.state]! as TcpState;
    if (state === TcpState.CLOSED || state === TcpState.LISTEN) return false;
    if (state === TcpState.SYN_SENT) {
      // Acceptable only if it acknowledges our SYN: the connection was refused.
      return (i[r + EI.flags]! & EF_ISS_KNOWN) === 0 || ((p.flags & TH_ACK) !== 0 && p.ack === seqAdd(i[r + EI.iss]!, 1));
    }
    return rstInWindow(i, r, p.seq);
  }

  // ---------------------------------------------------------------- copies in question

  /** Packet `packet` is a copy of the arrival of r's journal entry k: listed, to be proved lost or not. */
  private candidate(ci: number, cf: number, r: number, k: number, packet: number): void {
    const i = this.rows.i;
    const n = i[ci + CI.lostLen]!;
    i[ci + CI.lostLen] = n + 1;
    if (n >= LOST_ENTRIES) return;
    const side = r === ci + CI.SIZE ? 0 : 1;
    i[ci + CI.lostOwners] = (i[ci + CI.lostOwners]! & ~(15 << (4 * n))) | ((side | (k << 1)) << (4 * n));
    i[ci + CI.lostProved]! &= ~(1 << n);
    this.rows.f[cf + CF.lost + n] = packet;
    this.rows.f[cf + CF.lost + LOST_ENTRIES + n] = 0;
  }

  /**
   * The copies in question of r's journal entry k (pending j) settled: when `refuted`, every copy
   * was lost; else the arrival came with the last copy, and the copies before it were lost (their
   * proof: the next copy, sent because no ACK of the one before came; the last lost one's, the
   * packet that showed it had not arrived). `copies` is how many there were.
   */
  private settleCopies(ci: number, cf: number, r: number, j: number, k: number, refuted: boolean, copies: number): void {
    const i = this.rows.i;
    if (i[ci + CI.lostLen] === 0) return;
    const f = this.rows.f;
    const side = r === ci + CI.SIZE ? 0 : 1;
    const owner = side | (k << 1);
    const pi = r + EI.pending + j * PENDING_INTS;
    const last = packetAbs(f, cf, i[pi + 4]!);
    const proof = packetAbs(f, cf, i[pi + 6]!);
    const n = Math.min(i[ci + CI.lostLen]!, LOST_ENTRIES);
    let drop = 0;
    for (let m = 0; m < n; m++) {
      if (((i[ci + CI.lostOwners]! >>> (4 * m)) & 15) !== owner || (i[ci + CI.lostProved]! & (1 << m)) !== 0) continue;
      const packet = f[cf + CF.lost + m]!;
      if (refuted || (copies > 1 && packet < last)) {
        i[ci + CI.lostProved]! |= 1 << m;
        if (f[cf + CF.lost + LOST_ENTRIES + m] === 0) f[cf + CF.lost + LOST_ENTRIES + m] = packet === last ? proof : this.nextCopy(ci, cf, owner, m, proof);
      } else {
        drop |= 1 << m;
      }
    }
    if (drop !== 0) this.compactLost(ci, cf, drop);
  }

  /** Packet `packet` showed that the copies of r's journal entry k listed so far had not arrived: their proof, unless they have one. */
  private showsLost(ci: number, cf: number, r: number, k: number, packet: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    const owner = (r === ci + CI.SIZE ? 0 : 1) | (k << 1);
    const n = Math.min(i[ci + CI.lostLen]!, LOST_ENTRIES);
    for (let m = 0; m < n; m++) {
      if (((i[ci + CI.lostOwners]! >>> (4 * m)) & 15) === owner && f[cf + CF.lost + LOST_ENTRIES + m] === 0 && f[cf + CF.lost + m]! < packet) {
        f[cf + CF.lost + LOST_ENTRIES + m] = packet;
      }
    }
  }

  private nextCopy(ci: number, cf: number, owner: number, m: number, fallback: number): number {
    const i = this.rows.i;
    const n = Math.min(i[ci + CI.lostLen]!, LOST_ENTRIES);
    for (let q = m + 1; q < n; q++) if (((i[ci + CI.lostOwners]! >>> (4 * q)) & 15) === owner) return this.rows.f[cf + CF.lost + q]!;
    return fallback;
  }

  /** Removes the listed copies in `drop` (a bit per entry). */
  private compactLost(ci: number, cf: number, drop: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    const n = Math.min(i[ci + CI.lostLen]!, LOST_ENTRIES);
    let w = 0;
    let owners = 0;
    let proved = 0;
    for (let m = 0; m < n; m++) {
      if ((drop & (1 << m)) !== 0) continue;
      owners |= ((i[ci + CI.lostOwners]! >>> (4 * m)) & 15) << (4 * w);
      if ((i[ci + CI.lostProved]! & (1 << m)) !== 0) proved |= 1 << w;
      f[cf + CF.lost + w] = f[cf + CF.lost + m]!;
      f[cf + CF.lost + LOST_ENTRIES + w] = f[cf + CF.lost + LOST_ENTRIES + m]!;
      w++;
    }
    i[ci + CI.lostLen] = w + Math.max(0, i[ci + CI.lostLen]! - LOST_ENTRIES);
    i[ci + CI.lostOwners] = owners;
    i[ci + CI.lostProved] = proved;
  }

  // ---------------------------------------------------------------- timers and the end

  /** A TIME_WAIT side's 2MSL timer ran out at sec.nsec (RFC 9293 section 3.10.8). */
  expireTimeWait(ci: number, ep: number, ef: number, sec: number, nsec: number): void {
    if (this.rows.i[ep + EI.state] === TcpState.TIME_WAIT) this.record(ci, ep, ef, TcpEvent.Timeout2Msl, Status.Certain, 0, sec, nsec);
  }

  /**
   * A new SYN on the tuple at packet `packet`, sent by the side at `s` (`sf`): a side in TIME_WAIT
   * leaves it (RFC 6191).
   */
  reuse(ci: number, cf: number, s: number, sf: number, packet: number, sec: number, nsec: number): void {
    const i = this.rows.i;
    // Its sender held no socket on the four-tuple but a closed or a TIME_WAIT one: a socket in any
    // other state keeps the tuple, and no new connection can be opened on it. So every arrival its
    // history was waiting on to close it came; a reset alone is left to decide(), since without it
    // the side may have been in TIME_WAIT all the same.
    if ((i[s + EI.flags]! & EF_HAS_PENDING) !== 0) {
      let moved = false;
      for (let j = 0; j < PENDING_ENTRIES; j++) {
        const k = i[s + EI.pending + j * PENDING_INTS]!;
        if (k < 0 || this.status(s, k) !== Status.Pending || this.eventAt(s, k) === TcpEvent.RcvRst) continue;
        if (this.confirm(ci, cf, s, j, k, Status.Pending)) moved = true;
      }
      if (moved) this.replay(ci, cf, s, sf);
    }
    for (let side = 0; side < 2; side++) {
      const ep = ci + CI.SIZE + side * EI.SIZE;
      if (this.rows.i[ep + EI.state] === TcpState.TIME_WAIT) {
        this.record(ci, ep, cf + CF.SIZE + side * EF.SIZE, TcpEvent.TupleReused, Status.Certain, packet, sec, nsec);
      }
    }
  }

  /** How long after its last copy an arrival in question is taken as arrived when nothing showed otherwise. */
  private waitFor(ci: number, cf: number, ep: number, ef: number, e: TcpEvent): number {
    const f = this.rows.f;
    const peer = ci + CI.SIZE + (ep === ci + CI.SIZE ? EI.SIZE : 0);
    const peerF = cf + CF.SIZE + (ep === ci + CI.SIZE ? EF.SIZE : 0);
    // Had it not arrived, its sender would have sent it again (the segments an ACK answers), or the
    // receiver would have sent again what the ACK acknowledges (ACKs): within twice its last retransmission interval.
    const asker = acknowledged(e) ? peerF : ef;
    return 2 * Math.max(f[asker + EF.retransmitInterval]!, 0) + 0.2 + 2 * this.rttTo(ci, cf, acknowledged(e) ? peer : ep);
  }

  /**
   * The connection in `slot` leaves the table at `now`: every arrival still in question is decided
   * by what the wire showed, or the endpoint is given the states the capture cannot tell it from.
   */
  decide(slot: number, now: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    const vantage = i[ci + CI.vantage]! as Vantage;
    for (let side = 0; side < 2; side++) {
      const ep = ci + CI.SIZE + side * EI.SIZE;
      const ef = cf + CF.SIZE + side * EF.SIZE;
      const peer = ci + CI.SIZE + (1 - side) * EI.SIZE;
      // Nothing in question, no zero window, no silence, and not a lone SYN: most connections, decided already.
      const none = (i[ep + EI.flags]! & EF_HAS_PENDING) === 0 || (i[ep + EI.pending]! < 0 && i[ep + EI.pending + PENDING_INTS]! < 0);
      if (none && i[peer + EI.window] !== 0 && i[peer + EI.unanswered] === 0 &&
          (side !== 0 || i[ep + EI.packets] !== 1)) continue;
      // Captured beside this side: a segment on its way to it had only its own link left to cross.
      const beside = vantage === (side === 0 ? Vantage.NearClient : Vantage.NearServer);
      let why = Why.None;
      let alternative = -1;
      const full = (i[ep + EI.flags]! & EF_JOURNAL_FULL) !== 0;
      if (this.noSocket(ci, cf, ep, ef, now)) continue;
      for (let j = 0; j < PENDING_ENTRIES; j++) {
        const pi = ep + EI.pending + j * PENDING_INTS;
        const k = i[pi]!;
        if (k < 0) continue;
        i[pi] = -1;
        if (full) continue;
        const e = this.eventAt(ep, k);
        const lastAt = f[cf + CF.startSec]! + i[pi + 5]! + i[pi + 3]! * 1e-9;
        const copies = i[pi + 2]! & COPIES;
        const status = this.status(ep, k);
        const lostBefore = (i[pi + 2]! & REFUTED_BEFORE) !== 0 || (acknowledged(e) && copies > 1);
        const settled = now - lastAt >= this.waitFor(ci, cf, ep, ef, e);
        if (status === Status.Refuted) {
          // The wire showed the last copy had not arrived: every copy was lost.
          this.settleCopies(ci, cf, ep, j, k, true, copies);
        } else if (lostBefore) {
          this.settleCopies(ci, cf, ep, j, k, false, copies);
          if (!settled) {
            // Its earlier copies were lost; of the last, nothing tells: most likely lost too.
            this.setStatus(ep, k, Status.Refuted);
            why = Why.UnconfirmedAfterLoss;
            alternative = this.stateIf(ci, cf, ep, ef, k, Status.Certain);
            this.replay(ci, cf, ep, ef);
          } else {
            this.setStatus(ep, k, Status.Certain);
            // It came with its last copy: placed there (confirming alone changes no history).
            if (status === Status.Pending && copies > 1) {
              this.moveToCopy(ep, j, k);
              this.replay(ci, cf, ep, ef);
            }
          }
        } else {
          this.settleCopies(ci, cf, ep, j, k, false, 1);
          this.setStatus(ep, k, Status.Certain);
          // Nothing after it showed whether it arrived: most likely it did; captured beside its receiver, it did.
          if (!settled && !beside) {
            why = Why.Unconfirmed;
            alternative = this.stateIf(ci, cf, ep, ef, k, Status.Refuted);
          }
        }
      }
      const state = i[ep + EI.state]! as TcpState;
      if (why === Why.None) {
        const stalled = this.zeroWindowStalled(ep, peer);
        if (stalled >= 0) {
          why = Why.ZeroWindow;
          alternative = stalled;
        } else if (this.peerSilent(peer, state)) {
          why = Why.PeerSilent;
          alternative = TcpState.CLOSED;
        }
      }
      if (alternative >= 0 && alternative !== state) {
        i[ep + EI.alternatives] = 0xf0 | alternative;
        i[ep + EI.why] = why;
      }
    }
  }

  /** The state the endpoint would be in with journal entry k as `status` instead. */
  private stateIf(ci: number, cf: number, ep: number, ef: number, k: number, status: Status): TcpState {
    const i = this.rows.i;
    const f = this.rows.f;
    const keepInts = this.keepInts;
    const keepFloats = this.keepFloats;
    for (let q = 0; q < EI.SIZE; q++) keepInts[q] = i[ep + q]!;
    for (let q = 0; q < EF.SIZE; q++) keepFloats[q] = f[ef + q]!;
    const was = this.status(ep, k);
    const flags = i[ci + CI.flags]!;
    this.setStatus(ep, k, status);
    this.replay(ci, cf, ep, ef);
    const state = i[ep + EI.state]! as TcpState;
    for (let q = 0; q < EI.SIZE; q++) i[ep + q] = keepInts[q]!;
    for (let q = 0; q < EF.SIZE; q++) f[ef + q] = keepFloats[q]!;
    this.setStatus(ep, k, was);
    i[ci + CI.flags] = flags;
    return state;
  }

  /**
   * A client that sent one SYN and nothing else, not even that SYN again, for all of the 3 s after
   * it that the capture lasted, and was not refused: a socket in SYN_SENT would have sent it again within its initial
   * retransmission timeout (1 s on Linux, RFC 6298; 3 s elsewhere), or answered a SYN,ACK. No
   * socket holds this side: a spoofed source, or one that is gone. Returns whether it is so.
   */
  private noSocket(ci: number, cf: number, ep: number, ef: number, now: number): boolean {
    const i = this.rows.i;
    const f = this.rows.f;
    if (ep !== ci + CI.SIZE || i[ep + EI.packets] !== 1 || i[ep + EI.synRetransmits] !== 0 || (i[ep + EI.flags]! & EF_SENT_RST) !== 0) return false;
    if (!this.hasEvent(ep, TcpEvent.SendSyn) || (i[ep + EI.flags]! & EF_JOURNAL_FULL) !== 0) return false;
    // Refused: a socket that took a RST sends nothing more either.
    if (this.hasEvent(ep, TcpEvent.RcvRst)) return false;
    const start = f[cf + CF.startSec]! + i[ci + CI.startNsec]! * 1e-9;
    if (now - start < NO_SOCKET_AFTER) return false;
    // Whatever reached it reached no socket: no arrival of it counts.
    for (let j = 0; j < PENDING_ENTRIES; j++) {
      const pi = ep + EI.pending + j * PENDING_INTS;
      if (i[pi]! < 0) continue;
      this.setStatus(ep, i[pi]!, Status.Refuted);
      this.settleCopies(ci, cf, ep, j, i[pi]!, false, 1);
      i[pi] = -1;
    }
    this.replay(ci, cf, ep, ef);
    if (i[ep + EI.state] !== TcpState.SYN_SENT) return false;
    const sec = Math.floor(now);
    this.record(ci, ep, ef, TcpEvent.InferredNoSocket, Status.Certain, 0, sec, Math.round((now - sec) * 1e9));
    return true;
  }

  private hasEvent(ep: number, e: TcpEvent): boolean {
    const n = this.rows.i[ep + EI.journalLen]!;
    for (let k = 0; k < n; k++) if (this.eventAt(ep, k) === e) return true;
    return false;
  }

  /**
   * A sender held by its peer's zero window until the end (its last segments probes, or nothing):
   * it may have closed its socket, its FIN queued behind the data. The state it would then be in, or -1.
   */
  private zeroWindowStalled(ep: number, peer: number): number {
    const i = this.rows.i;
    if (i[peer + EI.window] !== 0 || (i[peer + EI.flags]! & EF_ACK_SENT) === 0 || (i[ep + EI.flags]! & EF_FIN_SENT) !== 0) return -1;
    if (i[peer + EI.zeroWindows] === 0 || (i[ep + EI.flags]! & EF_SENT_DATA) === 0) return -1;
    const state = i[ep + EI.state]! as TcpState;
    if (state === TcpState.ESTABLISHED) return TcpState.FIN_WAIT_1;
    if (state === TcpState.CLOSE_WAIT) return TcpState.LAST_ACK;
    return -1;
  }

  /** Its peer retransmitted or probed, unanswered, until the end: this side may be gone. */
  private peerSilent(peer: number, state: TcpState): boolean {
    const i = this.rows.i;
    return i[peer + EI.unanswered]! > 0 && (state === TcpState.ESTABLISHED || state === TcpState.CLOSE_WAIT || state === TcpState.FIN_WAIT_2);
  }

  // ---------------------------------------------------------------- the history

  /** The first packet whose states may still be rewritten (an arrival in question, or a copy of one), Infinity when none. */
  earliestOpen(slot: number): number {
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    let first = Infinity;
    for (let side = 0; side < 2; side++) {
      const ep = ci + CI.SIZE + side * EI.SIZE;
      for (let j = 0; j < PENDING_ENTRIES; j++) {
        const k = i[ep + EI.pending + j * PENDING_INTS]!;
        if (k < 0) continue;
        const packet = packetAbs(f, cf, i[ep + EI.journal + JOURNAL_INTS * k + 2]!);
        if (packet > 0 && packet < first) first = packet;
        const owner = side | (k << 1);
        const n = Math.min(i[ci + CI.lostLen]!, LOST_ENTRIES);
        for (let m = 0; m < n; m++) {
          if (((i[ci + CI.lostOwners]! >>> (4 * m)) & 15) === owner && f[cf + CF.lost + m]! < first) first = f[cf + CF.lost + m]!;
        }
      }
    }
    return first;
  }

  /**
   * Both sides' transitions, in the order they happened (packet, sec, nsec, packTransition; packet 0
   * for a timer or the end), from their journals. Returns how many events the journals could not hold.
   */
  transitions(c: Connection, out: number[]): number {
    const slot = c.slot;
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = slot * CONN_INTS;
    const cf = slot * CONN_FLOATS;
    const rows: { order: number; packet: number; sec: number; nsec: number; packed: number }[] = [];
    let dropped = 0;
    for (let side = 0; side < 2; side++) {
      const ep = ci + CI.SIZE + side * EI.SIZE;
      if ((i[ep + EI.flags]! & EF_JOURNAL_FULL) !== 0) dropped++;
      let state = TcpState.CLOSED;
      const n = this.order(ep);
      for (let q = 0; q < n; q++) {
        const k = this.sorted[q]!;
        const jo = ep + EI.journal + JOURNAL_INTS * k;
        const v = i[jo]!;
        if ((v >> 8) === Status.Refuted) continue;
        const e = (v & 0xff) as TcpEvent;
        const to = this.next(state, e);
        if (to === state) continue;
        rows.push({
          order: i[jo + 4]!, packet: packetAbs(f, cf, i[jo + 2]!), sec: f[cf + CF.startSec]! + i[jo + 3]!,
          nsec: i[jo + 1]!, packed: packTransition(side, state, to, e),
        });
        state = to;
      }
    }
    rows.sort((a, b) => a.order - b.order);
    out.length = 0;
    for (const t of rows) out.push(t.packet, t.sec, t.nsec, t.packed);
    return dropped;
  }
}

/** Every arc of the two switches, by state and event: one load per event taken, rather than two switches. */
const ARCS = TcpMachine.arcs();

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
