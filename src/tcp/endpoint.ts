import {
  EF, EI, EF_ACCEPTED_RST, EF_ACK_SENT, EF_FIN_ACKED, EF_FIN_SENT, EF_ISS_KNOWN, EF_PEER_FIN_SEEN, EF_PEER_SYN_SEEN, EF_SENT_DATA, EF_SENT_RST, EF_SEQ_SEEN, EF_SYN_ACK_SENT, CONN_FLOATS, CONN_INTS, endpointFloats, endpointInts, type Rows,
} from './layout.js';
import type { TcpState } from './state.js';

/**
 * One side of a connection as the stages after the connection table read it: a view of its part
 * of the table's rows (layout.ts). What it shows changes when its connection's view is moved to
 * another slot (Connection.at), or the slot holds the next connection, so copy what you keep.
 */
export class Endpoint {
  /** Offsets of this side's integers and doubles in the rows. */
  ib: number;
  fb: number;

  constructor(private readonly rows: Rows, slot: number, readonly side: 0 | 1) {
    this.ib = slot * CONN_INTS + endpointInts(side);
    this.fb = slot * CONN_FLOATS + endpointFloats(side);
  }

  /** Shows this side of the connection in `slot`. */
  at(slot: number): void {
    this.ib = slot * CONN_INTS + endpointInts(this.side);
    this.fb = slot * CONN_FLOATS + endpointFloats(this.side);
  }
  get state(): TcpState { return this.rows.i[this.ib + EI.state]! as TcpState; }
  set state(v: TcpState) { this.rows.i[this.ib + EI.state] = v; }
  get visited(): number { return this.rows.i[this.ib + EI.visited]!; }
  set visited(v: number) { this.rows.i[this.ib + EI.visited] = v; }
  get a0(): number { return this.rows.i[this.ib + EI.a0]!; }
  set a0(v: number) { this.rows.i[this.ib + EI.a0] = v; }
  get a1(): number { return this.rows.i[this.ib + EI.a1]!; }
  set a1(v: number) { this.rows.i[this.ib + EI.a1] = v; }
  get a2(): number { return this.rows.i[this.ib + EI.a2]!; }
  set a2(v: number) { this.rows.i[this.ib + EI.a2] = v; }
  get a3(): number { return this.rows.i[this.ib + EI.a3]!; }
  set a3(v: number) { this.rows.i[this.ib + EI.a3] = v; }
  get port(): number { return this.rows.i[this.ib + EI.port]!; }
  set port(v: number) { this.rows.i[this.ib + EI.port] = v; }
  get iss(): number { return this.rows.i[this.ib + EI.iss]!; }
  set iss(v: number) { this.rows.i[this.ib + EI.iss] = v; }
  get sndNxt(): number { return this.rows.i[this.ib + EI.sndNxt]!; }
  set sndNxt(v: number) { this.rows.i[this.ib + EI.sndNxt] = v; }
  get finSeq(): number { return this.rows.i[this.ib + EI.finSeq]!; }
  set finSeq(v: number) { this.rows.i[this.ib + EI.finSeq] = v; }
  get lastAck(): number { return this.rows.i[this.ib + EI.lastAck]!; }
  set lastAck(v: number) { this.rows.i[this.ib + EI.lastAck] = v; }
  get window(): number { return this.rows.i[this.ib + EI.window]!; }
  set window(v: number) { this.rows.i[this.ib + EI.window] = v; }
  get wscale(): number { return this.rows.i[this.ib + EI.wscale]!; }
  set wscale(v: number) { this.rows.i[this.ib + EI.wscale] = v; }
  get peerIss(): number { return this.rows.i[this.ib + EI.peerIss]!; }
  set peerIss(v: number) { this.rows.i[this.ib + EI.peerIss] = v; }
  get peerFinSeq(): number { return this.rows.i[this.ib + EI.peerFinSeq]!; }
  set peerFinSeq(v: number) { this.rows.i[this.ib + EI.peerFinSeq] = v; }
  get synRetransmits(): number { return this.rows.i[this.ib + EI.synRetransmits]!; }
  set synRetransmits(v: number) { this.rows.i[this.ib + EI.synRetransmits] = v; }
  get finRetransmits(): number { return this.rows.i[this.ib + EI.finRetransmits]!; }
  set finRetransmits(v: number) { this.rows.i[this.ib + EI.finRetransmits] = v; }
  /** Retransmission timeouts (tcp/timing.ts): all of them, and the most in a row. */
  get rtoCount(): number { return this.rows.i[this.ib + EI.rtoCount]!; }
  get rtoBackoff(): number { return this.rows.i[this.ib + EI.rtoBackoff]!; }
  /** The longest time between two of its timeouts in a row, in seconds. */
  get rtoInterval(): number { return this.rows.f[this.fb + EF.rtoInterval]!; }
  /** Its first RST as judged when captured (rst-origin.ts), packed; and that RST's TTL. */
  get rstOrigin(): number { return this.rows.i[this.ib + EI.rstOrigin]!; }
  get rstTtl(): number { return this.rows.i[this.ib + EI.rstTtl]!; }
  get rstIgnored(): number { return this.rows.i[this.ib + EI.rstIgnored]!; }
  set rstIgnored(v: number) { this.rows.i[this.ib + EI.rstIgnored] = v; }
  get timerGen(): number { return this.rows.i[this.ib + EI.timerGen]!; }
  set timerGen(v: number) { this.rows.i[this.ib + EI.timerGen] = v; }
  get packets(): number { return this.rows.i[this.ib + EI.packets]!; }
  set packets(v: number) { this.rows.i[this.ib + EI.packets] = v; }
  get waNextSeq(): number { return this.rows.i[this.ib + EI.waNextSeq]!; }
  set waNextSeq(v: number) { this.rows.i[this.ib + EI.waNextSeq] = v; }
  get waMaxSeqToBeAcked(): number { return this.rows.i[this.ib + EI.waMaxSeqToBeAcked]!; }
  set waMaxSeqToBeAcked(v: number) { this.rows.i[this.ib + EI.waMaxSeqToBeAcked] = v; }
  get waLastAck(): number { return this.rows.i[this.ib + EI.waLastAck]!; }
  set waLastAck(v: number) { this.rows.i[this.ib + EI.waLastAck] = v; }
  get waWindow(): number { return this.rows.i[this.ib + EI.waWindow]!; }
  set waWindow(v: number) { this.rows.i[this.ib + EI.waWindow] = v; }
  get waDupAcks(): number { return this.rows.i[this.ib + EI.waDupAcks]!; }
  set waDupAcks(v: number) { this.rows.i[this.ib + EI.waDupAcks] = v; }
  get waLastFlags(): number { return this.rows.i[this.ib + EI.waLastFlags]!; }
  set waLastFlags(v: number) { this.rows.i[this.ib + EI.waLastFlags] = v; }
  get retransmissions(): number { return this.rows.i[this.ib + EI.retransmissions]!; }
  set retransmissions(v: number) { this.rows.i[this.ib + EI.retransmissions] = v; }
  get outOfOrder(): number { return this.rows.i[this.ib + EI.outOfOrder]!; }
  set outOfOrder(v: number) { this.rows.i[this.ib + EI.outOfOrder] = v; }
  get dupAcks(): number { return this.rows.i[this.ib + EI.dupAcks]!; }
  set dupAcks(v: number) { this.rows.i[this.ib + EI.dupAcks] = v; }
  get zeroWindows(): number { return this.rows.i[this.ib + EI.zeroWindows]!; }
  set zeroWindows(v: number) { this.rows.i[this.ib + EI.zeroWindows] = v; }
  get keepAlives(): number { return this.rows.i[this.ib + EI.keepAlives]!; }
  set keepAlives(v: number) { this.rows.i[this.ib + EI.keepAlives] = v; }
  get ackedUnseen(): number { return this.rows.i[this.ib + EI.ackedUnseen]!; }
  set ackedUnseen(v: number) { this.rows.i[this.ib + EI.ackedUnseen] = v; }
  get lostSegments(): number { return this.rows.i[this.ib + EI.lostSegments]!; }
  set lostSegments(v: number) { this.rows.i[this.ib + EI.lostSegments] = v; }
  get unanswered(): number { return this.rows.i[this.ib + EI.unanswered]!; }
  set unanswered(v: number) { this.rows.i[this.ib + EI.unanswered] = v; }
  get ttl(): number { return this.rows.i[this.ib + EI.ttl]!; }
  set ttl(v: number) { this.rows.i[this.ib + EI.ttl] = v; }
  get alternatives(): number { return this.rows.i[this.ib + EI.alternatives]!; }
  set alternatives(v: number) { this.rows.i[this.ib + EI.alternatives] = v; }
  get why(): number { return this.rows.i[this.ib + EI.why]!; }
  set why(v: number) { this.rows.i[this.ib + EI.why] = v; }
  get journalLen(): number { return this.rows.i[this.ib + EI.journalLen]!; }
  set journalLen(v: number) { this.rows.i[this.ib + EI.journalLen] = v; }
  get payloadBytes(): number { return this.rows.f[this.fb + EF.payloadBytes]!; }
  set payloadBytes(v: number) { this.rows.f[this.fb + EF.payloadBytes] = v; }
  get wireBytes(): number { return this.rows.f[this.fb + EF.wireBytes]!; }
  set wireBytes(v: number) { this.rows.f[this.fb + EF.wireBytes] = v; }
  get lastRetransmitAt(): number { return this.rows.f[this.fb + EF.lastRetransmitAt]!; }
  set lastRetransmitAt(v: number) { this.rows.f[this.fb + EF.lastRetransmitAt] = v; }
  get retransmitInterval(): number { return this.rows.f[this.fb + EF.retransmitInterval]!; }
  set retransmitInterval(v: number) { this.rows.f[this.fb + EF.retransmitInterval] = v; }
  get stateSince(): number { return this.rows.f[this.fb + EF.stateSince]!; }
  set stateSince(v: number) { this.rows.f[this.fb + EF.stateSince] = v; }
  get closeWaitSeconds(): number { return this.rows.f[this.fb + EF.closeWaitSeconds]!; }
  set closeWaitSeconds(v: number) { this.rows.f[this.fb + EF.closeWaitSeconds] = v; }
  get finWait1Seconds(): number { return this.rows.f[this.fb + EF.finWait1Seconds]!; }
  set finWait1Seconds(v: number) { this.rows.f[this.fb + EF.finWait1Seconds] = v; }
  get finWait2Seconds(): number { return this.rows.f[this.fb + EF.finWait2Seconds]!; }
  set finWait2Seconds(v: number) { this.rows.f[this.fb + EF.finWait2Seconds] = v; }
  get lastAckSeconds(): number { return this.rows.f[this.fb + EF.lastAckSeconds]!; }
  set lastAckSeconds(v: number) { this.rows.f[this.fb + EF.lastAckSeconds] = v; }
  get waNextSeqTime(): number { return this.rows.f[this.fb + EF.waNextSeqTime]!; }
  set waNextSeqTime(v: number) { this.rows.f[this.fb + EF.waNextSeqTime] = v; }
  get waLastAckTime(): number { return this.rows.f[this.fb + EF.waLastAckTime]!; }
  set waLastAckTime(v: number) { this.rows.f[this.fb + EF.waLastAckTime] = v; }
  get unansweredPacket(): number { return this.rows.f[this.fb + EF.unansweredPacket]!; }
  set unansweredPacket(v: number) { this.rows.f[this.fb + EF.unansweredPacket] = v; }
  /** When its advertised window closed to zero and has stayed closed since (-1: open). */
  get zeroWindowSince(): number { return this.rows.f[this.fb + EF.zeroWindowSince]!; }
  /** The longest its window stayed at zero before it reopened. */
  get zeroWindowLongest(): number { return this.rows.f[this.fb + EF.zeroWindowLongest]!; }
  get unansweredSince(): number { return this.rows.f[this.fb + EF.unansweredSince]!; }
  set unansweredSince(v: number) { this.rows.f[this.fb + EF.unansweredSince] = v; }
  get flags(): number { return this.rows.i[this.ib + EI.flags]!; }
  set flags(v: number) { this.rows.i[this.ib + EI.flags] = v; }

  /** The rows' doubles (for code that works on offsets, as addDwell does). */
  get floats(): Float64Array { return this.rows.f; }

  /** The other states this side may be in at the end (the capture could not tell), most likely first. */
  possibleStates(): TcpState[] {
    const out: TcpState[] = [];
    for (let a = this.alternatives, k = 0; k < 2; k++, a >>= 4) if ((a & 15) !== 15) out.push((a & 15) as TcpState);
    return out;
  }

  hasVisited(s: TcpState): boolean {
    return (this.visited & (1 << s)) !== 0;
  }

  private flag(bit: number, on: boolean): void {
    const i = this.rows.i;
    i[this.ib + EI.flags] = on ? i[this.ib + EI.flags]! | bit : i[this.ib + EI.flags]! & ~bit;
  }

  get issKnown(): boolean { return (this.flags & EF_ISS_KNOWN) !== 0; }
  set issKnown(v: boolean) { this.flag(EF_ISS_KNOWN, v); }
  get seqSeen(): boolean { return (this.flags & EF_SEQ_SEEN) !== 0; }
  set seqSeen(v: boolean) { this.flag(EF_SEQ_SEEN, v); }
  get sentData(): boolean { return (this.flags & EF_SENT_DATA) !== 0; }
  set sentData(v: boolean) { this.flag(EF_SENT_DATA, v); }
  get synAckSent(): boolean { return (this.flags & EF_SYN_ACK_SENT) !== 0; }
  set synAckSent(v: boolean) { this.flag(EF_SYN_ACK_SENT, v); }
  get finSent(): boolean { return (this.flags & EF_FIN_SENT) !== 0; }
  set finSent(v: boolean) { this.flag(EF_FIN_SENT, v); }
  get finAcked(): boolean { return (this.flags & EF_FIN_ACKED) !== 0; }
  set finAcked(v: boolean) { this.flag(EF_FIN_ACKED, v); }
  get ackSent(): boolean { return (this.flags & EF_ACK_SENT) !== 0; }
  set ackSent(v: boolean) { this.flag(EF_ACK_SENT, v); }
  get peerSynSeen(): boolean { return (this.flags & EF_PEER_SYN_SEEN) !== 0; }
  set peerSynSeen(v: boolean) { this.flag(EF_PEER_SYN_SEEN, v); }
  get peerFinSeen(): boolean { return (this.flags & EF_PEER_FIN_SEEN) !== 0; }
  set peerFinSeen(v: boolean) { this.flag(EF_PEER_FIN_SEEN, v); }
  get sentRst(): boolean { return (this.flags & EF_SENT_RST) !== 0; }
  set sentRst(v: boolean) { this.flag(EF_SENT_RST, v); }
  get acceptedRst(): boolean { return (this.flags & EF_ACCEPTED_RST) !== 0; }
  set acceptedRst(v: boolean) { this.flag(EF_ACCEPTED_RST, v); }
}
