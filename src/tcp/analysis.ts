import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/packet.js';
import type { Connection } from './connection.js';
import type { Endpoint } from './endpoint.js';
import { seqGt, seqLe, seqLt } from './seq.js';

/** What Wireshark's TCP analysis says of one segment (its tcp.analysis.* flags), one bit each. */
export const A_RETRANSMISSION = 1 << 0;
export const A_FAST_RETRANSMISSION = 1 << 1;
export const A_SPURIOUS_RETRANSMISSION = 1 << 2;
export const A_OUT_OF_ORDER = 1 << 3;
export const A_DUP_ACK = 1 << 4;
export const A_ZERO_WINDOW = 1 << 5;
export const A_ZERO_WINDOW_PROBE = 1 << 6;
export const A_KEEP_ALIVE = 1 << 7;
export const A_KEEP_ALIVE_ACK = 1 << 8;
export const A_ACKED_UNSEEN = 1 << 9;
export const A_LOST_SEGMENT = 1 << 10;
export const A_ZERO_WINDOW_PROBE_ACK = 1 << 11;
/** Any of the three retransmission kinds (tshark's `tcp.analysis.retransmission` matches all three). */
export const A_ANY_RETRANSMISSION = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

/** Below this gap after the highest segment, a segment behind it is out of order, not retransmitted (no iRTT known). */
const OOO_THRESHOLD_DEFAULT = 0.003;
const FAST_RETRANSMISSION_WINDOW = 0.02;

/**
 * Wireshark's TCP sequence analysis (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number,
 * as in Wireshark 4.0), applied to the segment `p` sent by `s` to `r` at time `ts`. Returns the
 * segment's analysis flags and counts them on the sender. Wireshark keeps 0 as "not yet known"
 * for sequence numbers; so does this, so that the two agree packet for packet.
 */
export function analyzeSegment(c: Connection, s: Endpoint, r: Endpoint, p: DecodedPacket, ts: number): number {
  const seq = p.seq;
  const ack = p.ack;
  const len = p.payloadLen;
  const f = p.flags;
  const window = p.window;
  const control = f & (TH_SYN | TH_FIN | TH_RST);
  let a = 0;

  if (c.irtt === 0 && (f & (TH_SYN | TH_ACK)) === TH_ACK && s.side === 0 && r.synAckSent && s.issKnown) {
    c.irtt = ts - (c.startSec + c.startNsec * 1e-9);
  }

  if (len === 1 && seq === s.waNextSeq && r.waWindow === 0) {
    a = A_ZERO_WINDOW_PROBE;
  } else {
    if (window === 0 && control === 0) a |= A_ZERO_WINDOW;
    if (s.waNextSeq !== 0 && seqGt(seq, s.waNextSeq) && (f & TH_RST) === 0) a |= A_LOST_SEGMENT;
    if (len <= 1 && seq === ((s.waNextSeq - 1) | 0) && control === 0) a |= A_KEEP_ALIVE;
    const sameAck = len === 0 && window !== 0 && window === s.waWindow && seq === s.waNextSeq && ack === s.waLastAck && control === 0;
    if (sameAck && (r.waLastFlags & A_KEEP_ALIVE) !== 0) a |= A_KEEP_ALIVE_ACK;
    else if (len === 0 && window === 0 && window === s.waWindow && seq === s.waNextSeq && ack === s.waLastAck &&
             (r.waLastFlags & A_ZERO_WINDOW_PROBE) !== 0 && control === 0) a |= A_ZERO_WINDOW_PROBE_ACK;
    else if (sameAck) {
      s.waDupAcks = s.waDupAcks === -1 ? 1 : s.waDupAcks + 1;
      a |= A_DUP_ACK;
    }
  }

  if (ack !== s.waLastAck) s.waDupAcks = 0;

  if (r.waMaxSeqToBeAcked !== 0 && seqGt(ack, r.waMaxSeqToBeAcked) && (f & TH_ACK) !== 0) {
    if (seqGt(r.waMaxSeqToBeAcked, r.waNextSeq)) {
      r.waMaxSeqToBeAcked = r.waNextSeq;
      a |= A_ACKED_UNSEEN;
    } else {
      if (r.waDupAcks === 0) a |= A_ACKED_UNSEEN;
      r.waDupAcks = -1;
    }
  }

  if ((len > 0 || (f & (TH_SYN | TH_FIN)) !== 0) && (a & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) === 0) {
    let notAdvanced = s.waNextSeq !== 0 && seqLt(seq, s.waNextSeq);
    // More than one byte starting one before the next expected: new data after a probe.
    if (len > 1 && ((s.waNextSeq - 1) | 0) === seq) notAdvanced = false;
    if (len > 0 && r.waLastAck !== 0 && seqLe((seq + len) | 0, r.waLastAck)) {
      a |= A_SPURIOUS_RETRANSMISSION;
    } else if (notAdvanced && r.waDupAcks >= 2 && r.waLastAck === seq && ts - r.waLastAckTime < FAST_RETRANSMISSION_WINDOW) {
      a |= A_FAST_RETRANSMISSION;
    } else if (notAdvanced && ts - s.waNextSeqTime < (c.irtt > 0 ? c.irtt : OOO_THRESHOLD_DEFAULT) &&
               s.waNextSeq !== ((seq + len + ((f & (TH_SYN | TH_FIN)) !== 0 ? 1 : 0)) | 0)) {
      a |= A_OUT_OF_ORDER;
    } else if (notAdvanced) {
      a |= A_RETRANSMISSION;
    }
  }

  let next = (seq + len) | 0;
  if ((len > 0 || (f & (TH_SYN | TH_FIN)) !== 0) && (f & (TH_SYN | TH_FIN)) !== 0) next = (next + 1) | 0;
  if ((seqGt(next, s.waNextSeq) || s.waNextSeq === 0) && (a & A_ZERO_WINDOW_PROBE) === 0) {
    s.waNextSeq = next;
    s.waNextSeqTime = ts;
  }
  if ((seq === s.waMaxSeqToBeAcked || s.waMaxSeqToBeAcked === 0) && (a & A_ZERO_WINDOW_PROBE) === 0) {
    s.waMaxSeqToBeAcked = s.waNextSeq;
  }
  s.waWindow = window;
  s.waLastAck = ack;
  s.waLastAckTime = ts;
  s.waLastFlags = a;

  if (a !== 0) {
    if (a & A_ANY_RETRANSMISSION) s.retransmissions++;
    if (a & A_OUT_OF_ORDER) s.outOfOrder++;
    if (a & A_DUP_ACK) s.dupAcks++;
    if (a & A_ZERO_WINDOW) s.zeroWindows++;
    if (a & A_KEEP_ALIVE) s.keepAlives++;
    if (a & A_ACKED_UNSEEN) s.ackedUnseen++;
    if (a & A_LOST_SEGMENT) s.lostSegments++;
  }
  // A side that keeps retransmitting or probing while its peer stays silent (half-open, or a dead path).
  r.unanswered = 0;
  if ((a & (A_ANY_RETRANSMISSION | A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) !== 0) {
    if (s.unanswered === 0) {
      s.unansweredPacket = c.curPacket;
      s.unansweredSince = ts;
    }
    s.unanswered++;
  }
  return a;
}
