import { segmentTimestamps } from '../decode/packet.js';
import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/segment.js';
import {
  A_ANY_RETRANSMISSION, A_KEEP_ALIVE, A_OUT_OF_ORDER, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION, A_ZERO_WINDOW_PROBE,
} from './analysis.js';
import {
  CF, CI, EF, EF_ACK_SENT, EF_FIN_SENT, EF_SENT_DATA, EF_SENT_RST, EF_SYN_CAPTURED, EF_TIMED, EF_TIMED_TS, EF_USES_TS, EF_ZERO_WINDOW, EI,
  RTT_KEPT,
} from './layout.js';
import { seqGe, seqGt } from './seq.js';

/**
 * Where a connection's time went, at the capture point, in seconds (timeSegment); null where the
 * capture does not show it.
 */
export interface ConnectionTiming {
  /** Wireshark's tcp.analysis.initial_rtt: the most recent SYN to the first acknowledging segment after it that is no SYN. */
  handshakeRtt: number | null;
  /** SYN to SYN,ACK (the capture point's round trip to the server), and SYN,ACK to its ACK (to the client). */
  serverRtt: number | null;
  clientRtt: number | null;
  /** Round trips of data to the ACKs that cover them, as their senders see them (Karn's rule, TCP timestamps where present). */
  rtt: { min: number; p50: number; max: number; samples: number } | null;
  /** The client's first payload byte to the server's first. */
  firstByte: number | null;
  /** The longest time between two packets, when it was STALL_FLOOR or more (else null). */
  maxIdle: number | null;
  /** Retransmission timeouts of each side, and the most in a row with no new ACK between them (the backoff). */
  rto: [client: RtoCount, server: RtoCount];
  /** Time stalled, by cause: a receive window of zero, a window full of bytes in flight, nothing in flight and nothing sent. */
  stalled: { zeroWindow: number; windowFull: number; application: number };
}

export interface RtoCount {
  count: number;
  backoff: number;
  /** The longest time between two timeouts in a row, in seconds (0: never two in a row). */
  longestInterval: number;
}

/** The sides' facts that make the time between two packets a stall: a FIN or a RST ends them. */
const CLOSING = EF_FIN_SENT | EF_SENT_RST;

/**
 * Shorter gaps between two packets are no stall: back-to-back segments and ACKs, which on a fast
 * path are most of them (and not charging them keeps the per-packet cost down).
 */
export const STALL_FLOOR = 0.001;

/**
 * Where the time of a connection went, as seen at the capture point, for the segment `p` sent by
 * side `s` to side `r` (the offsets of analysis.ts), with Wireshark's analysis flags `a` of it,
 * `gap` seconds after the connection's previous packet. Runs before the state machine, so that the
 * sides' sequence fields still say what was in flight during the gap.
 *
 * - From STALL_FLOOR up, a gap is the longest idle time if it is, and is charged to a stall by what
 *   held both sides during it: a receiver's zero window; a sender with a window's worth in flight;
 *   nothing in flight either way with both sides open, which is an application not sending (a
 *   server thinking, a client not asking). Gaps while bytes are in flight and the window open are
 *   the network's.
 * - Round trips are sampled per direction from a data segment to the first ACK that covers it: with
 *   TCP timestamps, the ACK must echo the segment's TSval; without them, the sample is dropped when
 *   the segment is sent again (Karn's rule). A sample is the capture point's round trip to the
 *   receiver plus its round trip to the sender from the handshake, which is the sender's own round
 *   trip, the one `ss -ti` shows; without the handshake's, there is no sample.
 * - A plain retransmission (not fast, not out of order) is a retransmission timeout; timeouts with
 *   no new ACK from the peer between them are one backoff.
 */
export function timeSegment(i: Int32Array, f: Float64Array, ci: number, cf: number, s: number, sf: number, r: number, rf: number,
  p: DecodedPacket, a: number, sec: number, nsec: number, gap: number): void {
  // Most segments have nothing to do here (data while one is timed, ACKs short of it, right after
  // the packet before): told apart in this small function, which inlines, from the rest, which is a call.
  const fl = p.flags;
  const sFlags = i[s + EI.flags]!;
  const rFlags = i[r + EI.flags]!;
  if (gap >= STALL_FLOOR || a !== 0 || (fl & TH_SYN) !== 0 ||
      ((fl & TH_ACK) !== 0 && (((rFlags & EF_TIMED) !== 0 && seqGe(p.ack, i[r + EI.timedEnd]!)) || i[r + EI.rtoRun] !== 0)) ||
      (p.payloadLen > 0 && (sFlags & (EF_TIMED | EF_SENT_DATA)) !== (EF_TIMED | EF_SENT_DATA))) {
    timeRest(i, f, ci, cf, s, sf, r, rf, p, a, sec, nsec, gap, sFlags, rFlags);
  }
}

/** timeSegment() of the segments it has more to do for. */
function timeRest(i: Int32Array, f: Float64Array, ci: number, cf: number, s: number, sf: number, r: number, rf: number,
  p: DecodedPacket, a: number, sec: number, nsec: number, gap: number, sFlags: number, rFlags: number): void {
  const fl = p.flags;
  if (gap >= STALL_FLOOR) {
    if (gap > f[cf + CF.maxIdle]!) f[cf + CF.maxIdle] = gap;
    if ((sFlags & rFlags & EF_ACK_SENT) !== 0 && ((sFlags | rFlags) & CLOSING) === 0) stall(i, f, cf, s, r, sFlags, rFlags, gap);
  }
  if ((fl & TH_SYN) !== 0) {
    // A SYN's options are decoded with it.
    i[s + EI.flags] = sFlags | EF_SYN_CAPTURED | (p.hasTimestamp ? EF_USES_TS : 0);
    if (p.mss >= 0) i[s + EI.mss] = p.mss;
  }
  if ((fl & TH_ACK) !== 0) {
    // The ACK of the segment the peer is timing.
    if ((rFlags & EF_TIMED) !== 0 && seqGe(p.ack, i[r + EI.timedEnd]!)) {
      if ((rFlags & EF_TIMED_TS) === 0 || (segmentTimestamps(p) && (p.tsEcr | 0) === i[r + EI.timedTsval])) {
        sample(i, f, ci, cf, r, sec + nsec * 1e-9 - f[rf + EF.timedAt]!);
      }
      i[r + EI.flags] = rFlags & ~(EF_TIMED | EF_TIMED_TS);
    }
    // Something new acknowledged (the first ACK always is): the peer's timeouts in a row end.
    if (i[r + EI.rtoRun] !== 0 && ((sFlags & EF_ACK_SENT) === 0 || seqGt(p.ack, i[s + EI.lastAck]!))) i[r + EI.rtoRun] = 0;
  }
  if ((a & A_ANY_RETRANSMISSION) !== 0) {
    if ((a & (A_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) !== 0) {
      i[s + EI.rtoCount]!++;
      const run = ++i[s + EI.rtoRun]!;
      if (run > i[s + EI.rtoBackoff]!) i[s + EI.rtoBackoff] = run;
      // The timer's interval as it backs off: from one timeout to the next in the same run.
      const now = sec + nsec * 1e-9;
      if (run > 1 && now - f[sf + EF.lastRtoAt]! > f[sf + EF.rtoInterval]!) f[sf + EF.rtoInterval] = now - f[sf + EF.lastRtoAt]!;
      f[sf + EF.lastRtoAt] = now;
    }
    // Karn's rule: which copy an ACK answers is not known (but for the TSval it echoes).
    if ((sFlags & EF_TIMED_TS) === 0) i[s + EI.flags]! &= ~EF_TIMED;
  } else if (p.payloadLen > 0 && (fl & TH_SYN) === 0) {
    // sinceStart(), written out (it runs for every connection's first data each way).
    if ((sFlags & EF_SENT_DATA) === 0) f[sf + EF.firstDataAt] = (sec - f[cf + CF.startSec]!) + (nsec - i[ci + CI.startNsec]!) * 1e-9;
    if ((sFlags & EF_TIMED) === 0 && (a & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE | A_OUT_OF_ORDER)) === 0 && (fl & (TH_FIN | TH_RST)) === 0) {
      i[s + EI.timedEnd] = (p.seq + p.payloadLen) | 0;
      f[sf + EF.timedAt] = sec + nsec * 1e-9;
      if (segmentTimestamps(p)) {
        i[s + EI.timedTsval] = p.tsVal;
        i[s + EI.flags]! |= EF_TIMED | EF_TIMED_TS;
      } else {
        i[s + EI.flags]! |= EF_TIMED;
      }
    }
  }
}

/** Charges `gap` seconds to the stall that held the connection, if any (timeSegment). */
function stall(i: Int32Array, f: Float64Array, cf: number, s: number, r: number, sFlags: number, rFlags: number, gap: number): void {
  if (((sFlags | rFlags) & EF_ZERO_WINDOW) !== 0) {
    f[cf + CF.stallZeroWindow]! += gap;
    return;
  }
  const sOut = (i[s + EI.sndNxt]! - i[r + EI.lastAck]!) | 0;
  const rOut = (i[r + EI.sndNxt]! - i[s + EI.lastAck]!) | 0;
  if (sOut <= 0 && rOut <= 0) {
    f[cf + CF.stallApplication]! += gap;
    return;
  }
  // A full window needs the scaling both SYNs agreed on.
  if ((sFlags & rFlags & EF_SYN_CAPTURED) === 0) return;
  if (windowFull(i, s, r, sOut) || windowFull(i, r, s, rOut)) f[cf + CF.stallWindowFull]! += gap;
}

/** Whether `out` bytes in flight from `from` leave less than one full segment of the window `to` advertised. */
function windowFull(i: Int32Array, from: number, to: number, out: number): boolean {
  if (out <= 0) return false;
  const scale = i[from + EI.wscale]! >= 0 && i[to + EI.wscale]! >= 0 ? i[to + EI.wscale]! : 0;
  const mss = i[to + EI.mss]! > 0 ? i[to + EI.mss]! : 536;
  return i[to + EI.window]! * (1 << scale) - out < mss;
}

/**
 * A round trip `leg` seconds from the capture point to the peer of `s` and back, for a segment `s`
 * sent: with the capture point's round trip to `s` from the handshake it is `s`'s own. Without that
 * (the handshake not seen, or its SYN sent again) it is only part of one, and no sample.
 */
function sample(i: Int32Array, f: Float64Array, ci: number, cf: number, s: number, leg: number): void {
  const near = f[cf + (s === ci + CI.SIZE ? CF.clientRtt : CF.serverRtt)]!;
  if (near < 0) return;
  const rtt = leg + near;
  const n = i[ci + CI.rttCount]!;
  if (n === 0 || rtt < f[cf + CF.rttMin]!) f[cf + CF.rttMin] = rtt;
  if (rtt > f[cf + CF.rttMax]!) f[cf + CF.rttMax] = rtt;
  i[ci + CI.rttCount] = n + 1;
  let stride = i[ci + CI.rttStride]!;
  if ((n & (stride - 1)) !== 0) return;
  let kept = i[ci + CI.rttKept]!;
  if (kept === RTT_KEPT) {
    // Full: every other one stays, and from now on every other one of those to come.
    for (let k = 0; k < RTT_KEPT / 2; k++) i[ci + CI.rtt + k] = i[ci + CI.rtt + 2 * k]!;
    kept = RTT_KEPT / 2;
    stride *= 2;
    i[ci + CI.rttStride] = stride;
    if ((n & (stride - 1)) !== 0) {
      i[ci + CI.rttKept] = kept;
      return;
    }
  }
  i[ci + CI.rtt + kept] = Math.min(Math.round(rtt * 1e6), 0x7fffffff);
  i[ci + CI.rttKept] = kept + 1;
}

/** Scratch for rttMedian. */
const KEPT = new Int32Array(RTT_KEPT);

/** A connection's round trips: the kept samples' median, in seconds (null: none). */
export function rttMedian(i: Int32Array, ci: number): number | null {
  const kept = i[ci + CI.rttKept]!;
  if (kept === 0) return null;
  // Insertion sort of at most RTT_KEPT, into scratch: this runs once per connection.
  for (let k = 0; k < kept; k++) {
    const v = i[ci + CI.rtt + k]!;
    let j = k;
    while (j > 0 && KEPT[j - 1]! > v) {
      KEPT[j] = KEPT[j - 1]!;
      j--;
    }
    KEPT[j] = v;
  }
  const m = kept >> 1;
  return (kept & 1 ? KEPT[m]! : (KEPT[m - 1]! + KEPT[m]!) / 2) * 1e-6;
}

/** The timing object of the flat fields `t` (TimingField order, -1 where not known): Connection.timing() and the store's records share it. */
export function timingOf(t: ArrayLike<number>): ConnectionTiming {
  const handshakeRtt = t[TimingField.handshakeRtt]!;
  const serverRtt = t[TimingField.serverRtt]!;
  const clientRtt = t[TimingField.clientRtt]!;
  const firstByte = t[TimingField.firstByte]!;
  const maxIdle = t[TimingField.maxIdle]!;
  const samples = t[TimingField.rttSamples]!;
  const rtoC = t[TimingField.rtoClient]!;
  const rtoS = t[TimingField.rtoServer]!;
  const zeroWindow = t[TimingField.stallZeroWindow]!;
  const windowFull = t[TimingField.stallWindowFull]!;
  const application = t[TimingField.stallApplication]!;
  return {
    handshakeRtt: handshakeRtt >= 0 ? handshakeRtt : null,
    serverRtt: serverRtt >= 0 ? serverRtt : null,
    clientRtt: clientRtt >= 0 ? clientRtt : null,
    rtt: samples > 0 ? { min: t[TimingField.rttMin]!, p50: t[TimingField.rttP50]!, max: t[TimingField.rttMax]!, samples } : null,
    firstByte: firstByte >= 0 ? firstByte : null,
    maxIdle: maxIdle >= 0 ? maxIdle : null,
    // Most connections had no timeout and no stall: they share one object of each (records are read, not written).
    rto: rtoC === 0 && rtoS === 0 ? NO_RTO : [
      { count: rtoC, backoff: t[TimingField.backoffClient]!, longestInterval: t[TimingField.rtoIntervalClient]! },
      { count: rtoS, backoff: t[TimingField.backoffServer]!, longestInterval: t[TimingField.rtoIntervalServer]! },
    ],
    stalled: zeroWindow === 0 && windowFull === 0 && application === 0 ? NOT_STALLED : { zeroWindow, windowFull, application },
  };
}

const NO_RTO: ConnectionTiming['rto'] = Object.freeze([
  Object.freeze({ count: 0, backoff: 0, longestInterval: 0 }), Object.freeze({ count: 0, backoff: 0, longestInterval: 0 }),
]) as unknown as ConnectionTiming['rto'];
const NOT_STALLED: ConnectionTiming['stalled'] = Object.freeze({ zeroWindow: 0, windowFull: 0, application: 0 });

/**
 * The fields of timing() in a flat array (-1 where not known), for the store: no objects per connection.
 * Those most connections have come first; from RARE on, those that are zero for most (timeouts, stalls).
 */
export const enum TimingField {
  handshakeRtt, serverRtt, clientRtt, rttMin, rttP50, rttMax, firstByte, maxIdle, rttSamples,
  stallZeroWindow, stallWindowFull, stallApplication, rtoIntervalClient, rtoIntervalServer, rtoClient, rtoServer, backoffClient, backoffServer, SIZE,
  RARE = stallZeroWindow, COMMON = rttSamples,
}
