import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/segment.js';
import { CF, CI, EF, EI } from './layout.js';
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
 * as in Wireshark 4.0), applied to the segment `p` sent by side `s` to side `r` (integer offsets
 * s, r and double offsets sf, rf in the rows `i`, `fl`; the connection's at ci, cf) at time `ts`
 * (sec.nsec).
 * Returns the segment's analysis flags and counts them on the sender. Wireshark keeps 0 as "not
 * yet known" for sequence numbers; so does this, so that the two agree packet for packet.
 */
export function analyzeSegment(i: Int32Array, fl: Float64Array, ci: number, cf: number, s: number, sf: number, r: number, rf: number,
  p: DecodedPacket, ts: number, sec: number, nsec: number): number {
  const seq = p.seq;
  const ack = p.ack;
  const len = p.payloadLen;
  const f = p.flags;
  const window = p.window;
  const control = f & (TH_SYN | TH_FIN | TH_RST);
  let a = 0;
  const sNext = i[s + EI.waNextSeq]!;

  // Wireshark's initial RTT: from the most recent SYN, either way, to the first acknowledging segment
  // that is no SYN; to the nanosecond (from whole seconds and nanoseconds: an epoch double is not).
  // Once known it is kept (as Wireshark keeps it): the test first, for the segments after the handshake.
  if (fl[cf + CF.irtt] === 0) {
    const since = (sec - fl[cf + CF.startSec]!) + (nsec - i[ci + CI.startNsec]!) * 1e-9;
    if ((f & (TH_SYN | TH_ACK)) === TH_SYN) fl[cf + CF.lastSynAt] = since;
    else if ((f & (TH_SYN | TH_ACK)) === TH_ACK && fl[cf + CF.lastSynAt]! >= 0) fl[cf + CF.irtt] = since - fl[cf + CF.lastSynAt]!;
  }

  if (len === 1 && seq === sNext && i[r + EI.waWindow] === 0) {
    a = A_ZERO_WINDOW_PROBE;
  } else {
    if (window === 0 && control === 0) a |= A_ZERO_WINDOW;
    if (sNext !== 0 && seqGt(seq, sNext) && (f & TH_RST) === 0) a |= A_LOST_SEGMENT;
    if (len <= 1 && seq === ((sNext - 1) | 0) && control === 0) a |= A_KEEP_ALIVE;
    const sameAck = len === 0 && window !== 0 && window === i[s + EI.waWindow] && seq === sNext && ack === i[s + EI.waLastAck] && control === 0;
    if (sameAck && (i[r + EI.waLastFlags]! & A_KEEP_ALIVE) !== 0) a |= A_KEEP_ALIVE_ACK;
    else if (len === 0 && window === 0 && window === i[s + EI.waWindow] && seq === sNext && ack === i[s + EI.waLastAck] &&
             (i[r + EI.waLastFlags]! & A_ZERO_WINDOW_PROBE) !== 0 && control === 0) a |= A_ZERO_WINDOW_PROBE_ACK;
    else if (sameAck) {
      const d = i[s + EI.waDupAcks]!;
      i[s + EI.waDupAcks] = d === -1 ? 1 : d + 1;
      a |= A_DUP_ACK;
    }
  }

  if (ack !== i[s + EI.waLastAck]) i[s + EI.waDupAcks] = 0;

  const rMax = i[r + EI.waMaxSeqToBeAcked]!;
  if (rMax !== 0 && seqGt(ack, rMax) && (f & TH_ACK) !== 0) {
    if (seqGt(rMax, i[r + EI.waNextSeq]!)) {
      i[r + EI.waMaxSeqToBeAcked] = i[r + EI.waNextSeq]!;
      a |= A_ACKED_UNSEEN;
    } else {
      if (i[r + EI.waDupAcks] === 0) a |= A_ACKED_UNSEEN;
      i[r + EI.waDupAcks] = -1;
    }
  }

  if ((len > 0 || (f & (TH_SYN | TH_FIN)) !== 0) && (a & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) === 0) {
    let notAdvanced = sNext !== 0 && seqLt(seq, sNext);
    // More than one byte starting one before the next expected: new data after a probe.
    if (len > 1 && ((sNext - 1) | 0) === seq) notAdvanced = false;
    const rLastAck = i[r + EI.waLastAck]!;
    if (len > 0 && rLastAck !== 0 && seqLe((seq + len) | 0, rLastAck)) {
      a |= A_SPURIOUS_RETRANSMISSION;
    } else if (notAdvanced && i[r + EI.waDupAcks]! >= 2 && rLastAck === seq && ts - fl[rf + EF.waLastAckTime]! < FAST_RETRANSMISSION_WINDOW) {
      a |= A_FAST_RETRANSMISSION;
    } else if (notAdvanced && ts - fl[sf + EF.waNextSeqTime]! < (fl[cf + CF.irtt]! > 0 ? fl[cf + CF.irtt]! : OOO_THRESHOLD_DEFAULT) &&
               sNext !== ((seq + len + ((f & (TH_SYN | TH_FIN)) !== 0 ? 1 : 0)) | 0)) {
      a |= A_OUT_OF_ORDER;
    } else if (notAdvanced) {
      a |= A_RETRANSMISSION;
    }
  }

  let next = (seq + len) | 0;
  if ((len > 0 || (f & (TH_SYN | TH_FIN)) !== 0) && (f & (TH_SYN | TH_FIN)) !== 0) next = (next + 1) | 0;
  if ((seqGt(next, sNext) || sNext === 0) && (a & A_ZERO_WINDOW_PROBE) === 0) {
    i[s + EI.waNextSeq] = next;
    fl[sf + EF.waNextSeqTime] = ts;
  }
  const sMax = i[s + EI.waMaxSeqToBeAcked]!;
  if ((seq === sMax || sMax === 0) && (a & A_ZERO_WINDOW_PROBE) === 0) {
    i[s + EI.waMaxSeqToBeAcked] = i[s + EI.waNextSeq]!;
  }
  i[s + EI.waWindow] = window;
  i[s + EI.waLastAck] = ack;
  fl[sf + EF.waLastAckTime] = ts;
  i[s + EI.waLastFlags] = a;

  if (a !== 0) {
    if (a & A_ANY_RETRANSMISSION) i[s + EI.retransmissions]!++;
    if (a & A_OUT_OF_ORDER) i[s + EI.outOfOrder]!++;
    if (a & A_DUP_ACK) i[s + EI.dupAcks]!++;
    if (a & A_ZERO_WINDOW) i[s + EI.zeroWindows]!++;
    if (a & A_KEEP_ALIVE) i[s + EI.keepAlives]!++;
    if (a & A_ACKED_UNSEEN) i[s + EI.ackedUnseen]!++;
    if (a & A_LOST_SEGMENT) i[s + EI.lostSegments]!++;
  }
  // A side that keeps retransmitting or probing while its peer stays silent (half-open, or a dead path).
  i[r + EI.unanswered] = 0;
  if ((a & (A_ANY_RETRANSMISSION | A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) !== 0) {
    if (i[s + EI.unanswered] === 0) {
      fl[sf + EF.unansweredPacket] = fl[cf + CF.lastPacket]!;
      fl[sf + EF.unansweredSince] = ts;
    }
    i[s + EI.unanswered]!++;
  }
  return a;
}
